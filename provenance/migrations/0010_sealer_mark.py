from django.db import migrations, models


# Each event records the id of the transaction that appended it (PostgreSQL fills it in;
# the ORM never names the column), so the sealer can read only the events of transactions
# it has not seen finish. The column is added without rewriting the table: events already
# there keep it empty, and a check not validated against them refuses an empty one from
# now on.
ADD_TXID = """
ALTER TABLE provenance_provenanceevent ADD COLUMN txid xid8;
ALTER TABLE provenance_provenanceevent ALTER COLUMN txid SET DEFAULT pg_current_xact_id();
ALTER TABLE provenance_provenanceevent
    ADD CONSTRAINT provenance_event_txid_set CHECK (txid IS NOT NULL) NOT VALID;
"""
DROP_TXID = """
ALTER TABLE provenance_provenanceevent DROP CONSTRAINT provenance_event_txid_set;
ALTER TABLE provenance_provenanceevent DROP COLUMN txid;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('provenance', '0009_upload_deleted_event'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditCheckpoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seq', models.PositiveBigIntegerField(help_text='The last link verified.')),
                ('hash', models.CharField(help_text="That link's hash, lowercase hex.", max_length=64)),
                ('verified', models.PositiveBigIntegerField(help_text='How many links this verification recomputed.')),
                ('incremental', models.BooleanField(help_text='Whether it started from the previous checkpoint rather than the genesis.')),
                ('verified_at', models.DateTimeField(auto_now_add=True, help_text='When it finished.')),
            ],
            options={
                'ordering': ['-verified_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='SealerMark',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('txid_bound', models.BigIntegerField(default=0, help_text='Events of transactions with a lower id are all sealed (a PostgreSQL xid8).')),
                ('legacy_checked', models.BooleanField(default=False, help_text='Whether a run has sealed every event from before transaction ids were recorded (they are read once, by the first run).')),
                ('updated_at', models.DateTimeField(auto_now=True, help_text='When the mark last moved.')),
            ],
        ),
        migrations.RunSQL(ADD_TXID, DROP_TXID),
    ]
