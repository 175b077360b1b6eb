from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_constraints')]

    initial = False

    operations = [
        ops.CreateModel(
            name='KfLink',
            fields=[
                ('external_userid', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('state', fields.CharField(default='asked', max_length=16)),
                ('claimed_name', fields.CharField(default='', max_length=32)),
                ('claimed_place', fields.CharField(default='', max_length=64)),
                ('household', fields.ForeignKeyField('models.Household', source_field='household_id', null=True, db_constraint=True, to_field='id', related_name='kf_claims', on_delete=OnDelete.SET_NULL)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'kf_link', 'app': 'models', 'pk_attr': 'external_userid', 'table_description': 'A customer-service villager\'s answer to "who are you": waits for the grid member\'s one tap.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NonRequest',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharField(max_length=16)),
                ('sender_ref', fields.CharField(db_index=True, max_length=128)),
                ('sender', fields.ForeignKeyField('models.Person', source_field='sender_id', null=True, db_constraint=True, to_field='id', related_name='non_requests', on_delete=OnDelete.SET_NULL)),
                ('area', fields.ForeignKeyField('models.Area', source_field='area_id', null=True, db_constraint=True, to_field='id', related_name='non_requests', on_delete=OnDelete.SET_NULL)),
                ('kind', fields.CharField(default='text', max_length=16)),
                ('text', fields.CharField(default='', max_length=500)),
                ('media_id', fields.CharField(default='', max_length=255)),
                ('absorbed_into', fields.ForeignKeyField('models.Request', source_field='absorbed_into_id', null=True, db_constraint=True, to_field='id', related_name='absorbed', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'non_request', 'app': 'models', 'pk_attr': 'id', 'table_description': "A message the router judged not to be a request; kept minimally so the grid member's daily list can"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RequestUpdate',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('request', fields.ForeignKeyField('models.Request', source_field='request_id', db_constraint=True, to_field='id', related_name='updates', on_delete=OnDelete.CASCADE)),
                ('dedupe_key', fields.CharField(unique=True, max_length=191)),
                ('text', fields.TextField(unique=False)),
                ('route', fields.CharField(max_length=16)),
                ('outbox_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'request_update', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One piece of news for a requester; `dedupe_key` makes it impossible to tell them the same thing twice,'},
            bases=['Model'],
        ),
    ]
