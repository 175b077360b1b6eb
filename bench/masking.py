"""Does masking stay linear on long and hostile text? Times mask_private beside two linear baselines.

    python bench/masking.py [--repeat 5]

For texts of 5k, 10k, 20k and 40k characters of several shapes (one long digit run, digits split by
spaces, 8号 over and over, a villager's message repeated, digits and stars), it prints the best of
`--repeat` runs of mask_private, of str.translate and of a plain `re` scan for digits over the same
text, the ratio of masking to each baseline, and how much longer masking took than at half the
length (2.0 is linear; the old house-number pattern went 2.9, 4.7). The old pattern is measured too,
on the shorter texts only.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from nlp.privacy import mask_private  # noqa: E402

LENGTHS = (5_000, 10_000, 20_000, 40_000)
SHAPES: dict[str, str] = {
    "digit run": "1",
    "spaced digits": "1 ",
    "dashed digits": "13-",
    "house numbers": "8号",
    "digits then stars": "1381234****",
    "message": "我家电话13812345678 身份证号110101199003071234 住王家屯8号 房顶漏雨了塌了一块。",
    "plain words": "三屯那个桥塌了一半车过不去",
}
_TABLE = str.maketrans("0123456789", "**********")
_DIGITS = re.compile(r"\d")
_OLD_HOUSE = re.compile(r"\d+(?=\s*(?:号楼|号院|号|栋|幢|室|单元))")  # before: quadratic on digit runs


def best(function: Callable[[str], object], text: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function(text)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(
        f"{'shape':<18} {'chars':>6} {'mask ms':>8} {'translate':>9} {'re scan':>8} {'÷translate':>10} {'÷re':>6} {'×(n/2)':>7} {'old ms':>8}"
    )
    for shape, piece in SHAPES.items():
        previous = None
        for length in LENGTHS:
            text = (piece * (length // len(piece) + 1))[:length]
            masking = best(mask_private, text, args.repeat)
            translate = best(lambda t: t.translate(_TABLE), text, args.repeat)
            scan = best(lambda t: sum(1 for _ in _DIGITS.finditer(t)), text, args.repeat)
            growth = f"{masking / previous:.2f}" if previous else "—"
            old = f"{best(lambda t: _OLD_HOUSE.sub('*', t), text, 1) * 1000:.1f}" if length <= 10_000 else "—"
            print(
                f"{shape:<18} {length:>6} {masking * 1000:>8.2f} {translate * 1000:>9.3f} {scan * 1000:>8.2f}"
                f" {masking / translate:>10.1f} {masking / scan:>6.1f} {growth:>7} {old:>8}"
            )
            previous = masking


if __name__ == "__main__":
    main()
