"""The local names a roster may give a role (config/role_names.toml: 网格员 → grid_member), as data.

The org loader (models/org) turns them into its lookup; it checks the role codes itself.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROLE_NAMES_FILE = Path(__file__).resolve().parent / "role_names.toml"


def read_role_names(path: Path = ROLE_NAMES_FILE) -> dict[str, list[str]]:
    """{role code: [local names]} as the file writes them."""
    with path.open("rb") as fh:
        return tomllib.load(fh)
