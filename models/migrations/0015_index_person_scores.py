from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [('models', '0014_flood_indexes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='IndexScore',
            name='person',
            field=fields.ForeignKeyField('models.Person', source_field='person_id', null=True, db_constraint=True, to_field='id', related_name='index_person_scores', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='IndexScore',
            name='person_name',
            field=fields.CharField(default='', max_length=64),
        ),
    ]
