from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0012_long_connection')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PowerAnswer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('request', fields.OneToOneField('models.Request', source_field='request_id', db_constraint=True, to_field='id', related_name='power_answer', on_delete=OnDelete.CASCADE)),
                ('item', fields.CharField(max_length=32)),
                ('village', fields.ForeignKeyField('models.Area', source_field='village_id', db_constraint=True, to_field='id', related_name='power_answers', on_delete=OnDelete.RESTRICT)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'power_answer', 'app': 'models', 'pk_attr': 'id', 'table_description': "A request answered from the list: which item, in which village (the record's 'questions by item')."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PowerFlow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('item', fields.CharField(max_length=32)),
                ('item_name', fields.CharField(max_length=64)),
                ('village', fields.ForeignKeyField('models.Area', source_field='village_id', db_constraint=True, to_field='id', related_name='power_flows', on_delete=OnDelete.RESTRICT)),
                ('subject', fields.TextField()),
                ('started_by', fields.ForeignKeyField('models.Person', source_field='started_by_id', null=True, db_constraint=True, to_field='id', related_name='power_flows', on_delete=OnDelete.SET_NULL)),
                ('started_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('status', fields.CharField(default='running', max_length=16)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'power_flow', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One use of a flow item in a village: `权力 启动 大额资金 修缮村部 8万元`.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PowerStep',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('flow', fields.ForeignKeyField('models.PowerFlow', source_field='flow_id', db_constraint=True, to_field='id', related_name='steps', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('name', fields.CharField(max_length=64)),
                ('who', fields.CharField(default='', max_length=64)),
                ('post', fields.CharField(max_length=32)),
                ('what', fields.TextField(default='')),
                ('days', fields.IntField()),
                ('public', fields.BooleanField(default=False)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('state', fields.CharField(default='pending', max_length=16)),
                ('done_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('done_by', fields.ForeignKeyField('models.Person', source_field='done_by_id', null=True, db_constraint=True, to_field='id', related_name='power_steps', on_delete=OnDelete.SET_NULL)),
                ('result', fields.TextField(default='')),
            ],
            options={'table': 'power_step', 'app': 'models', 'pk_attr': 'id', 'unique_together': (('flow', 'position'),), 'table_description': 'A step of a flow, copied from the list when the flow started (a later edit of the list does not move it).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PowerEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('flow', fields.ForeignKeyField('models.PowerFlow', source_field='flow_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField(null=True)),
                ('kind', fields.CharField(max_length=32)),
                ('actor', fields.ForeignKeyField('models.Person', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='power_events', on_delete=OnDelete.SET_NULL)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('data', fields.JSONField(default=dict)),
            ],
            options={'table': 'power_event', 'app': 'models', 'pk_attr': 'id', 'table_description': "The flow's trail: who did what, when; never edited."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PowerWarning',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('flow', fields.ForeignKeyField('models.PowerFlow', source_field='flow_id', db_constraint=True, to_field='id', related_name='warnings', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('kind', fields.CharField(max_length=16)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'power_warning', 'app': 'models', 'pk_attr': 'id', 'unique_together': (('flow', 'position', 'kind'),), 'table_description': 'A 失责预警 raised: unique per flow, step and kind, so it is raised once.'},
            bases=['Model'],
        ),
    ]
