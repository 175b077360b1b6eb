"""The handlers' services, and the service under test, with the demo county's example small-powers list on."""

from __future__ import annotations

from dataclasses import replace

import pytest

from config.paths import DEMO_POWERS_FILE
from config.powers_file import read_powers
from config.settings import PowersSettings, Settings
from handlers.core.context import Services


@pytest.fixture
def services(services: Services) -> Services:
    return replace(services, powers=read_powers(DEMO_POWERS_FILE))


@pytest.fixture
def service_settings(service_settings: Settings) -> Settings:
    """The service under test with the example list named in its settings, as the demo runs it."""
    return service_settings.model_copy(update={"powers": PowersSettings(file=DEMO_POWERS_FILE)})
