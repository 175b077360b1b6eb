from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_village_tier')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PartyMember',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.OneToOneField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='party_member', on_delete=OnDelete.CASCADE)),
                ('unit', fields.CharField(default='', max_length=64)),
                ('unit_name', fields.CharField(default='', max_length=64)),
                ('unit_secretary', fields.ForeignKeyField('models.Person', source_field='unit_secretary_id', null=True, db_constraint=True, to_field='id', related_name='unit_members', on_delete=OnDelete.SET_NULL)),
                ('grid', fields.ForeignKeyField('models.Area', source_field='grid_id', db_constraint=True, to_field='id', related_name='party_members', on_delete=OnDelete.RESTRICT)),
                ('skills', fields.JSONField(default=list)),
                ('source', fields.CharField(default='org', max_length=8)),
                ('status', fields.CharField(default='confirmed', max_length=16)),
                ('registered_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('confirmed_by', fields.ForeignKeyField('models.Person', source_field='confirmed_by_id', null=True, db_constraint=True, to_field='id', related_name='member_confirmations', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'party_member', 'app': 'models', 'pk_attr': 'id', 'table_description': "One serving Party member's registration: their own unit and the grid they serve (one each)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MemberAnswer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('request', fields.ForeignKeyField('models.Request', source_field='request_id', db_constraint=True, to_field='id', related_name='member_answers', on_delete=OnDelete.CASCADE)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='member_answers', on_delete=OnDelete.CASCADE)),
                ('text', fields.TextField()),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'member_answer', 'app': 'models', 'pk_attr': 'id', 'table_description': '`答复 #1042 …`: an answer to a villager\'s question, sent as news and counted for whoever gave it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MemberGrade',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('models.PartyMember', source_field='member_id', db_constraint=True, to_field='id', related_name='grades', on_delete=OnDelete.CASCADE)),
                ('year', fields.IntField()),
                ('side', fields.CharField(max_length=8)),
                ('grade', fields.CharField(max_length=16)),
                ('by', fields.ForeignKeyField('models.Person', source_field='by_id', null=True, db_constraint=True, to_field='id', related_name='member_grades_given', on_delete=OnDelete.SET_NULL)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'member_grade', 'app': 'models', 'pk_attr': 'id', 'unique_together': (('member', 'year', 'side'),), 'table_description': "A year-end grade one side (the unit or the village) gives a member; one per side and year."},
            bases=['Model'],
        ),
    ]
