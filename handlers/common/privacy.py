"""Masking for groups: the one implementation lives in nlp.privacy, because the router reads messages
with the same details hidden (nlp may not import handlers). Features import it from here or there."""

from nlp.privacy import mask_phone, mask_private

__all__ = ["mask_phone", "mask_private"]
