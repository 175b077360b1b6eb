"""Rules the ORM cannot declare, kept by the database itself:

- one primary department per ticket (a partial unique index);
- ticket_event is append-only: UPDATE and DELETE (and TRUNCATE on PostgreSQL) are refused, with an
  integrity error, whatever client tries.
"""

from tortoise import migrations

from models.migration_ops import RunDialectSQL

ONE_PRIMARY = "CREATE UNIQUE INDEX assignment_one_primary ON assignment (ticket_id) WHERE is_primary"
# SQLite stores booleans as 0/1 and PostgreSQL as boolean; a bare `WHERE is_primary` is true for both.

PG_APPEND_ONLY_FUNCTION = """
CREATE FUNCTION ticket_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ticket_event is append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END
$$
"""


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    initial = False

    operations = [
        RunDialectSQL(
            sqlite=[
                ONE_PRIMARY,
                "CREATE TRIGGER ticket_event_no_update BEFORE UPDATE ON ticket_event "
                "BEGIN SELECT RAISE(ABORT, 'ticket_event is append-only: UPDATE refused'); END",
                "CREATE TRIGGER ticket_event_no_delete BEFORE DELETE ON ticket_event "
                "BEGIN SELECT RAISE(ABORT, 'ticket_event is append-only: DELETE refused'); END",
            ],
            postgres=[
                ONE_PRIMARY,
                PG_APPEND_ONLY_FUNCTION,
                "CREATE TRIGGER ticket_event_no_change BEFORE UPDATE OR DELETE ON ticket_event "
                "FOR EACH ROW EXECUTE FUNCTION ticket_event_append_only()",
                "CREATE TRIGGER ticket_event_no_truncate BEFORE TRUNCATE ON ticket_event "
                "FOR EACH STATEMENT EXECUTE FUNCTION ticket_event_append_only()",
            ],
            reverse_sqlite=[
                "DROP TRIGGER ticket_event_no_delete",
                "DROP TRIGGER ticket_event_no_update",
                "DROP INDEX assignment_one_primary",
            ],
            reverse_postgres=[
                "DROP TRIGGER ticket_event_no_truncate ON ticket_event",
                "DROP TRIGGER ticket_event_no_change ON ticket_event",
                "DROP FUNCTION ticket_event_append_only()",
                "DROP INDEX assignment_one_primary",
            ],
        ),
    ]
