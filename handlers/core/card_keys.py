"""One typed scheme for every card button's key: `duty:on:12:transport`, `rate:7:satisfied`, …

A feature declares its key as a frozen dataclass with a `scheme` (the key's first word) and typed fields
in order; `str(key)` builds what goes on the button, and `DutyKey.parse(text)` reads a clicked key back
(the router knows which class a scheme belongs to, from the handlers registered for it). A key that does
not fit its scheme (a field missing, a number that is none, a value outside its Literal) parses to None,
and the dispatcher answers politely instead of failing.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, ClassVar, Literal, Self

SEPARATOR = ":"


@dataclasses.dataclass(frozen=True)
class CardKey:
    """Base of every button key; subclasses are frozen dataclasses of str, int and Literal fields."""

    scheme: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.scheme or SEPARATOR in cls.scheme:
            raise TypeError(f"{cls.__name__} must set a `scheme` without {SEPARATOR!r}")

    def __str__(self) -> str:
        values = [str(getattr(self, f.name)) for f in dataclasses.fields(self)]
        return SEPARATOR.join([self.scheme, *values])

    @staticmethod
    def scheme_of(key: str) -> str:
        return key.split(SEPARATOR, 1)[0]

    @classmethod
    def parse(cls, key: str) -> Self | None:
        """The key as this class; None when it is another scheme's or does not fit this one."""
        if cls.scheme_of(key) != cls.scheme:
            return None
        fields = dataclasses.fields(cls)
        parts = key.split(SEPARATOR, len(fields))[1:]  # the last field keeps any further separators
        if len(parts) != len(fields):
            return None
        hints = typing.get_type_hints(cls)
        values: dict[str, str | int] = {}
        for field, text in zip(fields, parts, strict=True):
            value = _read(hints[field.name], text)
            if value is None:
                return None
            values[field.name] = value
        return cls(**values)


def _read(hint: Any, text: str) -> str | int | None:
    if hint is int:
        return int(text) if text.isascii() and text.isdigit() else None  # int() refuses '²', isdigit() does not
    if typing.get_origin(hint) is Literal:
        return text if text in typing.get_args(hint) else None
    return text if text else None
