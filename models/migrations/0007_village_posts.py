from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_duty_rosters')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PostHolder',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='posts', on_delete=OnDelete.CASCADE)),
                ('village', fields.ForeignKeyField('models.Area', source_field='village_id', db_constraint=True, to_field='id', related_name='post_holders', on_delete=OnDelete.RESTRICT)),
                ('post', fields.CharField(max_length=32)),
            ],
            options={'table': 'post_holder', 'app': 'models', 'pk_attr': 'id', 'unique_together': (('person', 'village', 'post'),), 'table_description': 'A person holding a post of a village; one person may hold several (书记 and 村委会主任, 一肩挑).'},
            bases=['Model'],
        ),
    ]
