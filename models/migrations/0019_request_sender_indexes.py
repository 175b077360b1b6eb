"""A sender's own requests found on indexes: every message asks for the sender's latest request (is this the
next piece of a burst?), and 我的诉求 and a follow-up list their open ones. The request table had no index on
who sent it, so each of those questions read every request in the asked states — in a flood, every one of
the day's; in a county, every open one.

- request (sender_id): a known person's requests;
- request (channel, sender_ref): those of a sender known only by the channel's id of them (and the same
  query's second branch for a person's requests recorded before they were known).
"""

from tortoise import migrations

from models.migration_ops import RunDialectSQL

INDEXES = [
    "CREATE INDEX request_sender ON request (sender_id)",
    "CREATE INDEX request_sender_ref ON request (channel, sender_ref)",
]
DROP = ["DROP INDEX request_sender", "DROP INDEX request_sender_ref"]


class Migration(migrations.Migration):
    dependencies = [("models", "0018_outbox_pieces")]

    initial = False

    operations = [
        RunDialectSQL(sqlite=INDEXES, postgres=INDEXES, reverse_sqlite=DROP, reverse_postgres=DROP),
    ]
