"""The PostgreSQL writer: each chunk's staged rows are COPYed into a temporary staging
table, then written with a few set-based statements: the assets here, then their provenance
records and events by provenance's bulk writes, from a second temporary table listing what
was decided.

Status changes implement `catalog.lifecycle.after_decision` in SQL, for the decisions an
import makes (accepted, or a rejection reason; never embargoed); tests/catalog/
test_pd12m.py checks both writers against that function on every combination of status,
previous decision, new decision and URL change:

- taken down and withdrawn assets are left alone (no metadata, record or event);
- rejected: `rejected` with the reason;
- accepted at a new URL: `candidate`, cloned again;
- accepted again, the previous decision accepted too: the status and reason cloning gave
  it stay (published, or rejected as a duplicate, an unreadable file ...);
- accepted after anything else: `candidate`, and cloned again unless the previous
  decision was an embargo.

An asset cloned and not cloned again keeps its measured width, height and media type."""

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from catalog.lifecycle import ACCEPTED, EMBARGOED, FINAL_STATUSES
from catalog.locks import INGEST_WRITE, advisory_xact_lock
from catalog.models import AssetStatus, CloneState
from catalog.pd12m.staging import STAGING_COLUMNS, Staged
from catalog.pg_settings import set_local
from provenance.models import EventKind
from provenance.services import events_append_from, records_upsert_from

STAGING = "pd12m_staging"
DECIDED = "pd12m_decided"  # the staged rows written, with which need a record or event
_COPY_TYPES = ["int4" if column in ("width", "height") else "text" for column in STAGING_COLUMNS]
_FINAL = "(" + ", ".join(f"'{status}'" for status in sorted(FINAL_STATUSES)) + ")"
_DECISION = f"CASE WHEN s.reason = '' THEN '{ACCEPTED}' ELSE s.reason END"
_EVENT_KIND = (
    f"CASE WHEN s.reason = '' THEN '{EventKind.INGEST_ACCEPTED}' "
    f"ELSE '{EventKind.INGEST_REJECTED}' END"
)
# jsonb_object over text arrays: the same JSON as jsonb_build_object, in half the time.
_EVIDENCE = (
    "jsonb_object('{license,hash,source,file}', "
    "ARRAY[s.raw_license, s.raw_hash, s.raw_source, %(file)s::text])"
)
# What provenance's bulk writes read (provenance.services: RECORD_COLUMNS, EVENT_COLUMNS).
_RECORDS = (
    f"SELECT s.asset_id, %(source)s, s.record_id, '', s.url, s.institution, '', s.license, "  # noqa: S608 (constants only)
    f"{_DECISION}, {_EVIDENCE}, %(now)s, '' FROM {DECIDED} s WHERE s.record"
)
_EVENTS = (
    f"SELECT s.asset_id, {_EVENT_KIND}, s.reason, %(actor)s, "  # noqa: S608 (constants only)
    "jsonb_object('{license,source,record}', ARRAY[s.license, %(source)s::text, s.record_id]), "
    f"%(now)s FROM {DECIDED} s WHERE s.event"
)
_DECIDED_COLUMNS = (
    "asset_id, record_id, url, institution, license, reason, raw_license, raw_hash, "
    "raw_source, record, event"
)
_DECIDED_VALUES = (
    "s.asset_id, s.record_id, s.url, s.institution, s.license, s.reason, s.raw_license, "
    "s.raw_hash, s.raw_source"
)

