from django.db import migrations


# The sealer's index: the events of recent transactions, in id order. Built without
# blocking the writers that append to the log meanwhile.
CREATE = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS provenance_event_txid_id "
    "ON provenance_provenanceevent (txid, id)"
)
DROP = "DROP INDEX CONCURRENTLY IF EXISTS provenance_event_txid_id"


def on_postgresql(sql):
    # The audit sealer runs on PostgreSQL only; the SQLite demo database gets no index.
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('provenance', '0009_sealer_mark'),
    ]

    operations = [migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP))]
