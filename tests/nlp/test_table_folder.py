"""A routing table as a folder: its files merged in a fixed order, the same table as one file, and every
mistake named by its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.departments import DEPARTMENT_CODES
from config.errors import ConfigError
from config.settings import ROUTING_TABLE
from nlp.learned import URGENCY_KIND
from nlp.lexicon import load_table, parse_table
from nlp.router import table_models
from nlp.table_files import FOLDER_FILES, table_files

FILES = {
    "scoring.toml": "[scoring]\nrequest_threshold = 3.0\n",
    "learned.toml": '[learned]\nurgency_model = "urgency.json"\n',
    "cues.toml": '[cues.ask]\nweight = 2.0\nwords = ["咋整", "啥时候"]\n',
    "water.toml": (
        '[departments.water]\nname = "水务局"\n\n'
        '[departments.water.terms.no_water]\nweight = 6.0\nwords = ["停水", "没水"]\n'
    ),
    "power.toml": (
        '[departments.power]\nname = "供电公司"\n\n'
        '[departments.power.terms.outage]\nweight = 6.0\nwords = ["停电", "路灯"]\n\n'
        '[departments.power.terms.telltale]\nweight = 0.5\nanywhere = true\nwords = ["电"]\n'
    ),
    "village.toml": (
        '[departments.village]\nname = "村两委"\n\n'
        '[departments.village.terms.neighbours]\nweight = 5.0\nwords = ["邻居"]\n\n'
        '[departments.village.terms.quarrels]\nweight = 2.0\nwords = ["吵架",\n         "骂人"]\n'
    ),
    "sets.toml": '[sets.past]\nwords = ["去年", "上回"]\n',
    "rules.toml": '[[rules]]\nname = "quarrels"\nall = [["吵架"]]\nnone = ["@past"]\nprimary = "village"\n',
    "synonyms.toml": '[synonyms]\n"路灯" = ["路登"]\n',
}


def write_folder(folder: Path, files: dict[str, str] = FILES) -> Path:
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def error_for(folder: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_table(folder)
    return str(caught.value)


def test_a_folder_is_its_files_written_one_after_another(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "routing")
    ordered = [name for name, _ in FOLDER_FILES if name in FILES]
    single = parse_table("\n".join(FILES[name] for name in ordered), "one.toml")
    assert load_table(folder) == single


def test_departments_come_in_the_order_of_the_codes_not_of_the_file_names(tmp_path: Path) -> None:
    table = load_table(write_folder(tmp_path / "routing"))
    assert [d.code for d in table.departments] == ["water", "power", "village"]  # power.toml sorts first


def test_groups_are_named_and_rules_reach_word_sets_in_another_file(tmp_path: Path) -> None:
    table = load_table(write_folder(tmp_path / "routing"))
    power = next(d for d in table.departments if d.code == "power")
    assert [(g.name, g.words, g.anywhere) for g in power.groups] == [
        ("outage", ("停电", "路灯"), False),
        ("telltale", ("电",), True),
    ]
    assert table.rules[0].none == ("去年", "上回")
    assert table.synonyms == (("路登", "路灯"),)


def test_the_learned_models_are_named_relative_to_the_folder(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "routing")
    assert table_models(folder, load_table(folder)) == {URGENCY_KIND: folder / "urgency.json"}


def test_a_mistake_names_the_file_and_line_it_is_written_on(tmp_path: Path) -> None:
    folder = write_folder(
        tmp_path / "routing", {**FILES, "village.toml": FILES["village.toml"].replace("weight = 2.0", "weight = -2.0")}
    )
    assert error_for(folder) == (
        f"{folder / 'village.toml'}:9: departments.village.terms.quarrels.weight: must be between 0 and 20, not -2.0"
    )


def test_a_word_in_two_named_groups_names_both(tmp_path: Path) -> None:
    folder = write_folder(
        tmp_path / "routing", {**FILES, "village.toml": FILES["village.toml"].replace('"骂人"]', '"邻居"]')}
    )
    assert error_for(folder) == (
        f"{folder / 'village.toml'}:11: departments.village.terms.quarrels.words: "
        "word '邻居' is already in group neighbours of village"
    )


def test_a_rule_naming_an_unknown_word_set_points_into_the_rules_file(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "routing", {**FILES, "rules.toml": FILES["rules.toml"].replace("@past", "@now")})
    assert error_for(folder).startswith(f"{folder / 'rules.toml'}:4: rules[0].none: unknown word set '@now'")


def test_a_part_in_the_wrong_file_is_named_with_the_file_it_belongs_in(tmp_path: Path) -> None:
    folder = write_folder(
        tmp_path / "routing",
        {**FILES, "power.toml": FILES["power.toml"] + FILES["cues.toml"].replace("cues.ask", "cues.thanks")},
    )
    assert error_for(folder) == f"{folder / 'power.toml'}:12: cues: belongs in cues.toml, not in power.toml"


def test_a_department_in_another_departments_file(tmp_path: Path) -> None:
    folder = write_folder(
        tmp_path / "routing",
        {**FILES, "power.toml": FILES["power.toml"].replace("departments.power", "departments.powr")},
    )
    assert error_for(folder).startswith(f"{folder / 'power.toml'}:1: departments.powr: unknown department code 'powr'")


def test_every_broken_or_stray_file_is_listed_at_once(tmp_path: Path) -> None:
    folder = write_folder(
        tmp_path / "routing",
        {**FILES, "cues.toml": "[cues.ask\n", "water.toml": "x = = 1\n", "extra.toml": FILES["sets.toml"]},
    )
    lines = error_for(folder).splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        f"{folder / 'cues.toml'}:1",
        str(folder / "extra.toml"),
        f"{folder / 'water.toml'}:1",
    ]
    assert "TOML syntax error" in lines[0] and "TOML syntax error" in lines[2]
    assert "not a file of a routing table folder; the files are: scoring.toml, learned.toml" in lines[1]


def test_a_folder_without_departments(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "routing", {"cues.toml": FILES["cues.toml"]})
    assert error_for(folder) == f"{folder}: departments: the table needs at least one [departments.CODE]"


def test_only_toml_files_are_table_files(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "routing")
    (folder / "urgency.json").write_text("{}", encoding="utf-8")
    (folder / "README.txt").write_text("notes", encoding="utf-8")
    assert [p.name for p in table_files(folder)] == sorted(FILES)
    assert table_files(folder / "power.toml") == [folder / "power.toml"]


def test_a_single_file_may_name_its_groups_too() -> None:
    table = parse_table(FILES["power.toml"] + FILES["village.toml"], "t.toml")
    assert [g.name for d in table.departments for g in d.groups] == ["outage", "telltale", "neighbours", "quarrels"]


def test_the_shipped_folder_has_a_file_per_department_and_names_every_group() -> None:
    assert {p.name for p in table_files(ROUTING_TABLE)} == {name for name, _ in FOLDER_FILES}
    table = load_table(ROUTING_TABLE)
    assert [d.code for d in table.departments] == list(DEPARTMENT_CODES)
    words_as_names = [(d.code, g.name) for d in table.departments for g in d.groups if g.name in g.words]
    assert words_as_names == []  # every group named for what it catches, none by its first word


def test_departments_that_are_not_tables(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "routing", {**FILES, "power.toml": "departments = 3\n"})
    assert error_for(folder) == f"{folder / 'power.toml'}:1: departments: must be [departments.CODE] tables"


def test_an_empty_file_adds_nothing(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "routing", {**FILES, "water.toml": "# 水务局: no words yet\n", "masks.toml": ""})
    assert [d.code for d in load_table(folder).departments] == ["power", "village"]