_ASSET_COLUMNS = (
    "id, source, source_record_id, landing_url, original_url, title, creator, creator_url, "
    "description, institution, tags, creation_date, width, height, mime_type, sha256, "
    "perceptual_hash, license, status, rejection_reason, clone_state, clone_attempts, "
    "clone_error, original_key, thumbnail_key, created_at, updated_at"
)
# A new asset: after_decision(decision=...) with no current status.
_ASSET_VALUES = (
    "new_id, %(source)s, record_id, '', url, title, '', '', description, institution, "
    "'[]'::jsonb, '', width, height, mime_type, '', '', license, "
    f"CASE WHEN reason = '' THEN '{AssetStatus.CANDIDATE}' ELSE '{AssetStatus.REJECTED}' END, "
    f"reason, '{CloneState.PENDING}', 0, '', '', '', %(now)s, %(now)s"
)
# New records, the fast way: every staged row is new (the first import of a file). Each
# staged row has its asset id already (the staging table draws it from the assets'
# sequence), so what was decided needs no join. One conflict fails the statement, and the
# chunk is redone the safe way below.
_INSERT_ALL_NEW = f"""
WITH assets AS (
    INSERT INTO catalog_asset ({_ASSET_COLUMNS}) SELECT {_ASSET_VALUES} FROM {STAGING}
), s AS (
    SELECT new_id AS asset_id, * FROM {STAGING}
)
INSERT INTO {DECIDED} ({_DECIDED_COLUMNS}) SELECT {_DECIDED_VALUES}, true, true FROM s
"""  # noqa: S608 (built from constants only)
# New records, the safe way: rows whose record is in the catalog already are left to the
# update below; rows whose URL another record holds are not inserted (duplicates).
_INSERT_NEW = f"""
WITH candidates AS MATERIALIZED (
    SELECT staged.* FROM {STAGING} staged
    LEFT JOIN LATERAL (
        SELECT true AS found FROM catalog_asset a
        WHERE a.source = %(source)s AND a.source_record_id = staged.record_id
        OFFSET 0
    ) a ON true
    WHERE a.found IS NULL
), inserted AS (
    INSERT INTO catalog_asset ({_ASSET_COLUMNS}) SELECT {_ASSET_VALUES} FROM candidates
    ON CONFLICT DO NOTHING
    RETURNING id
), s AS (
    SELECT staged.new_id AS asset_id, staged.*
    FROM inserted JOIN candidates staged ON staged.new_id = inserted.id
), decided AS (
    INSERT INTO {DECIDED} ({_DECIDED_COLUMNS}) SELECT {_DECIDED_VALUES}, true, true FROM s
)
SELECT (SELECT count(*) FROM s),
    array(SELECT record_id FROM candidates WHERE new_id NOT IN (SELECT id FROM inserted))
"""  # noqa: S608 (built from constants only)


def _after_decision(previous: str) -> dict[str, str]:
    """after_decision for an existing asset `a` (not taken down or withdrawn) and its staged
    row `s`, as the SQL of each column it sets; `previous` is the SQL of the decision in the
    asset's provenance record (NULL when it has none)."""
    file_changed = "a.original_url <> s.url"
    requeued = f"(s.reason = '' AND ({file_changed} OR {previous} IS DISTINCT FROM '{ACCEPTED}'))"
    reclone = (
        f"(s.reason = '' AND ({file_changed} "
        f"OR coalesce({previous}, '') NOT IN ('{ACCEPTED}', '{EMBARGOED}')))"
    )
    # Once cloned (and not to be cloned again), our file's measurements beat the dataset's.
    measured = f"(a.clone_state = '{CloneState.DONE}' AND NOT {reclone})"
    return {
        "original_url": "s.url", "title": "s.title", "description": "s.description",
        "institution": "s.institution",
        "width": f"CASE WHEN {measured} THEN a.width ELSE s.width END",
        "height": f"CASE WHEN {measured} THEN a.height ELSE s.height END",
        "mime_type": f"CASE WHEN {measured} THEN a.mime_type ELSE s.mime_type END",
        "license": "s.license",
        "status": f"CASE WHEN s.reason <> '' THEN '{AssetStatus.REJECTED}' "
        f"WHEN {requeued} THEN '{AssetStatus.CANDIDATE}' ELSE a.status END",
        "rejection_reason": f"CASE WHEN s.reason <> '' THEN s.reason WHEN {requeued} THEN '' "
        "ELSE a.rejection_reason END",
        "clone_state": f"CASE WHEN {reclone} THEN '{CloneState.PENDING}' ELSE a.clone_state END",
        "clone_attempts": f"CASE WHEN {reclone} THEN 0 ELSE a.clone_attempts END",
    }  # fmt: skip


