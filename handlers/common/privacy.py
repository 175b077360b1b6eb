"""Masking what must never appear in full in a group: phone numbers, ID numbers, house addresses."""

from __future__ import annotations

import re

# An 18-digit resident ID (last character may be X), not inside a longer run of digits.
_ID_NUMBER = re.compile(r"(?<!\d)(\d{4})\d{10}(\d{3}[\dXx])(?!\d)")
# A mainland mobile number, with optional spaces or dashes after the 3rd and 7th digits.
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)[ -]?\d{4}[ -]?(\d{4})(?!\d)")
# A landline such as 0452-1234567.
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})-?\d{3,4}(\d{4})(?!\d)")
# House numbers: 17号, 3栋, 203室, 2单元, 5号楼 — the digits say which door, so they go.
_HOUSE_NUMBER = re.compile(r"\d+(?=\s*(?:号楼|号院|号|栋|幢|室|单元))")


def mask_phone(number: str) -> str:
    """138****0001; a number too short to be a phone is left as it is."""
    digits = re.sub(r"\D", "", number)
    if len(digits) < 7:
        return number
    return f"{digits[:3]}****{digits[-4:]}"


def mask_private(text: str) -> str:
    """The text as it may be posted to a group."""
    text = _ID_NUMBER.sub(lambda m: f"{m.group(1)}**********{m.group(2)}", text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    text = _LANDLINE.sub(lambda m: f"{m.group(1)}-****{m.group(2)}", text)
    return _HOUSE_NUMBER.sub(lambda m: "*" * len(m.group(0)), text)
