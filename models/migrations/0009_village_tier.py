from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [('models', '0008_performance_index')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CountySetting',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('county', fields.OneToOneField('models.Area', source_field='county_id', db_constraint=True, to_field='id', related_name='county_setting', on_delete=OnDelete.CASCADE)),
                ('village_tier', fields.BooleanField(default=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'county_setting', 'app': 'models', 'pk_attr': 'id', 'table_description': "A county's switches from its org file's `[county]` table; one row per county, written by every load."},
            bases=['Model'],
        ),
    ]