def _changes(previous: str) -> str:
    """Whether the staged row changes the asset."""
    new = _after_decision(previous)
    return (
        f"(({', '.join(f'a.{column}' for column in new)}) "
        f"IS DISTINCT FROM ({', '.join(new.values())}))"
    )


_SET = ", ".join(f"{column} = {sql}" for column, sql in _after_decision("s.previous").items())
# The record as the import would write it, to skip the ones that would not change (an
# upsert locks, and so writes, even the rows it leaves as they are).
_RECORD_SAME = (
    "(r.asset_id IS NOT NULL AND (r.source, r.source_record_id, r.record_url, r.original_url, "
    "r.institution, r.creator, r.license, r.decision, r.evidence) IS NOT DISTINCT FROM "
    f"(%(source)s, s.record_id, '', s.url, s.institution, '', s.license, {_DECISION}, "
    f"{_EVIDENCE}))"
)
# Rows written: neither taken down or withdrawn, nor moving to a URL another record holds.
_LIVE = f"NOT s.taken AND s.current_status NOT IN {_FINAL}"

# Records already in the catalog (not created by this chunk). The LATERAL ... OFFSET 0
# subqueries keep each look-up an index probe per staged row; the URL is looked up only for
# a record that moves to a new one, and only the assets that change are updated (the
# update checks again).
_UPDATE_EXISTING = f"""
WITH s AS MATERIALIZED (
    SELECT s.*, a.id AS asset_id, a.status AS current_status, r.decision AS previous,
        {_changes("r.decision")} AS asset_changed,
        {_RECORD_SAME} AS record_same,
        (s.url <> '' AND s.url <> a.original_url AND (
            SELECT 1 FROM catalog_asset o WHERE o.original_url = s.url AND o.original_url <> ''
            LIMIT 1
        ) IS NOT NULL) AS taken
    FROM {STAGING} s
    CROSS JOIN LATERAL (
        SELECT a.* FROM catalog_asset a
        WHERE a.source = %(source)s AND a.source_record_id = s.record_id
          AND a.created_at <> %(now)s
        OFFSET 0
    ) a
    LEFT JOIN LATERAL (
        SELECT r.* FROM provenance_provenancerecord r WHERE r.asset_id = a.id OFFSET 0
    ) r ON true
), updated AS (
    UPDATE catalog_asset a SET {_SET}, updated_at = %(now)s
    FROM s
    WHERE s.asset_changed AND {_LIVE} AND a.id = s.asset_id AND a.status NOT IN {_FINAL}
      AND {_changes("s.previous")}
    RETURNING a.id
), decided AS (
    INSERT INTO {DECIDED} ({_DECIDED_COLUMNS})
    SELECT {_DECIDED_VALUES}, NOT s.record_same, s.previous IS DISTINCT FROM {_DECISION}
    FROM s
    WHERE {_LIVE} AND (NOT s.record_same OR s.previous IS DISTINCT FROM {_DECISION})
)
SELECT (SELECT count(*) FROM updated), array(SELECT record_id FROM s WHERE s.taken)
"""  # noqa: S608 (built from constants only)

# For each chunk's transaction. A failed chunk rolls back whole and a re-run redoes it, so
# commits need not wait for the disk. Merge joins are never wanted; hash joins only where
# both sides are this chunk's rows (the new assets with their staged rows).
_SETTINGS = {
    "synchronous_commit": "off", "jit": "off", "work_mem": "256MB",
    "enable_mergejoin": "off", "enable_hashjoin": "on", "enable_memoize": "off",
}  # fmt: skip


