from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0007_village_posts')]

    initial = False

    operations = [
        ops.CreateModel(
            name='IndexScore',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('year', fields.IntField(db_index=True)),
                ('village', fields.ForeignKeyField('models.Area', source_field='village_id', db_constraint=True, to_field='id', related_name='index_scores', on_delete=OnDelete.RESTRICT)),
                ('criterion', fields.CharField(max_length=32)),
                ('points', fields.FloatField()),
                ('note', fields.TextField(default='')),
                ('author', fields.ForeignKeyField('models.Person', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name='index_scores', on_delete=OnDelete.SET_NULL)),
                ('author_name', fields.CharField(default='', max_length=64)),
                ('source', fields.CharField(default='chat', max_length=8)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('corrects', fields.ForeignKeyField('models.IndexScore', source_field='corrects_id', null=True, db_constraint=True, to_field='id', related_name='corrected_by', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'index_score', 'app': 'models', 'pk_attr': 'id', 'table_description': None},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='IndexConfirmation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('year', fields.IntField()),
                ('township', fields.ForeignKeyField('models.Area', source_field='township_id', db_constraint=True, to_field='id', related_name='index_confirmations', on_delete=OnDelete.RESTRICT)),
                ('by', fields.ForeignKeyField('models.Person', source_field='by_id', null=True, db_constraint=True, to_field='id', related_name='index_confirmations', on_delete=OnDelete.SET_NULL)),
                ('by_name', fields.CharField(default='', max_length=64)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'index_confirmation', 'app': 'models', 'pk_attr': 'id', 'unique_together': (('year', 'township'),), 'table_description': 'A township committee member confirmed the township\'s villages\' results of a year: they are final.'},
            bases=['Model'],
        ),
    ]
