from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0011_console')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AibotLink',
            fields=[
                ('bot_id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('state', fields.CharField(default='down', max_length=16)),
                ('holder', fields.CharField(default='', max_length=128)),
                ('up_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('down_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reconnects', fields.IntField(default=0)),
                ('last_frame_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('displaced_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('outage_alerted', fields.BooleanField(default=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'aibot_link', 'app': 'models', 'pk_attr': 'bot_id', 'table_description': "The AI bot's long connection as every process sees it."},
            bases=['Model'],
        ),
    ]
