"""The trend chart as inline SVG, drawn on the server: no JavaScript library to ship, nothing to fetch,
and it shows the same in WeCom's in-app browser, a desktop browser and a printed page."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

COLOURS = ("#1a73e8", "#0b8043", "#f29900", "#d93025")
WIDTH, HEIGHT = 420, 220
LEFT, RIGHT, TOP, BOTTOM = 38, 24, 10, 24


def line_chart(labels: list[str], series: dict[str, list[float | None]]) -> Markup:
    """Rates from 0 to 100%, one line per series; a gap where a slice had nothing to judge."""
    count = max(len(labels), 1)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (inner_w * i / (count - 1) if count > 1 else inner_w / 2)

    def y(rate: float) -> float:
        return TOP + inner_h * (1 - rate)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="趋势图" '
        'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">'
    ]
    for tick in (0, 0.5, 1):
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#e0e0e0"/>'
            f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="12" fill="#666">{tick:.0%}</text>'
        )
    step = max(1, count // 6)
    for i, label in enumerate(labels):
        if i % step == 0 or i == count - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - 8}" text-anchor="middle" font-size="12" fill="#666">{escape(label)}</text>'
            )
    for colour, (name, values) in zip(COLOURS, series.items(), strict=False):
        runs: list[list[str]] = [[]]
        for i, value in enumerate(values):
            if value is None:
                runs.append([])
                continue
            runs[-1].append(f"{x(i):.1f},{y(value):.1f}")
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="3" fill="{colour}"><title>{escape(name)} '
                f"{escape(labels[i])} {value:.1%}</title></circle>"
            )
        for run in runs:
            if len(run) > 1:
                parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(run)}"/>')
    parts.append("</svg>")
    legend = "".join(
        f'<span class="key"><i style="background:{colour}"></i>{escape(name)}</span>'
        for colour, name in zip(COLOURS, series, strict=False)
    )
    return Markup(f'{"".join(parts)}<div class="legend">{legend}</div>')
