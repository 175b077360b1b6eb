"""Message and command handlers: one package per feature (handlers/features.py lists them), plus `core` (the
context, router, filters and card keys every feature uses) and `common` (formatting, `#N` parsing, privacy)."""
