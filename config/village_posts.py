"""The village's organisations and posts (config/village_posts.toml), read once and checked here, so a
mistake names its file and entry: a missing field, a duplicate code or name, a star on an organisation.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from config.errors import ConfigError
from config.texts import shown

VILLAGE_POSTS_FILE = Path(__file__).resolve().parent / "village_posts.toml"
KINDS = ("organisation", "post")
_CODE = re.compile(r"[a-z][a-z0-9_]{0,31}")
_FIELDS = ("code", "name", "names", "kind", "star_rated", "duties")


@dataclass(frozen=True)
class VillagePost:
    code: str
    name: str
    names: tuple[str, ...]
    kind: str  # one of KINDS
    star_rated: bool
    duties: tuple[str, ...]


@dataclass(frozen=True)
class VillagePosts:
    """The list in its file's order, found by code or by any of its names."""

    posts: tuple[VillagePost, ...]

    def find(self, word: str) -> VillagePost | None:
        word = word.strip()
        return next((p for p in self.posts if word == p.code or word == p.name or word in p.names), None)

    def get(self, code: str) -> VillagePost:
        return next(p for p in self.posts if p.code == code)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.posts)

    @property
    def held(self) -> tuple[VillagePost, ...]:
        """The posts a person holds (organisations are held by nobody)."""
        return tuple(p for p in self.posts if p.kind == "post")

    @property
    def star_rated(self) -> tuple[VillagePost, ...]:
        return tuple(p for p in self.posts if p.star_rated)


def village_post_problems(table: dict[str, object], file: str) -> list[str]:
    """Every mistake of the file at once, one line each: `file: post N (code): problem`."""
    entries = table.get("post")
    if set(table) - {"post"}:
        return [f"{file}: unknown key(s) {', '.join(sorted(set(table) - {'post'}))}; write [[post]] entries"]
    if not isinstance(entries, list) or not entries:
        return [f"{file}: no [[post]] entries"]
    problems: list[str] = []
    owner: dict[str, str] = {}
    for number, entry in enumerate(entries, 1):
        code = entry.get("code") if isinstance(entry, dict) else None
        at = f"{file}: post {number}" + (f" ({code})" if isinstance(code, str) else "")
        if not isinstance(entry, dict):
            problems.append(f"{at}: should be a table of code, name, kind …")
            continue
        problems += [f"{at}: unknown key {key!r}; keys are {', '.join(_FIELDS)}" for key in entry if key not in _FIELDS]
        if not isinstance(code, str) or not _CODE.fullmatch(code):
            problems.append(f"{at}: code should be lower-case letters, digits and _ (like militia_captain)")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{at}: name is missing")
        names = entry.get("names", [])
        if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
            problems.append(f'{at}: names should be a list of names in quotes, like ["书记", "村书记"]')
            names = []
        if entry.get("kind") not in KINDS:
            problems.append(f"{at}: kind should be one of {', '.join(KINDS)}")
        star = entry.get("star_rated", False)
        if not isinstance(star, bool):
            problems.append(f"{at}: star_rated should be true or false")
        elif star and entry.get("kind") != "post":
            problems.append(f'{at}: only a post (kind = "post") is rated in stars')
        duties = entry.get("duties", [])
        if not isinstance(duties, list) or not all(isinstance(d, str) for d in duties):
            problems.append(f"{at}: duties should be a list of texts")
        for word in [code, name, *names]:
            if not isinstance(word, str):
                continue
            if word in owner and owner[word] != code:
                problems.append(f"{at}: {word!r} already names {owner[word]}")
            owner.setdefault(word, str(code))
    return problems


@functools.cache
def read_village_posts(path: Path = VILLAGE_POSTS_FILE) -> VillagePosts:
    """The checked list; ConfigError naming the file and entry when wrong."""
    try:
        with path.open("rb") as fh:
            table = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{shown(path)}: {exc}") from exc
    problems = village_post_problems(table, shown(path))
    if problems:
        raise ConfigError("\n".join(problems))
    return VillagePosts(
        tuple(
            VillagePost(
                e["code"],
                e["name"],
                tuple(e.get("names", ())),
                e["kind"],
                e.get("star_rated", False),
                tuple(e.get("duties", ())),
            )
            for e in table["post"]
        )
    )
