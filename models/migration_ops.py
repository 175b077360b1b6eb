"""Operations for hand-written migrations: raw SQL that differs between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.migrations.operations import RunSQL
from tortoise.migrations.schema_editor import BaseSchemaEditor


class RunDialectSQL(RunSQL):
    """Raw SQL per database dialect (`sqlite`, `postgres`), each item one whole statement.

    Each statement goes to the database on its own, as written (a trigger body keeps its ";"), inside
    the migration's transaction.
    """

    def __init__(
        self,
        *,
        sqlite: Sequence[str],
        postgres: Sequence[str],
        reverse_sqlite: Sequence[str] | None = None,
        reverse_postgres: Sequence[str] | None = None,
    ) -> None:
        reversible = reverse_sqlite is not None and reverse_postgres is not None
        super().__init__(
            {"sqlite": list(sqlite), "postgres": list(postgres)},
            {"sqlite": list(reverse_sqlite or ()), "postgres": list(reverse_postgres or ())} if reversible else None,
        )

    def describe(self) -> str:
        return "Run SQL for SQLite or PostgreSQL"

    async def _run_sql(self, state_editor: BaseSchemaEditor, sqls) -> None:
        dialect = state_editor.client.capabilities.dialect
        if dialect not in sqls:
            raise NotImplementedError(f"no SQL written for the {dialect} dialect in this migration")
        for statement in sqls[dialect]:
            if state_editor.collect_sql:
                state_editor.collected_sql.append(statement)
            else:
                await state_editor.client.execute_query(statement)
