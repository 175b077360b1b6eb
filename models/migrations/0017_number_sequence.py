"""On PostgreSQL the county-wide `#1042` numbers come from a sequence (models/numbers.py): taking one no longer
locks the counter row until the taker's transaction ends, so messages handled side by side — several inbox
lanes, several processes — no longer queue there. It starts after the last number given (the counter's value,
or the highest stored number); SQLite keeps the counter row."""

from tortoise import migrations

from models.migration_ops import RunDialectSQL

SEQUENCE = [
    "CREATE SEQUENCE number_seq",
    "SELECT setval('number_seq', GREATEST(1000,"
    " (SELECT max(value) FROM counter WHERE name = 'number'),"
    " (SELECT max(number) FROM request), (SELECT max(number) FROM ticket)))",
    "DELETE FROM counter WHERE name = 'number'",
]
COUNTER = [
    "INSERT INTO counter (name, value) SELECT 'number', last_value FROM number_seq WHERE is_called",
    "DROP SEQUENCE number_seq",
]


class Migration(migrations.Migration):
    dependencies = [("models", "0016_rate_parts")]

    initial = False

    operations = [RunDialectSQL(sqlite=[], postgres=SEQUENCE, reverse_sqlite=[], reverse_postgres=COUNTER)]
