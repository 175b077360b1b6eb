from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

from models.migration_ops import RunDialectSQL

# The console's lists and counts filter requests by area and time and tickets by township and due time;
# these indexes keep each page a range scan on a county's year of data.
INDEXES = [
    "CREATE INDEX request_area_created ON request (area_id, created_at)",
    "CREATE INDEX request_created ON request (created_at)",
    "CREATE INDEX ticket_township_created ON ticket (township_id, created_at)",
    "CREATE INDEX ticket_status_resolve_due ON ticket (status, resolve_due)",
    "CREATE INDEX ticket_request ON ticket (request_id)",
    "CREATE INDEX ticket_event_kind_at ON ticket_event (kind, at)",
    "CREATE INDEX ticket_event_ticket ON ticket_event (ticket_id)",
    "CREATE INDEX ticket_event_request ON ticket_event (request_id)",
    "CREATE INDEX assignment_department ON assignment (department_id, ticket_id)",
    "CREATE INDEX household_grid ON household (grid_id)",
]
DROPS = [f"DROP INDEX {sql.split()[2]}" for sql in INDEXES]


class Migration(migrations.Migration):
    dependencies = [('models', '0010_party_members')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ConsoleSession',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='console_sessions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'console_session', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One sign-in through WeCom: valid until `expires_at` or until signed out (`ended_at`).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConsoleToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='console_tokens', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'console_token', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An API token for /api/v1/, made by `gridwhistle token create`; it reads what its person may read.'},
            bases=['Model'],
        ),
        RunDialectSQL(sqlite=INDEXES, postgres=INDEXES, reverse_sqlite=DROPS, reverse_postgres=DROPS),
    ]
