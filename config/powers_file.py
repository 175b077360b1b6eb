"""The small-powers list (小微权力清单): the file named by `[powers] file`, read once and checked here, so a
mistake names its file and line (config/toml_lines.py): a missing field, an unknown post, a duplicate word.

The format is in the README ("Small-powers list"); config/demo/powers.toml is an example to adapt.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.errors import ConfigError
from config.texts import shown
from config.toml_lines import line_of
from config.village_posts import VillagePosts, read_village_posts

_CODE = re.compile(r"[a-z][a-z0-9_]{0,31}")
_TOP = ("list", "match", "warnings", "item")
_ITEM = ("code", "name", "category", "words", "post", "bring", "where", "time_limit", "basis", "warning", "step")
_STEP = ("name", "who", "post", "what", "days", "working_days", "public", "results")
RESULTS_MAX = 10  # WeCom's drop-down list holds at most 10 options …
RESULT_CHARS = 16  # … of a short text each
_REQUIRED_TEXTS = ("name", "where", "time_limit", "basis")


@dataclass(frozen=True)
class Step:
    name: str
    who: str  # the body that acts (党支部, 村民代表会议): shown
    post: str  # the post that records the step and hears its warnings
    what: str
    days: int  # deadline: days after the step before it (or the start)
    public: bool  # posted to the village's groups when done
    results: tuple[str, ...] = ()  # what the step's card offers as its result (通过/未通过); none: the default
    working_days: bool = False  # `days` are working days of config/calendar.toml (工作日), not calendar days


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    category: str
    words: tuple[str, ...]  # what villagers say
    post: str  # who handles it in the village
    bring: tuple[str, ...]
    where: str
    time_limit: str
    basis: str
    warning: str = ""  # the 失责预警 of a flow item
    steps: tuple[Step, ...] = ()

    @property
    def is_flow(self) -> bool:
        return bool(self.steps)


@dataclass(frozen=True)
class PowersList:
    name: str
    example: bool
    ask: tuple[str, ...]  # question words: a request is answered from the list only with one of them
    not_for: tuple[str, ...]  # routing decisions (department codes) never answered from the list
    township_roles: tuple[str, ...]
    items: tuple[Item, ...]
    source: str = ""

    def get(self, code: str) -> Item | None:
        return next((i for i in self.items if i.code == code), None)

    def find(self, word: str) -> Item | None:
        """An item by its code, its name, one of its words, or the start of its name (大额资金 → 大额资金使用)."""
        word = word.strip()
        if not word:
            return None
        exact = next((i for i in self.items if word in (i.code, i.name, *i.words)), None)
        return exact or next((i for i in self.items if i.name.startswith(word)), None)

    @property
    def flows(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.is_flow)


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


class _Problems:
    def __init__(self, file: str, text: str) -> None:
        self.file, self.text = file, text
        self.lines: list[str] = []

    def add(self, path: tuple[str | int, ...], message: str) -> None:
        self.lines.append(f"{self.file}:{line_of(self.text, path)}: {message}")


def powers_problems(table: dict[str, Any], text: str, file: str, posts: VillagePosts) -> list[str]:
    """Every mistake of the list at once, one line each: `file:line: item N (code): problem`."""
    p = _Problems(file, text)
    for key in set(table) - set(_TOP):
        p.add((key,), f"unknown section [{key}]; sections are {', '.join(_TOP)}")
    listed = table.get("list", {})
    if not isinstance(listed, dict) or not isinstance(listed.get("name"), str) or not listed["name"].strip():
        p.add(("list",), "[list] name is missing: the list's title")
    elif not isinstance(listed.get("example", False), bool):
        p.add(("list", "example"), "[list] example should be true or false")
    ask = table.get("match", {}).get("ask") if isinstance(table.get("match"), dict) else None
    if not _texts(ask) or not ask:
        p.add(("match", "ask"), '[match] ask should list question words, like ["找谁", "咋办", "要啥"]')
    not_for = table.get("match", {}).get("not_for", []) if isinstance(table.get("match"), dict) else []
    if not _texts(not_for):
        p.add(("match", "not_for"), '[match] not_for should list department codes, like ["discipline"]')
    warnings = table.get("warnings", {})
    roles = warnings.get("township_roles", []) if isinstance(warnings, dict) else None
    if not _texts(roles):
        p.add(("warnings", "township_roles"), "[warnings] township_roles should be a list of role codes")
    items = table.get("item")
    if not isinstance(items, list) or not items:
        p.add((), "no [[item]] entries")
        return p.lines
    held = {post.code for post in posts.held}
    owner: dict[str, str] = {}  # word → the item it belongs to
    codes: set[str] = set()
    steps_before = 0  # config/toml_lines.py counts [[item.step]] headers through the whole file
    for index, item in enumerate(items):
        at = ("item", index)
        code = item.get("code") if isinstance(item, dict) else None
        label = f"item {index + 1}" + (f" ({code})" if isinstance(code, str) else "")
        if not isinstance(item, dict):
            p.add(at, f"{label}: should be a table")
            continue
        for key in item:
            if key not in _ITEM:
                p.add((*at, key), f"{label}: unknown key {key!r}; keys are {', '.join(_ITEM)}")
        if not isinstance(code, str) or not _CODE.fullmatch(code):
            p.add((*at, "code"), f"{label}: code should be lower-case letters, digits and _ (like land_transfer)")
        elif code in codes:
            p.add((*at, "code"), f"{label}: code {code!r} is used twice")
        else:
            codes.add(code)
        for key in _REQUIRED_TEXTS:
            if not isinstance(item.get(key), str) or not item[key].strip():
                p.add((*at, key) if key in item else at, f"{label}: {key} is missing")
        words = item.get("words")
        if not _texts(words) or not words:
            p.add((*at, "words") if "words" in item else at, f"{label}: words should list what villagers say")
            words = []
        for word in words:
            if word in owner and owner[word] != code:
                p.add((*at, "words"), f"{label}: word {word!r} already belongs to {owner[word]}")
            owner.setdefault(word, str(code))
        if item.get("post") not in held:
            p.add(
                (*at, "post") if "post" in item else at,
                f"{label}: post should be a post code: {', '.join(sorted(held))}",
            )
        if not _texts(item.get("bring", [])):
            p.add((*at, "bring"), f"{label}: bring should be a list of texts")
        steps = item.get("step", [])
        if not isinstance(steps, list):
            p.add((*at, "step"), f"{label}: write its steps as [[item.step]] entries")
            continue
        if steps and not (isinstance(item.get("warning"), str) and item["warning"].strip()):
            p.add(at, f"{label}: a flow item needs warning, the text of its 失责预警")
        for number, step in enumerate(steps, 1):
            _check_step(p, ("item", "step", steps_before + number - 1), f"{label} step {number}", step, held)
        steps_before += len(steps)
    return p.lines


def _check_step(p: _Problems, at: tuple[str | int, ...], label: str, step: Any, held: set[str]) -> None:
    if not isinstance(step, dict):
        p.add(at, f"{label}: should be a table")
        return
    for key in step:
        if key not in _STEP:
            p.add((*at, key), f"{label}: unknown key {key!r}; keys are {', '.join(_STEP)}")
    for key in ("name", "who", "what"):
        if not isinstance(step.get(key), str) or not step[key].strip():
            p.add(at, f"{label}: {key} is missing")
    if step.get("post") not in held:
        p.add(
            (*at, "post") if "post" in step else at, f"{label}: post should be a post code: {', '.join(sorted(held))}"
        )
    days = step.get("days")
    if not isinstance(days, int) or isinstance(days, bool) or not 0 < days <= 366:
        p.add((*at, "days") if "days" in step else at, f"{label}: days should be a whole number of days from 1 to 366")
    if not isinstance(step.get("public", False), bool):
        p.add((*at, "public"), f"{label}: public should be true or false")
    if not isinstance(step.get("working_days", False), bool):
        p.add((*at, "working_days"), f"{label}: working_days should be true or false")
    if "results" in step:
        _check_results(p, (*at, "results"), label, step["results"])


def _check_results(p: _Problems, at: tuple[str | int, ...], label: str, results: Any) -> None:
    """The step card's drop-down list: 1 to 10 different short texts."""
    if not _texts(results) or not results or len(results) > RESULTS_MAX:
        p.add(at, f'{label}: results should list 1 to {RESULTS_MAX} texts, like ["通过", "未通过"]')
        return
    for result in results:
        if len(result.strip()) > RESULT_CHARS:
            p.add(at, f"{label}: result {result!r} is longer than {RESULT_CHARS} characters")
    if len({r.strip() for r in results}) != len(results):
        p.add(at, f"{label}: results should not repeat a text")


