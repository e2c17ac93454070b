from django.db import migrations


# The sealer's index: the events of recent transactions, in id order. Built without
# blocking the writers that append to the log meanwhile.
CREATE = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS provenance_event_txid_id "
    "ON provenance_provenanceevent (txid, id)"
)
DROP = "DROP INDEX CONCURRENTLY IF EXISTS provenance_event_txid_id"


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('provenance', '0010_sealer_mark'),
    ]

    operations = [migrations.RunSQL(CREATE, DROP)]
