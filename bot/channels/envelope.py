"""Bounded readers for what arrives from outside: the callback envelopes and the decrypted messages.

Before the signature is checked only the envelope is read, and only to find the `Encrypt` value the
signature covers. An envelope is a flat object of a few fields, so it may hold at most a handful of
containers (a cheap byte count, before any parser runs). A decrypted message may nest, but only so
deep. Every way a reader can fail — syntax, encoding, depth, type, RecursionError — is one
`BadPayload`, which the view answers with 400.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

import defusedxml.ElementTree as SafeXml
from defusedxml.common import DefusedXmlException

ENVELOPE_CONTAINERS = 16  # `{"encrypt": …}` or `<xml><ToUserName/><Encrypt/><AgentID/></xml>`: 1 to 4
MAX_DEPTH = 16  # WeCom's deepest message (a card event's selected items) nests 5 levels


class BadPayload(ValueError):
    """A body or message we cannot read; the text is a short reason for the log (never the content)."""


# -- JSON (the AI bot) -------------------------------------------------------------------------------


def json_object(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """A JSON object nested at most max_depth deep."""
    try:
        data = json.loads(raw)
    except RecursionError:  # deeper than the interpreter allows: far deeper than max_depth
        raise BadPayload("JSON nested too deep") from None
    except (ValueError, UnicodeDecodeError, TypeError):  # JSONDecodeError is a ValueError
        raise BadPayload("not JSON") from None
    if not isinstance(data, dict):
        raise BadPayload("JSON but not an object")
    if _json_depth(data, max_depth) > max_depth:
        raise BadPayload("JSON nested too deep")
    if _holds_nul(data):  # no WeCom message has one, and PostgreSQL cannot store it in text or JSON
        raise BadPayload("JSON with a NUL character")
    return data


def _holds_nul(data: Any) -> bool:
    """Whether any key or string in it holds U+0000 (an iterative walk, like _json_depth)."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def _json_depth(data: Any, limit: int) -> int:
    """How deep containers nest (an iterative walk that stops once past limit)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return depth
        deepest = max(deepest, depth)
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def aibot_encrypt(body: bytes) -> str:
    """The `encrypt` value of an AI bot callback body, read before anything is trusted."""
    if body.count(b"{") + body.count(b"[") > ENVELOPE_CONTAINERS:
        raise BadPayload("not an envelope: too many containers")
    encrypt = json_object(body, max_depth=2).get("encrypt")
    if not isinstance(encrypt, str) or not encrypt:
        raise BadPayload("no encrypt field")
    return encrypt


# -- XML (the self-built app) --------------------------------------------------------------------------


class _DepthLimited:
    """An ElementTree parser target that refuses elements nested deeper than `limit`."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.depth = 0
        self.builder = TreeBuilder()

    def start(self, tag: str, attrib: dict[str, str]) -> Element:
        self.depth += 1
        if self.depth > self.limit:
            raise BadPayload("XML nested too deep")
        return self.builder.start(tag, attrib)

    def end(self, tag: str) -> Element:
        self.depth -= 1
        return self.builder.end(tag)

    def data(self, text: str) -> None:
        self.builder.data(text)

    def close(self) -> Element:
        return self.builder.close()


def xml_root(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Element:
    """Well-formed XML nested at most max_depth deep, without a DTD or entities (refused, never expanded)."""
    parser = SafeXml.DefusedXMLParser(
        target=_DepthLimited(max_depth), forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    try:
        parser.feed(raw)
        return parser.close()
    except BadPayload:
        raise
    except (ParseError, DefusedXmlException, RecursionError, ValueError, TypeError) as exc:
        raise BadPayload(f"not XML ({type(exc).__name__})") from None


def app_encrypt(body: bytes) -> str:
    """The `<Encrypt>` text of an app callback body, read before anything is trusted."""
    if body.count(b"<") > 2 * ENVELOPE_CONTAINERS + 2:  # each element opens and closes; one prolog
        raise BadPayload("not an envelope: too many elements")
    encrypt = xml_root(body, max_depth=2).findtext("Encrypt")
    if not encrypt:
        raise BadPayload("no Encrypt element")
    return encrypt
