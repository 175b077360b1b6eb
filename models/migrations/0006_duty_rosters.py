from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_correction_review')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DutySlot',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('area', fields.ForeignKeyField('models.Area', source_field='area_id', db_constraint=True, to_field='id', related_name='duty_slots', on_delete=OnDelete.CASCADE)),
                ('day', fields.DateField(db_index=True)),
                ('shift', fields.CharField(max_length=8)),
                ('post', fields.CharField(max_length=8)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='duty_slots', on_delete=OnDelete.CASCADE)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'duty_slot', 'app': 'models', 'pk_attr': 'id', 'unique_together': (('area', 'day', 'shift', 'post'),), 'table_description': 'One post of one shift of one day in one township or village, and who holds it.'},
            bases=['Model'],
        ),
    ]
