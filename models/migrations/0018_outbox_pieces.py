"""outbox_message.pieces: how many messages WeCom counted for a sent row (a long text is split into several;
until now read from WeCom's answer, `result.msgids`). A claim adds up a recipient's sends of the last hour in
the database instead of reading each one: that read grew with every send to a busy cadre. Rows already sent
get their count from their answer."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from models.migration_ops import RunDialectSQL

SQLITE = [
    "UPDATE outbox_message SET pieces = json_array_length(result, '$.msgids')"
    " WHERE status = 'sent' AND json_type(result, '$.msgids') = 'array' AND json_array_length(result, '$.msgids') > 1"
]
POSTGRES = [
    "UPDATE outbox_message SET pieces = jsonb_array_length(result -> 'msgids')"
    " WHERE status = 'sent' AND jsonb_typeof(result -> 'msgids') = 'array' AND jsonb_array_length(result -> 'msgids') > 1"
]


class Migration(migrations.Migration):
    dependencies = [("models", "0017_number_sequence")]

    initial = False

    operations = [
        ops.AddField(model_name="OutboxMessage", name="pieces", field=fields.SmallIntField(default=1, db_default=1)),
        RunDialectSQL(sqlite=SQLITE, postgres=POSTGRES, reverse_sqlite=[], reverse_postgres=[]),
    ]
