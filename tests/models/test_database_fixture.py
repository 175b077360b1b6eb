"""The shared fixtures give each test its own migrated, empty database."""

from models import Area, Counter


async def test_each_test_starts_empty_and_migrated(db: str) -> None:
    assert await Area.all().count() == 0
    await Area.create(code="longjiang", name="龙江县", level="county")
    assert await Area.filter(code="longjiang").exists()


async def test_a_second_test_does_not_see_the_first_ones_rows(db: str) -> None:
    assert await Area.all().count() == 0
    assert await Counter.all().count() == 0


def test_settings_point_at_the_tests_database(settings, database_url: str) -> None:
    assert settings.database.url == database_url
