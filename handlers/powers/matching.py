"""Which item of the small-powers list a villager's question is about, beside the routing decision.

A message matches when the router calls it a request (an information question is one, the routing guide's
rule 2), it is not urgent nor routed to a department the list leaves alone ([match] not_for: a complaint
about a cadre goes to the discipline inspectors), it asks how something is done (a word of [match] ask), and
it names an item (its name or one of its words). The item whose words cover the most characters wins; a tie
goes to the item written first. Pure: text in, item out.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from config.powers_file import Item, PowersList
from nlp.router import Decision


@dataclass(frozen=True)
class Match:
    item: Item
    words: tuple[str, ...]  # the item's words found in the message


def folded(text: str) -> str:
    """Full-width letters and digits as half-width, lower case: 医保 is 医保 however it was typed."""
    return unicodedata.normalize("NFKC", text).lower()


def asks(powers: PowersList, text: str) -> bool:
    plain = folded(text)
    return any(folded(word) in plain for word in powers.ask)


def item_of(powers: PowersList, text: str) -> Match | None:
    """The item the text names most fully, whatever the routing said."""
    plain = folded(text)
    best: Match | None = None
    best_cover = 0
    for item in powers.items:
        found = tuple(w for w in dict.fromkeys((item.name, *item.words)) if folded(w) in plain)
        cover = sum(len(w) for w in found)
        if cover > best_cover:
            best, best_cover = Match(item, found), cover
    return best


def match_question(powers: PowersList, text: str, decision: Decision) -> Match | None:
    """The item a question is about, or None: not a request, urgent, not asked as a question, or no item."""
    if not decision.is_request or decision.urgency == "urgent" or decision.primary in powers.not_for:
        return None
    if not asks(powers, text):
        return None
    return item_of(powers, text)
