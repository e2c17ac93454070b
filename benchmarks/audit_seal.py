"""The audit log's sealer and verifier at catalog scale, on PostgreSQL.

In one throw-away database (BENCH_DATABASE_URL), measures in the same run:

- sealing 10,000 new events when the log is empty (the baseline);
- the log then filled with `--events` events (default 10 million, written by one INSERT
  over generate_series, sealed by the sealer itself), and sealing 10,000 new events again:
  the sealer's cost should follow the new events only (target: within 1.5x the baseline);
- for reference, the anti-join over the whole log that the previous sealer ran on every
  run to find late events;
- a full verification's rate in events per second, and an incremental verification of the
  10,000 newest links.

    .venv/bin/python benchmarks/audit_seal.py [--events 10000000] [--rounds 3]

Results: docs/BENCHMARKS.md."""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import bench_database

NEW = 10_000


def append_events(count: int) -> None:
    """`count` events in one transaction, as a bulk import writes them."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO provenance_provenanceevent (asset_id, kind, reason, actor, data, "
            "created_at) SELECT n, 'ingest.accepted', '', 'benchmark', "
            "jsonb_build_object('license', 'cc0-1.0', 'source', 'benchmark', "
            "'record', n::text), now() FROM generate_series(1, %s) n",
            [count],
        )


def vacuum() -> None:
    """What autovacuum does to a table after a bulk load: visibility map and statistics."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE provenance_provenanceevent")
        cursor.execute("VACUUM ANALYZE provenance_auditseal")


def seal_new(rounds: int) -> list[float]:
    """Seconds to seal NEW fresh events, once per round."""
    from provenance.services import events_seal

    times = []
    for _ in range(rounds):
        append_events(NEW)
        started = time.perf_counter()
        sealed = events_seal()
        times.append(time.perf_counter() - started)
        if sealed != NEW:
            raise SystemExit(f"sealed {sealed:,} events, not {NEW:,}")
    return times


def old_late_event_scan() -> float:
    """Seconds of the previous sealer's per-run search for late events: an anti-join of
    every event below the highest sealed id against the seals."""
    from django.db import connection

    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            "SELECT e.id FROM provenance_provenanceevent e "
            "LEFT JOIN provenance_auditseal s ON s.event_id = e.id "
            "WHERE e.id < (SELECT max(event_id) FROM provenance_auditseal) AND s.id IS NULL"
        )
        cursor.fetchall()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with bench_database("bench_audit_seal"):
        from provenance.selectors import audit_checkpoint_latest, audit_log_verify
        from provenance.services import audit_checkpoint_record, events_seal

        vacuum()
        empty = seal_new(args.rounds)
        print(f"empty log: sealing {NEW:,} new events: "
              f"{', '.join(f'{t:.3f}' for t in empty)} s")  # fmt: skip

        started = time.perf_counter()
        append_events(args.events)
        filled = time.perf_counter() - started
        started = time.perf_counter()
        events_seal(batch_size=50_000)
        sealing_all = time.perf_counter() - started
        vacuum()
        total = args.events + NEW * args.rounds
        rate = args.events / sealing_all
        print(f"filled with {args.events:,} events in {filled:.0f} s, "
              f"sealed them in {sealing_all:.0f} s ({rate:,.0f}/s)")  # fmt: skip

        full = seal_new(args.rounds)
        print(f"log of {total:,} events: sealing {NEW:,} new events: "
              f"{', '.join(f'{t:.3f}' for t in full)} s")  # fmt: skip
        ratio = statistics.median(full) / statistics.median(empty)
        print(f"median {statistics.median(full):.3f} s against {statistics.median(empty):.3f} s "
              f"on the empty log: {ratio:.2f}x (target: within 1.5x)")  # fmt: skip
        print(f"previous sealer's late-event anti-join over the whole log: "
              f"{old_late_event_scan():.2f} s per run")  # fmt: skip

        started = time.perf_counter()
        check = audit_log_verify(chunk_size=5000)
        verifying = time.perf_counter() - started
        if not check.intact or check.unsealed:
            raise SystemExit(f"the chain does not verify: {check}")
        audit_checkpoint_record(seq=check.head_seq, hash=check.head_hash,
                                verified=check.verified, incremental=False)  # fmt: skip
        print(f"full verification: {check.verified:,} links in {verifying:.0f} s, "
              f"{check.verified / verifying:,.0f} events/s")  # fmt: skip

        append_events(NEW)
        events_seal()
        started = time.perf_counter()
        check = audit_log_verify(start=audit_checkpoint_latest())
        incremental = time.perf_counter() - started
        if not check.intact or check.verified != NEW:
            raise SystemExit(f"the incremental verification went wrong: {check}")
        print(f"incremental verification of the {NEW:,} newest links: {incremental:.2f} s")


if __name__ == "__main__":
    main()
