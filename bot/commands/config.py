"""`gridwhistle config check [--config FILE]`: every configuration file checked at once, before a start.

The settings, and the files they name (policy, calendar, routing table, org file), and the shipped
data the code reads (command words, reply texts, role names). Each problem is printed naming its file
(and key or line); a calendar without holidays for this year or next is a warning. Exit 2 when there
is an error, 0 with warnings only.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot.calendar import WorkCalendar
from bot.clock import Clock
from bot.commands import add_config_arg, lexicon
from config.department_names import department_name_problems
from config.errors import ConfigError
from config.help import HELP_FILE, read_help
from config.index_file import read_index
from config.policy import load_policy
from config.powers_file import read_powers
from config.settings import Settings, load_settings
from config.skills import SKILLS_FILE, read_skills
from config.subcommands import Subcommands
from config.texts import CONFIG_DIR, CommandWords, Texts, read_toml, shown
from config.village_posts import VILLAGE_POSTS_FILE, read_village_posts, village_post_problems
from models import ROLES
from models.org import OrgFileError
from models.org.reader import read_org

COMMANDS_FILE = CONFIG_DIR / "commands.toml"
REPLIES_FILE = CONFIG_DIR / "replies.toml"
ROLE_NAMES_FILE = CONFIG_DIR / "role_names.toml"
DEPARTMENT_NAMES_FILE = CONFIG_DIR / "department_names.toml"


@dataclass
class Findings:
    """What checking one file found: a line for each error and warning, and a note on what it holds."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    note: str = ""


@dataclass
class Checked:
    what: str  # "policy", "calendar", …
    file: str  # as an admin names it: config/policy.toml
    found: Findings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("config", help="check every configuration file at once")
    actions = parser.add_subparsers(dest="config_command", required=True, metavar="{check}")
    check = actions.add_parser(
        "check", help="check the settings and every file under config/", description=__doc__.splitlines()[0]
    )
    add_config_arg(check)
    check.set_defaults(run=run_check)


def run_check(args: argparse.Namespace) -> int:
    results = list(check_all(args.config, Clock().now().date()))
    for result in results:
        found = result.found
        if not found.errors:
            print(f"ok: {result.file} ({result.what}{': ' + found.note if found.note else ''})")
        for line in found.errors:
            print(line if line[:1].isspace() else f"error: {line}")
        for line in found.warnings:
            print(f"warning: {line}")
    errors = sum(1 for r in results for line in r.found.errors if not line[:1].isspace())
    warnings = sum(len(r.found.warnings) for r in results)
    print(
        f"config check: {len(results)} files, {errors} error{'s' * (errors != 1)}, "
        f"{warnings} warning{'s' * (warnings != 1)}"
    )
    return 2 if errors else 0


def check_all(config: str | None, today: date) -> Iterator[Checked]:
    """Each file's outcome, the settings first; `today` picks the years the calendar must cover."""
    settings_file = config or "the built-in defaults"
    try:
        settings: Settings | None = load_settings(config)
    except ConfigError as exc:
        settings = None
        yield Checked("settings", settings_file, Findings(errors=_one_per_line(str(exc), settings_file)))
    else:
        yield Checked("settings", settings_file, Findings())
    if settings is not None:
        yield _checked("policy", settings.policy.file, _policy)
        yield _checked("calendar", settings.policy.calendar, lambda path: _calendar(path, today))
        yield _checked("routing table", settings.routing.table, _routing)
        yield _checked("org file", settings.org.file, _org)
        if settings.powers.file is not None:
            yield _checked("small-powers list", settings.powers.file, _powers)
        if settings.index.file is not None:
            yield _checked(
                "performance index", settings.index.file, lambda path: Findings(note=read_index(path).shape())
            )
    else:
        yield Checked(
            "policy, calendar, routing table, org file",
            settings_file,
            Findings(
                warnings=[f"{settings_file}: the files the settings name were not checked; fix the settings first"]
            ),
        )
    yield _checked("command words", COMMANDS_FILE, _commands)
    yield _checked("reply texts", REPLIES_FILE, _replies)
    yield _checked("role names", ROLE_NAMES_FILE, _role_names)
    yield _checked("department names", DEPARTMENT_NAMES_FILE, _department_names)
    yield _checked("village posts", VILLAGE_POSTS_FILE, _village_posts)
    yield _checked("skills", SKILLS_FILE, _skills)
    yield _checked("help", HELP_FILE, _help)


def _one_per_line(message: str, file: str) -> list[str]:
    """The settings' "invalid settings in F:" and its indented lines → `F: [section] key: …` each."""
    head, *rest = message.splitlines()
    if head.endswith(":") and rest and all(line[:1].isspace() for line in rest):
        return [f"{file}: {line.strip()}" for line in rest]
    return [head, *rest]


def _checked(what: str, path: Path, check: Callable[[Path], Findings]) -> Checked:
    """Run one file's check; a ConfigError it raises becomes that file's error lines."""
    try:
        found = check(path)
    except ConfigError as exc:
        found = Findings(errors=str(exc).splitlines())
    return Checked(what, shown(path), found)


