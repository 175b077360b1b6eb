"""The rates' working copy of the event trail (models/rate_parts.py): one row per 件次 with its facts, each rated
request's latest rating, how far the trail has been read (one row, from nothing: the first refresh reads
every event), and the large figure sets shown again for a minute (models/rate_snapshots.py)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

from models.migration_ops import RunDialectSQL

MARK = ["INSERT INTO rate_mark (id, seen_id, gaps) VALUES (1, 0, '[]')"]

class Migration(migrations.Migration):
    dependencies = [('models', '0015_index_person_scores')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RateMark',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('seen_id', fields.BigIntField(default=0)),
                ('gaps', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'rate_mark', 'app': 'models', 'pk_attr': 'id', 'table_description': 'How far the trail has been read: every event up to `seen_id` except `gaps` (ids not yet committed).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RatePart',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('ticket_id', fields.IntField()),
                ('department_id', fields.IntField()),
                ('part_no', fields.IntField()),
                ('notified_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('respond_due', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('resolve_due', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('on_duty_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('done_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ended', fields.CharField(default='', max_length=16)),
                ('responded_on_time', fields.SmallIntField(default=0)),
                ('done_on_time', fields.SmallIntField(default=0)),
                ('respond_hours', fields.FloatField(null=True)),
                ('done_hours', fields.FloatField(null=True)),
            ],
            options={'table': 'rate_part', 'app': 'models', 'unique_together': (('ticket_id', 'department_id', 'part_no'),), 'pk_attr': 'id', 'table_description': "One department's 件次 on a ticket, as of the events read so far (rate_mark.seen_id)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RateRating',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('request_id', fields.IntField(unique=True)),
                ('rating', fields.CharField(max_length=64)),
            ],
            options={'table': 'rate_rating', 'app': 'models', 'pk_attr': 'id', 'table_description': "A request's latest rating in its `rated` events (the request's own field is joined live beside it)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RateSnapshot',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=64)),
                ('question', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('figures', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('counted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('asked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'rate_snapshot', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The figures of one question as counted at `counted_at` (models/rate_snapshots.py).'},
            bases=['Model'],
        ),
        RunDialectSQL(sqlite=MARK, postgres=MARK, reverse_sqlite=[], reverse_postgres=[]),
    ]
