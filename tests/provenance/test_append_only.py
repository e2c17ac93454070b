"""On PostgreSQL, events and seals can be inserted, never updated or deleted."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from provenance.models import AuditSeal, ProvenanceEvent
from provenance.services import events_seal
from tests.provenance.conftest import append

pytestmark = pytest.mark.django_db

TABLES = {ProvenanceEvent: "provenance_provenanceevent", AuditSeal: "provenance_auditseal"}
EDITS = {ProvenanceEvent: ("reason", "edited"), AuditSeal: ("hash", "f" * 64)}


@pytest.fixture
def rows():
    """A sealed event and its seal, and an event not sealed yet."""
    sealed, unsealed = append(2)
    events_seal(limit=1)
    return {ProvenanceEvent: unsealed, AuditSeal: AuditSeal.objects.get(event=sealed)}


def refused(table: str, operation: str):
    return pytest.raises(IntegrityError, match=f"{table} is append-only: {operation} of row")


@pytest.mark.parametrize("model", [ProvenanceEvent, AuditSeal], ids=["event", "seal"])
def test_updates_through_the_orm_are_refused(rows, model):
    row = rows[model]
    before = model.objects.filter(pk=row.pk).values().get()
    field, value = EDITS[model]
    with refused(TABLES[model], "UPDATE"), transaction.atomic():
        model.objects.filter(pk=row.pk).update(**{field: value})
    with refused(TABLES[model], "UPDATE"), transaction.atomic():
        setattr(row, field, value)
        row.save()
    assert model.objects.filter(pk=row.pk).values().get() == before


@pytest.mark.parametrize("model", [ProvenanceEvent, AuditSeal], ids=["event", "seal"])
def test_deletes_through_the_orm_are_refused(rows, model):
    with refused(TABLES[model], "DELETE"), transaction.atomic():
        rows[model].delete()
    with refused(TABLES[model], "DELETE"), transaction.atomic():
        model.objects.filter(pk=rows[model].pk).delete()
    assert model.objects.filter(pk=rows[model].pk).exists()


def test_a_sealed_event_cannot_be_deleted_through_the_orm(rows):
    with pytest.raises(ProtectedError):
        rows[AuditSeal].event.delete()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE {table} SET id = id",
        "UPDATE {table} SET id = id + 1000 WHERE id = %s",
        "DELETE FROM {table} WHERE id = %s",
    ],
)
@pytest.mark.parametrize("model", [ProvenanceEvent, AuditSeal], ids=["event", "seal"])
def test_raw_sql_updates_and_deletes_are_refused(rows, model, sql):
    table = TABLES[model]
    count = model.objects.count()
    params = [rows[model].pk] if "%s" in sql else []
    operation = sql.split()[0]
    with refused(table, operation), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.format(table=table), params)
    assert model.objects.count() == count


def test_the_error_says_what_to_do_instead(rows):
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        ProvenanceEvent.objects.filter(pk=rows[ProvenanceEvent].pk).delete()
    assert "append a new event" in error.value.__cause__.diag.message_hint


@pytest.mark.django_db(transaction=True)
def test_inserting_and_truncating_still_work(rows):
    """Tests and benchmarks empty the tables with TRUNCATE (as pytest-django's flush)."""
    append(1)
    events_seal()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE provenance_auditseal, provenance_provenanceevent")
    assert not ProvenanceEvent.objects.exists()
    assert not AuditSeal.objects.exists()
