"""Where the shipped configuration lives: light enough to import without the settings' validation
(`gridwhistle classify` starts without pydantic when nothing overrides these)."""

from __future__ import annotations

from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent
DEMO_ORG_FILE = CONFIG_DIR / "demo" / "county.toml"
DEMO_POWERS_FILE = CONFIG_DIR / "demo" / "powers.toml"  # an example small-powers list (README)
DEMO_INDEX_FILE = CONFIG_DIR / "demo" / "index.toml"  # an example performance index to adapt
ROUTING_TABLE = CONFIG_DIR / "routing"  # a folder of TOML files (nlp/table_files.py); a single file works too
