"""Fixtures for the routing engine: one jieba cache and one Router with the shipped table per session.

Building the jieba prefix dictionary from scratch takes a few seconds; every test after the first
reads the cache in the session's own directory, as the service does from its cache directory.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import DEMO_ORG_FILE, ROUTING_TABLE
from nlp.names import county_names
from nlp.router import Router


@pytest.fixture(scope="session")
def jieba_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jieba-cache")


@pytest.fixture(scope="session")
def router(jieba_cache: Path) -> Router:
    return Router.from_file(ROUTING_TABLE, county_names(DEMO_ORG_FILE), jieba_cache)