def _policy(path: Path) -> Findings:
    policy = load_policy(path)
    errors = [
        f"{shown(path)}: {where}: unknown role {role!r}; roles are {', '.join(ROLES)}"
        for where, roles in policy.roles().items()
        for role in roles
        if role not in ROLES
    ]
    return Findings(errors=errors)


def _calendar(path: Path, today: date) -> Findings:
    calendar = WorkCalendar.load(path)
    missing = calendar.years_without_entries((today.year, today.year + 1))
    return Findings(
        warnings=[
            f"{shown(path)}: [holidays] {year}: no holidays; its working days skip "
            "weekends only (add that year's State Council notice)"
            for year in missing
        ],
        note=f"{len(calendar.holidays)} holidays, {len(calendar.makeup_days)} make-up days",
    )


def _routing(table: Path) -> Findings:
    """`gridwhistle lexicon check` itself, its printed verdict kept as this file's outcome."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        failed = lexicon.run_check(argparse.Namespace(file=str(table), config=None))
    if failed:
        return Findings(errors=err.getvalue().splitlines())
    return Findings(note=out.getvalue().strip().removeprefix("OK ").split(": ", 1)[-1])


def _org(path: Path) -> Findings:
    try:
        spec = read_org([path])
    except OrgFileError as exc:
        return Findings(errors=exc.problems)
    return Findings(note=f"{len(spec.areas)} areas, {len(spec.people)} people, {len(spec.households)} households")


def _powers(path: Path) -> Findings:
    powers = read_powers(path)
    example = [f"{shown(path)}: an example list ([list] example = true): adapt it before use"] if powers.example else []
    return Findings(warnings=example, note=f"{len(powers.items)} items, {len(powers.flows)} with flows")


def _commands(path: Path) -> Findings:
    words = CommandWords.load(path)
    names = set(words.by_word.values())
    subcommands = Subcommands.load_all(path)
    errors = [
        f"{shown(path)}: [subcommands.{command}]: no command {command!r} in [commands]"
        for command in subcommands
        if command not in names
    ]
    count = sum(len(table.by_word) for table in subcommands.values())
    return Findings(errors=errors, note=f"{len(words.by_word)} words, {count} subcommand words")


def _replies(path: Path) -> Findings:
    texts, errors = Texts.load(path), []
    for key, template in texts.table.items():
        try:
            list(string.Formatter().parse(template))
        except ValueError as exc:  # an unpaired { or }: the reply would fail when first sent
            errors.append(f"{shown(path)}: {key}: {exc} (write {{{{ or }}}} for a brace itself)")
    return Findings(errors=errors, note=f"{len(texts.table)} texts")


def _role_names(path: Path) -> Findings:
    errors: list[str] = []
    owner: dict[str, str] = {}
    for code, words in read_toml(path).items():
        if code not in ROLES:
            errors.append(f"{shown(path)}: {code}: unknown role code; roles are {', '.join(ROLES)}")
        elif not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            errors.append(f"{shown(path)}: {code}: should be a list of names in quotes")
        else:
            for word in words:
                if word in owner:
                    errors.append(f"{shown(path)}: {code}: {word!r} is already a name of {owner[word]}")
                owner.setdefault(word, code)
    return Findings(errors=errors, note=f"{len(owner)} names")


def _village_posts(path: Path) -> Findings:
    errors = village_post_problems(read_toml(path), shown(path))
    if errors:
        return Findings(errors=errors)
    posts = read_village_posts.__wrapped__(path)
    return Findings(
        note=f"{len(posts.posts) - len(posts.held)} organisations, {len(posts.held)} posts, {len(posts.star_rated)} rated in stars"
    )


def _skills(path: Path) -> Findings:
    table = read_skills(path)  # a ConfigError names the file and key of every mistake
    return Findings(note=f"{len(table.skills)} skills")


def _department_names(path: Path) -> Findings:
    table = read_toml(path)
    errors = department_name_problems(table, shown(path))
    return Findings(errors=errors, note=f"{sum(len(v) for v in table.values() if isinstance(v, list))} names")


def _help(path: Path) -> Findings:
    """The file itself, then its names: commands of config/commands.toml, role codes or the policy's lists."""
    read_help.cache_clear()  # checked as it is now on disk
    entries = read_help(path).entries
    commands = set(CommandWords.load(COMMANDS_FILE).by_word.values())
    places = load_policy().roles()
    errors = [
        f"{shown(path)}: [commands.{e.command}]: {name!r} is no command of {shown(COMMANDS_FILE)}"
        for e in entries
        for name in e.commands
        if name not in commands
    ]
    errors += [
        f"{shown(path)}: [commands.{e.command}] roles: {role!r} is neither a role ({', '.join(ROLES)}) "
        f"nor a list of the policy ({', '.join(places)})"
        for e in entries
        for role in e.roles
        if role not in ROLES and role not in places
    ]
    return Findings(errors=errors, note=f"{len(entries)} commands explained")
