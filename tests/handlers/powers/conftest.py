"""The handlers' services with the demo county's example small-powers list switched on."""

from __future__ import annotations

from dataclasses import replace

import pytest

from config.paths import DEMO_POWERS_FILE
from config.powers_file import read_powers
from handlers.core.context import Services


@pytest.fixture
def services(services: Services) -> Services:
    return replace(services, powers=read_powers(DEMO_POWERS_FILE))
