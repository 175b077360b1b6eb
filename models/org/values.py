"""Checks and clean-ups of single values, shared by the TOML reader and the roster reader.

Each returns the cleaned value, or raises ValueError with the message the admin reads.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from config.role_names import ROLE_NAMES_FILE, read_role_names
from config.village_posts import VILLAGE_POSTS_FILE, read_village_posts
from models.people import ROLES

_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_USERID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")  # WeCom's userid alphabet
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LIST_SEPARATORS = re.compile(r"[、,，;；\s]+")


def code(value: str) -> str:
    if not _CODE.fullmatch(value):
        raise ValueError(f"{value!r} is not a code: use lower-case letters, digits, - and _ (at most 64)")
    return value


def userid(value: str) -> str:
    if not _USERID.fullmatch(value):
        raise ValueError(f"{value!r} is not a WeCom userid: letters, digits, _ . @ - (at most 64)")
    return value


def mobile(value: str) -> str:
    digits = value.replace(" ", "").replace("-", "").removeprefix("+86")
    if digits and not _MOBILE.fullmatch(digits):
        raise ValueError(f"{value!r} is not a mobile number: 11 digits starting with 1, e.g. 13800000001")
    return digits


def split_list(value: str) -> list[str]:
    """`独居老人、低保` or `a, b` → ["独居老人", "低保"]; a roster cell holds several values this way."""
    return [part for part in _LIST_SEPARATORS.split(value.strip()) if part]


def role(value: str) -> str:
    """A role code, or one of its local names from config/role_names.toml (网格员 → grid_member)."""
    found = _role_names().get(value.strip())
    if found is None:
        raise ValueError(f"unknown role {value!r}; roles are {', '.join(ROLES)} (or a name in {ROLE_NAMES_FILE.name})")
    return found


@cache
def _role_names() -> dict[str, str]:
    # Read once per process: a data file shipped with the package, not per-load state.
    names = {code: code for code in ROLES}
    for code_, words in read_role_names().items():
        if code_ in ROLES:
            names.update({word: code_ for word in words})
    return names


def post(value: str) -> str:
    """A village post's code, from its code or any of its names in config/village_posts.toml (书记 → secretary)."""
    posts = read_village_posts()
    found = posts.find(value)
    if found is None or found.kind != "post":
        held = "、".join(p.name for p in posts.held)
        raise ValueError(f"unknown post {value!r}; posts are {held} (or a name in {VILLAGE_POSTS_FILE.name})")
    return found.code


# A roster sheet names a shift by code or by the word on the duty board.
SHIFT_WORDS = {"day": "day", "night": "night", "白班": "day", "夜班": "night"}


def shift(value: str) -> str:
    found = SHIFT_WORDS.get(value.strip())
    if found is None:
        raise ValueError(f"unknown shift {value!r}; shifts are {', '.join(SHIFT_WORDS)}")
    return found


def day(value: str) -> str:
    """ "2026-12-07" (a spreadsheet date cell reads "2026-12-07 00:00:00") → "2026-12-07"."""
    text = value.strip().replace("/", "-")
    head = text.split(" ")[0]
    try:
        return date.fromisoformat(head).isoformat()
    except ValueError:
        raise ValueError(f"{value!r} is not a date like 2026-12-07") from None
