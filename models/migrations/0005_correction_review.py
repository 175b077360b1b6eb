from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [('models', '0004_personal_data')]

    initial = False

    operations = [
        ops.AddField(
            model_name='RoutingCorrection',
            name='via',
            field=fields.CharField(default='reassign', max_length=16),
        ),
        ops.AddField(
            model_name='RoutingCorrection',
            name='review',
            field=fields.CharField(default='pending', max_length=16),
        ),
        ops.AddField(
            model_name='RoutingCorrection',
            name='reviewed_by',
            field=fields.CharField(default='', max_length=64),
        ),
        ops.AddField(
            model_name='RoutingCorrection',
            name='reviewed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