class PostgresWriter:
    def __init__(self, *, source: str, file_name: str, actor: str):
        self.source, self.file_name, self.actor = source, file_name, actor
        self.all_new = True  # whether the last chunk had only new records

    def __enter__(self):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT " + ", ".join(f"current_setting('{name}')" for name in _SETTINGS)
            )
            self.restore = dict(zip(_SETTINGS, cursor.fetchone(), strict=True))
            cursor.execute("SELECT pg_get_serial_sequence('catalog_asset', 'id')")
            sequence = cursor.fetchone()[0]
            cursor.execute(f"DROP TABLE IF EXISTS {STAGING}, {DECIDED}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {DECIDED} (asset_id bigint NOT NULL, "
                "record_id text NOT NULL, url text NOT NULL, institution text NOT NULL, "
                "license text NOT NULL, reason text NOT NULL, raw_license text, raw_hash text, "
                "raw_source text, record boolean NOT NULL, event boolean NOT NULL)"
            )
            cursor.execute(
                f"CREATE TEMPORARY TABLE {STAGING} ("
                f"new_id bigint NOT NULL DEFAULT nextval('{sequence}'::regclass), "
                "record_id text NOT NULL, url text NOT NULL, title text NOT NULL, "
                "description text NOT NULL, width integer, height integer, "
                "mime_type text NOT NULL, institution text NOT NULL, license text NOT NULL, "
                "reason text NOT NULL, raw_license text, raw_hash text, raw_source text)"
            )
        return self

    def __exit__(self, *exc_info):
        if connection.connection is not None and not connection.needs_rollback:
            try:
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP TABLE IF EXISTS {STAGING}, {DECIDED}")
            except Exception:  # an aborted transaction: the table goes with the session
                if exc_info[0] is None:
                    raise

    def prepare(self, staged: Staged) -> Staged:
        """The rows for COPY, as tuples (called ahead, in the reading thread)."""
        staged.payload = list(staged.rows())
        return staged

    def write(self, staged: Staged) -> tuple[int, int, set[str]]:
        """Write a chunk's staged rows in one transaction: (assets created, assets updated,
        record ids skipped because another record holds their URL)."""
        params = {
            "source": self.source, "now": timezone.now(), "file": self.file_name,
            "actor": self.actor,
        }  # fmt: skip
        rows = staged.payload if staged.payload is not None else self.prepare(staged).payload
        with transaction.atomic(), connection.cursor() as cursor:
            set_local(cursor, _SETTINGS)
            cursor.execute(f"TRUNCATE {STAGING}, {DECIDED}")
            # Binary: the server reads it a third faster than CSV, and the server is the
            # bottleneck (psycopg formats the tuples in C).
            with cursor.copy(
                f"COPY {STAGING} ({', '.join(STAGING_COLUMNS)}) FROM STDIN (FORMAT binary)"
            ) as copy:
                copy.set_types(_COPY_TYPES)
                for row in rows:
                    copy.write_row(row)
            # Like ingest pages: one writer at a time, so two runs never insert the same
            # record or URL at once (the staging table is this session's own: no lock yet).
            advisory_xact_lock(INGEST_WRITE)
            created = None
            if self.all_new:
                try:
                    with transaction.atomic():
                        cursor.execute(_INSERT_ALL_NEW, params)
                    created = len(staged)
                except IntegrityError:
                    pass
            duplicates: set[str] = set()
            if created is None:
                cursor.execute(_INSERT_NEW, params)
                created, taken = cursor.fetchone()
                duplicates.update(taken)
            updated = 0
            if created + len(duplicates) < len(staged):  # some records exist already
                set_local(cursor, {"enable_hashjoin": "off"})
                cursor.execute(_UPDATE_EXISTING, params)
                updated, taken = cursor.fetchone()
                duplicates.update(taken)
            records_upsert_from(_RECORDS, params)
            events_append_from(_EVENTS, params)
            # Within a caller's transaction these would outlive the chunk: put them back.
            set_local(cursor, self.restore)
        self.all_new = created == len(staged)
        return created, updated, duplicates
