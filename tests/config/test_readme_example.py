"""The README's full configuration example is a working settings file, and its reference lists every key."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from config.settings import Settings, load_settings

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example() -> str:
    match = re.search(r"```toml\n(# gridwhistle\.toml\n.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert match, "README.md lost its full configuration example"
    return match.group(1)


def setting_keys(model: type[BaseModel], section: str = "") -> list[tuple[str, str]]:
    keys = []
    for name, field in model.model_fields.items():
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            keys += setting_keys(field.annotation, f"{section}.{name}".lstrip("."))
        else:
            keys.append((section, name))
    return keys


def test_the_full_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "gridwhistle.toml"
    path.write_text(readme_example(), encoding="utf-8")
    settings = load_settings(path)
    assert settings.database.url.startswith("postgres://")
    assert settings.org.file == tmp_path / "county.toml"
    assert settings.alerts.admins == ["zhaolei"]


def test_the_reference_names_every_key_and_its_variable() -> None:
    text = README.read_text(encoding="utf-8")
    for section, key in setting_keys(Settings):
        env = "GRIDWHISTLE_" + "__".join(part.upper() for part in [*section.split("."), key])
        assert f"`[{section}] {key}`" in text and env in text, (section, key)
