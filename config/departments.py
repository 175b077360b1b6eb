"""The department codes (README "Department codes"), in their fixed order: the one list the routing table,
the org file and the models check a department against.

Codes, not names: a county names its departments in its org file (`[[departments]] name`), the routing
table in `[departments.CODE] name`, and config/department_names.toml lists the names people commonly say.
"""

from __future__ import annotations

DEPARTMENT_CODES: tuple[str, ...] = (
    "transport",
    "water",
    "agriculture",
    "civil_affairs",
    "health",
    "housing",
    "power",
    "public_security",
    "justice",
    "human_resources",
    "natural_resources",
    "ecology",
    "education",
    "market",
    "finance",
    "development_reform",
    "emergency",
    "telecom",
    "discipline",
    "village",
)