def read_powers(path: Path, posts: VillagePosts | None = None) -> PowersList:
    """The checked list; ConfigError naming the file and line of every mistake."""
    file = shown(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
        table = tomllib.loads(text)
    except OSError as exc:
        raise ConfigError(f"[powers] file {file}: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: {exc}") from exc
    problems = powers_problems(table, text, file, posts or read_village_posts())
    if problems:
        raise ConfigError("\n".join(problems))
    return PowersList(
        name=table["list"]["name"],
        example=table["list"].get("example", False),
        ask=tuple(table["match"]["ask"]),
        not_for=tuple(table["match"].get("not_for", ())),
        township_roles=tuple(table.get("warnings", {}).get("township_roles", ())),
        items=tuple(_item(entry) for entry in table["item"]),
        source=file,
    )


def _item(entry: dict[str, Any]) -> Item:
    return Item(
        code=entry["code"],
        name=entry["name"],
        category=entry.get("category", ""),
        words=tuple(entry["words"]),
        post=entry["post"],
        bring=tuple(entry.get("bring", ())),
        where=entry["where"],
        time_limit=entry["time_limit"],
        basis=entry["basis"],
        warning=entry.get("warning", ""),
        steps=tuple(
            Step(
                s["name"],
                s["who"],
                s["post"],
                s["what"],
                s["days"],
                s.get("public", False),
                tuple(r.strip() for r in s.get("results", ())),
                s.get("working_days", False),
            )
            for s in entry.get("step", ())
        ),
    )
