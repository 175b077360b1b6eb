from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

from models.migration_ops import RunDialectSQL

# An event may change only through a sanctioned redaction: a row in event_redaction for it, and only its
# reason and data (the personal details); who, what, when and which ticket stay as they were.
SQLITE_NO_UPDATE = """CREATE TRIGGER ticket_event_no_update BEFORE UPDATE ON ticket_event
WHEN NOT (NEW.id = OLD.id AND NEW.kind = OLD.kind AND NEW.at = OLD.at
    AND NEW.ticket_id IS OLD.ticket_id AND NEW.request_id IS OLD.request_id
    AND NEW.department_id IS OLD.department_id AND NEW.actor_id IS OLD.actor_id
    AND EXISTS (SELECT 1 FROM event_redaction WHERE event_redaction.event_id = OLD.id))
BEGIN SELECT RAISE(ABORT, 'ticket_event is append-only: UPDATE refused'); END"""
SQLITE_OLD_NO_UPDATE = (
    "CREATE TRIGGER ticket_event_no_update BEFORE UPDATE ON ticket_event "
    "BEGIN SELECT RAISE(ABORT, 'ticket_event is append-only: UPDATE refused'); END"
)
# /metrics and /healthz ask for the last send WeCom accepted at every scrape: one index step, not a scan.
SENT_AT_INDEX = "CREATE INDEX outbox_message_sent_at ON outbox_message (sent_at)"
PG_FUNCTION = """CREATE OR REPLACE FUNCTION ticket_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.kind = OLD.kind AND NEW.at = OLD.at
        AND NEW.ticket_id IS NOT DISTINCT FROM OLD.ticket_id AND NEW.request_id IS NOT DISTINCT FROM OLD.request_id
        AND NEW.department_id IS NOT DISTINCT FROM OLD.department_id AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
        AND EXISTS (SELECT 1 FROM event_redaction WHERE event_redaction.event_id = OLD.id) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'ticket_event is append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END;
$$"""
PG_OLD_FUNCTION = """CREATE OR REPLACE FUNCTION ticket_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ticket_event is append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END;
$$"""

class Migration(migrations.Migration):
    dependencies = [('models', '0003_villager_notes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccessRecord',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor', fields.CharField(max_length=64)),
                ('action', fields.CharField(max_length=32)),
                ('subject', fields.CharField(db_index=True, max_length=96)),
                ('via', fields.CharField(default='command', max_length=32)),
                ('detail', fields.TextField(default='', unique=False)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'access_record', 'app': 'models', 'pk_attr': 'id', 'table_description': "One read or change of a person's or a household's record: who, when, what, how."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EventRedaction',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event', fields.ForeignKeyField('models.TicketEvent', source_field='event_id', db_constraint=True, to_field='id', related_name='redactions', on_delete=OnDelete.RESTRICT)),
                ('why', fields.CharField(max_length=32)),
                ('by', fields.CharField(max_length=64)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'event_redaction', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A sanctioned redaction of one audit-trail event: its personal details blanked, its facts kept.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Request',
            name='anonymised_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Person',
            name='left_wecom_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        RunDialectSQL(
            sqlite=["DROP TRIGGER ticket_event_no_update", SQLITE_NO_UPDATE, SENT_AT_INDEX],
            postgres=[PG_FUNCTION, SENT_AT_INDEX],
            reverse_sqlite=["DROP INDEX outbox_message_sent_at", "DROP TRIGGER ticket_event_no_update", SQLITE_OLD_NO_UPDATE],
            reverse_postgres=["DROP INDEX outbox_message_sent_at", PG_OLD_FUNCTION],
        ),
    ]
