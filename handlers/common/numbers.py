"""Reading the `#1042` a cadre types after a command (the dispatcher already folded ＃ and full-width digits)."""

from __future__ import annotations

import re

from config.errors import UserError

_NUMBER = re.compile(r"^#?\s*(\d{1,12})(?:号)?(?:\s+|$)")
_NUMBER_THEN_ANYTHING = re.compile(r"^#?\s*(\d+)\s*(.*)$", re.S)


def split_number(args: str, usage_key: str) -> tuple[int, str]:
    """(1042, the rest) from "#1042 the rest"; a polite usage reply (`usage_key`) when there is no number."""
    found = _NUMBER.match(args.strip())
    if found is None:
        raise UserError(usage_key)
    return int(found.group(1)), args.strip()[found.end() :].strip()


def leading_number(args: str) -> tuple[int, str] | None:
    """(1042, "note") from "#1042 note" or "#1042note": the village's words, where a note may follow at once."""
    found = _NUMBER_THEN_ANYTHING.match(args)
    return (int(found.group(1)), found.group(2).strip()) if found else None
