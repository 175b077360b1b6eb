"""A flood of messages at once: urgent sends first, and the queries a burst repeats kept on indexes.

- outbox_message.priority: urgent notices and answers are claimed before the rest (0 normal, 1 urgent);
- outbox_message (status, priority, not_before): the worker's claim reads due rows in that order;
- outbox_message (kind, target, sent_at): a recipient's rate budget counts its recent sends;
- request (area_id, primary, created_at) for open, unmerged rows: the same matter in a hamlet is found
  among the day's open reports of that place and department, not by scanning the day's requests.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from models.migration_ops import RunDialectSQL

INDEXES = [
    "CREATE INDEX outbox_message_claim ON outbox_message (status, priority, not_before)",
    "CREATE INDEX outbox_message_budget ON outbox_message (kind, target, sent_at)",
    'CREATE INDEX request_same_matter ON request (area_id, "primary", created_at) WHERE merged_into_id IS NULL',
]
DROP = ["DROP INDEX outbox_message_claim", "DROP INDEX outbox_message_budget", "DROP INDEX request_same_matter"]


class Migration(migrations.Migration):
    dependencies = [("models", "0013_small_powers")]

    initial = False

    operations = [
        ops.AddField(model_name="OutboxMessage", name="priority", field=fields.SmallIntField(default=0, db_default=0)),
        RunDialectSQL(sqlite=INDEXES, postgres=INDEXES, reverse_sqlite=DROP, reverse_postgres=DROP),
    ]
