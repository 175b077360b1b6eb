"""request.forward_after_backlog: a matter recorded in a backlog that is not urgent is answered at once and sent on
(to the grid, the village or the township) once the inbox's backlog is cleared, so that in a flood every villager
hears back before the cadres' cards are made. The flag is the promise that it will be sent on: set in the
statement that records the request, cleared in the transaction that sends it on; a partial index finds the few
rows that carry it (a crash in between leaves them to the next start)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from models.migration_ops import RunDialectSQL

SQLITE = ["CREATE INDEX request_forward_after_backlog ON request (id) WHERE forward_after_backlog"]
POSTGRES = SQLITE
DROP = ["DROP INDEX request_forward_after_backlog"]


class Migration(migrations.Migration):
    dependencies = [("models", "0020_outbox_due_order")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Request",
            name="forward_after_backlog",
            field=fields.BooleanField(default=False, db_default=False),
        ),
        RunDialectSQL(sqlite=SQLITE, postgres=POSTGRES, reverse_sqlite=DROP, reverse_postgres=DROP),
    ]
