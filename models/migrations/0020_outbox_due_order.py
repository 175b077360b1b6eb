"""The outbox's due rows read in the order they are claimed: urgent first, then the longest due.

The claim asks for pending rows by `priority` descending, then `not_before` and `id` ascending; the index of
0014 keeps `priority` ascending, so the database read every pending row and sorted them at each claim (in a
flood two thousand rows, some 0.7 ms a claim, with the claim lock held). With `priority DESC` in the index the
claim reads the rows in its own order and stops at its limit.
"""

from tortoise import migrations

from models.migration_ops import RunDialectSQL

FORWARD = [
    "CREATE INDEX outbox_message_due ON outbox_message (status, priority DESC, not_before, id)",
    "DROP INDEX outbox_message_claim",
]
REVERSE = [
    "CREATE INDEX outbox_message_claim ON outbox_message (status, priority, not_before)",
    "DROP INDEX outbox_message_due",
]


class Migration(migrations.Migration):
    dependencies = [("models", "0019_request_sender_indexes")]

    initial = False

    operations = [
        RunDialectSQL(sqlite=FORWARD, postgres=FORWARD, reverse_sqlite=REVERSE, reverse_postgres=REVERSE),
    ]
