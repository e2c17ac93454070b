"""The revocations feed under concurrent writes, on PostgreSQL: an entry that commits
after a reader paged past its id would be lost to that reader for good, so entries must
become visible in id order. Takedowns race here in real transactions."""

import threading
import time

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from catalog.services import asset_take_down
from marketplace.downloads import downloads_grant
from marketplace.models import Revocation, Role, TokenScope
from tests.auth import token_for
from tests.marketplace.factories import stored_asset

pytestmark = pytest.mark.django_db(transaction=True)


def reader(buyer) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(buyer, scope=TokenScope.READ)}")
    return client


def read_all(client, url: str) -> tuple[list[int], str]:
    """Follow `next` from `url`; the asset ids read, and the link to resume from."""
    seen = []
    while True:
        body = client.get(url).json()
        seen += [item["asset_id"] for item in body["results"]]
        if not body["next"]:
            last = body["results"][-1]["id"] if body["results"] else None
            return seen, url if last is None else _resume(url, last)
        url = body["next"]


def _resume(url: str, last_id: int) -> str:
    from marketplace.revocations import encode_feed_cursor

    base = url.split("?")[0]
    return f"{base}?page_size=2&cursor={encode_feed_cursor(last_id)}"


def waiting_on_advisory_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return cursor.fetchone()[0] > 0


def test_a_takedown_that_commits_later_is_never_skipped(make_user):
    buyer = make_user("bob", role=Role.BUYER)
    first, second = stored_asset(), stored_asset()
    downloads_grant(buyer=buyer, asset_ids=[first.pk, second.pk], purpose="research")
    a_written, a_may_commit = threading.Event(), threading.Event()
    errors = []

    def slow_takedown():  # writes its entry, then is slow to commit
        try:
            with transaction.atomic():
                asset_take_down(asset_id=first.pk, actor="mod", reason="privacy")
                a_written.set()
                assert a_may_commit.wait(20)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    def quick_takedown():  # starts while the first is open, and would commit first
        try:
            assert a_written.wait(20)
            asset_take_down(asset_id=second.pk, actor="mod", reason="infringing")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=slow_takedown), threading.Thread(target=quick_takedown)]
    for thread in threads:
        thread.start()
    assert a_written.wait(20)
    deadline = time.monotonic() + 20
    while not waiting_on_advisory_lock():  # the second takedown waits for the first
        assert time.monotonic() < deadline, "the second takedown never waited"
        time.sleep(0.02)

    client = reader(buyer)
    seen, resume = read_all(client, "/api/v1/revocations/?page_size=2")
    assert seen == []  # neither has committed
    a_may_commit.set()
    for thread in threads:
        thread.join(30)
    assert errors == []
    later, _ = read_all(client, resume)
    assert later == [first.pk, second.pk]
    ids = dict(Revocation.objects.values_list("asset_id", "pk"))
    assert ids[first.pk] < ids[second.pk]


def test_a_reader_paging_during_many_takedowns_sees_every_entry_once(make_user):
    buyer = make_user("bob", role=Role.BUYER)
    assets = [stored_asset() for _ in range(24)]
    downloads_grant(buyer=buyer, asset_ids=[a.pk for a in assets], purpose="research")
    writers_done = threading.Event()
    seen: list[int] = []
    errors = []

    def take_down(chunk):
        try:
            for asset in chunk:
                with transaction.atomic():
                    asset_take_down(asset_id=asset.pk, actor="mod", reason="other")
                    time.sleep(0.005)  # keep the transaction open a little after its insert
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    def read():
        client, url = reader(buyer), "/api/v1/revocations/?page_size=2"
        try:
            while True:
                done = writers_done.is_set()
                got, url = read_all(client, url)
                seen.extend(got)
                if done:
                    return
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    writers = [threading.Thread(target=take_down, args=(assets[i::6],)) for i in range(6)]
    paging = threading.Thread(target=read)
    paging.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(60)
    writers_done.set()
    paging.join(60)
    assert errors == []
    assert sorted(seen) == sorted(a.pk for a in assets)  # every one, none twice


def test_a_license_racing_a_takedown_is_refused_or_in_the_feed(make_user, monkeypatch):
    """A buyer's license that has read the asset as published when a takedown starts:
    the takedown waits for it, and its feed entry names the new grant."""
    import marketplace.downloads as downloads

    buyer = make_user("bob", role=Role.BUYER)
    asset = stored_asset()
    read, may_insert = threading.Event(), threading.Event()
    insert = downloads._grants_insert
    errors = []

    def slow_insert(grants):
        read.set()  # the asset was read as licensable
        assert may_insert.wait(20)
        return insert(grants)

    monkeypatch.setattr(downloads, "_grants_insert", slow_insert)

    def license_it():
        try:
            downloads_grant(buyer=buyer, asset_ids=[asset.pk], purpose="research")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    def take_it_down():
        try:
            assert read.wait(20)
            asset_take_down(asset_id=asset.pk, actor="mod", reason="privacy")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=license_it), threading.Thread(target=take_it_down)]
    for thread in threads:
        thread.start()
    assert read.wait(20)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not waiting_on_row_lock():
        time.sleep(0.02)
    may_insert.set()
    for thread in threads:
        thread.join(30)
    assert errors == []
    [entry] = Revocation.objects.filter(buyer=buyer)
    assert entry.grant_ids == [buyer.grants.get().pk]


def waiting_on_row_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0] > 0
