"""Applying the schema migrations in models/migrations/, one process at a time.

`upgrade(url)` is what `gridwhistle db upgrade`, `serve` and `demo` call at start. With several
processes on one PostgreSQL the first takes an advisory lock and migrates; the others wait for it,
then find nothing left to do.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from tortoise.context import TortoiseContext
from tortoise.exceptions import OperationalError
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget
from tortoise.migrations.schema_editor import BaseSchemaEditor, SqliteSchemaEditor

from models.db import ensure_sqlite_dir, tortoise_config
from models.locks import advisory_lock

# What `tortoise makemigrations` compares the models against (pyproject's [tool.tortoise] names it);
# the URL is irrelevant for generating migrations, so nothing is created on disk.
TORTOISE_ORM = tortoise_config("sqlite://:memory:")

MIGRATION_LOCK = "gridwhistle.migrate"


async def upgrade(url: str, *, to: str | None = None) -> list[str]:
    """Apply pending migrations; returns their names ("models.0001_initial" …), empty when up to date.

    to: stop after this migration ("0001_initial"); the tests of upgrading with data in the tables use it.
    """
    ensure_sqlite_dir(url)
    applied: list[str] = []

    def record(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            applied.append(f"{app_label}.{name}")

    async with advisory_lock(MIGRATION_LOCK, url):
        # An isolated ORM context, so upgrading never disturbs an ORM the caller has open.
        async with TortoiseContext() as ctx:
            config = tortoise_config(url)
            await ctx.init(config=config)
            executor = _Executor(ctx.connections.get("default"), config["apps"])
            targets = [MigrationTarget(app_label="models", name=to)] if to else None
            await executor.migrate(targets, direction="forward", progress=record)
    return applied


async def pending(url: str) -> list[str]:
    """Names of the migrations `upgrade` would apply."""
    ensure_sqlite_dir(url)
    async with TortoiseContext() as ctx:
        config = tortoise_config(url)
        await ctx.init(config=config)
        executor = _Executor(ctx.connections.get("default"), config["apps"])
        await executor.recorder.ensure_schema(executor._schema_editor(atomic=False))
        steps = await executor.plan()
    return [f"{step.migration.app_label}.{step.migration.name}" for step in steps if not step.backward]


async def planned(url: str) -> list[tuple[str, list[str]]]:
    """What `upgrade` would run: each pending migration's name and SQL statements. Writes nothing, not
    even the migrations table or a missing SQLite file (an absent database has everything pending)."""
    if url.startswith("sqlite://") and not sqlite_exists(url):
        url = "sqlite://:memory:"
    async with TortoiseContext() as ctx:
        config = tortoise_config(url)
        await ctx.init(config=config)
        executor = _Executor(ctx.connections.get("default"), config["apps"])
        await executor.loader.build_graph()
        try:
            applied = set(await executor.recorder.applied_migrations())
        except OperationalError:  # no migrations table yet: nothing applied
            applied = set()
        steps = [s for s in executor._migration_plan(None, applied, executor.loader.graph) if not s.backward]
        # One pass from the applied state: each step's SQL from the state its predecessors left (asking
        # tortoise per migration would replay every earlier one again, quadratic in their number).
        state = await executor._project_state(applied)
        plan = []
        for step in steps:
            editor = executor._schema_editor(atomic=False, collect_sql=True)
            await step.migration.apply(state, schema_editor=editor, collect_sql=True)
            plan.append((f"{step.migration.app_label}.{step.migration.name}", editor.collected_sql))
        return plan


def sqlite_exists(url: str) -> bool:
    path = url.removeprefix("sqlite://").split("?", 1)[0]
    return path == ":memory:" or Path(path).is_file()


class _Executor(MigrationExecutor):
    def _schema_editor(self, atomic: bool = True, collect_sql: bool = False) -> BaseSchemaEditor:
        editor = super()._schema_editor(atomic=atomic, collect_sql=collect_sql)
        if isinstance(editor, SqliteSchemaEditor):
            return _SqliteSchemaEditor(self.connection, atomic=atomic, collect_sql=collect_sql)
        return editor


class _SqliteSchemaEditor(SqliteSchemaEditor):
    """Tortoise splits SQLite scripts at every ';' — also inside the table comments it makes from
    docstrings ("…; `code` is the org file's key") and inside trigger bodies. Split where SQLite
    itself says a statement is complete instead."""

    async def _run_sql(self, sql: str) -> None:
        if self.collect_sql or not self.atomic_migration:
            await super()._run_sql(sql)
            return
        for statement in sqlite_statements(sql):
            await self.client.execute_query(statement)


def sqlite_statements(script: str) -> Iterator[str]:
    """The complete statements of a script, by SQLite's own tokenizer (comments, strings, BEGIN…END)."""
    current = ""
    for piece in script.split(";"):
        current += piece + ";"
        if sqlite3.complete_statement(current):
            statement = current.strip().removesuffix(";").strip()
            if statement:
                yield statement
            current = ""
    rest = current.removesuffix(";").strip()
    if rest:
        yield rest
