"""`optin-media`: sign in, license a collection, download its files or WebDataset shards."""

import argparse
import getpass
import json
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import httpx

from optin_media_client import __version__
from optin_media_client.api import Api, ClientError, Config, config_path
from optin_media_client.fetch import Item, Report, State, fetch_all, shard_without
from optin_media_client.receipt_verify import ReceiptInvalid, verify_receipt

EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/tiff": "tif",
    "image/gif": "gif",
}


def say(*parts) -> None:
    print(*parts, flush=True)


# --- login ------------------------------------------------------------------------------------


def cmd_login(args) -> int:
    server = args.server.rstrip("/")
    if args.token_stdin:
        token = sys.stdin.readline().strip()
    else:
        username = args.username or input("Username: ")
        password = (
            sys.stdin.readline().rstrip("\n")
            if args.password_stdin
            else getpass.getpass("Password: ")
        )
        issued = Api(server).post(
            "/api/v1/auth/token/",
            {
                "username": username,
                "password": password,
                "name": args.name,
                "scope": args.scope,
            },
        )
        token = issued["token"]
    me = Api(server, token).get("/api/v1/me/")
    path = Config(server, token).save()
    say(f"Signed in to {server} as {me.get('username', '?')}; token saved in {path} (0600).")
    return 0


# --- license ----------------------------------------------------------------------------------

# The uses of the CAWG training-and-data-mining vocabulary, as the server names them.
USES = ["data_mining", "ai_inference", "ai_generative_training", "ai_training"]


def _collection_id(value: str) -> int:
    text = value.removeprefix("collection:")
    if not text.isdigit():
        raise ClientError(f"Not a collection id: {value!r}")
    return int(text)


def cmd_license(args) -> int:
    api = Api.from_config()
    collection = _collection_id(args.collection)
    body = {"collection": collection, "purpose": args.purpose, "use": args.use}
    quote = api.post("/api/v1/downloads/quote/", body)
    granted = len(quote["free"]) + len(quote["paid"]) + len(quote["again"])
    say(f"Collection {collection}: {quote['requested']} assets")
    say(f"  new, free (base set):      {len(quote['free'])}")
    say(
        f"  new, paid (opt-in works):  {len(quote['paid'])}  "
        f"price USD {quote['price_usd']} + fees USD {quote['fee_usd']}"
    )
    say(f"  licensed already:          {len(quote['again'])}")
    if quote["refused"]:
        reasons: dict[str, int] = {}
        for reason in quote["refused"].values():
            reasons[reason] = reasons.get(reason, 0) + 1
        say(
            f"  cannot be licensed:        {len(quote['refused'])} "
            f"({', '.join(f'{n} {r}' for r, n in sorted(reasons.items()))})"
        )
    say(
        f"Total: USD {quote['total_usd']}. Quota after: {quote['quota_after']} downloads left "
        f"this period. Wallet after: USD {quote['wallet_after_usd']}."
    )
    if granted == 0:
        say("Nothing to license.")
        return 1
    if quote["wallet_frozen"] or Decimal(quote["shortfall_usd"]) > 0:
        say(f"The wallet cannot pay for this: top up USD {quote['shortfall_usd']} first.")
        return 1
    if quote["quota_after"] < 0:
        say("This is more than the quota left this period.")
        return 1
    if not args.yes:
        if not sys.stdin.isatty():
            say("Not confirmed: run it in a terminal to be asked, or add --yes.")
            return 1
        if input(f"License {granted} assets for USD {quote['total_usd']}? [y/N] ").lower() not in (
            "y",
            "yes",
        ):
            say("Nothing licensed.")
            return 1
    result = api.post(
        "/api/v1/downloads/",
        {**body, "skip_unavailable": True},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    if receipt := result.get("receipt"):
        path = Path(args.receipt or f"optin-media-receipt-{receipt['payload']['receipt_id']}.json")
        path.write_text(json.dumps(receipt, indent=1, ensure_ascii=False))
        say(f"Receipt saved in {path}: check it any time with `optin-media verify-receipt {path}`.")
    new = sum(1 for d in result["downloads"] if d["new"])
    say(
        f"Licensed {len(result['downloads'])} assets ({new} new), charged USD "
        f"{result['charged_usd']}; wallet USD {result['wallet_usd']}, "
        f"{result['quota']['remaining']} downloads left this period."
    )
    say(
        f"Next: optin-media download {collection} --to DIR, or optin-media shards {collection} "
        "--to DIR"
    )
    return 0


# --- download ---------------------------------------------------------------------------------


def _file_items(rows: list[dict]) -> list[Item]:
    return [
        Item(
            path=f"{row['id']}.{EXTENSIONS.get(row.get('mime_type') or '', 'bin')}",
            url=row["url"],
            sha256=row.get("sha256") or row.get("hash") or "",
            size=None,
            record={"asset_id": row["id"], "grant_id": row["grant_id"]},
        )
        for row in rows
    ]


def _read_manifest(url: str, folder: Path) -> list[dict]:
    response = httpx.get(url, timeout=120.0, follow_redirects=True)
    if response.status_code != 200:
        raise ClientError(f"Cannot fetch the manifest file (HTTP {response.status_code}).")
    (folder / "manifest.jsonl").write_bytes(response.content)
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def _manifest_for(api: Api, source: str, state: State, timeout: float) -> dict:
    """The manifest to download: named, or this folder's one for the collection (unless it
    has expired), or a new manifest of the collection."""
    if source.startswith("manifest:"):
        manifest_id = int(source.removeprefix("manifest:"))
        state.set_source({"kind": "manifest", "manifest_id": manifest_id})
    else:
        collection = _collection_id(source)
        previous = state.source() or {}
        if (
            previous.get("kind") == "manifest"
            and previous.get("collection") == collection
            and api.get(f"/api/v1/manifests/{previous['manifest_id']}/")["state"] != "expired"
        ):
            manifest_id = previous["manifest_id"]
        else:  # none yet, or its file was deleted after some days: files here are kept
            created = api.post("/api/v1/manifests/", {"collection": collection, "format": "jsonl"})
            manifest_id = created["id"]
            state.set_source(
                {"kind": "manifest", "collection": collection, "manifest_id": manifest_id}
            )
    return api.wait(
        f"/api/v1/manifests/{manifest_id}/",
        timeout=timeout,
        what="manifest",
        again="download the collection by its id, which builds a new manifest",
    )


def _finish(report: Report, what: str) -> int:
    say(
        f"{report.downloaded} {what} downloaded and verified ({report.bytes:,} bytes), "
        f"{report.already} already here."
    )
    if report.gone:
        say(f"{len(report.gone)} taken down since: {', '.join(sorted(report.gone)[:20])}")
    for path, why in sorted(report.failed.items()):
        say(f"FAILED {path}: {why}")
    return 1 if report.failed else 0


def cmd_download(args) -> int:
    folder = Path(args.to)
    state = State(folder)
    if Path(args.source).is_file():
        rows = [json.loads(x) for x in Path(args.source).read_text().splitlines() if x.strip()]
        report = fetch_all(
            _file_items(rows), folder, state, workers=args.workers, progress=not args.quiet
        )
        return _finish(report, "files")
    api = Api.from_config()
    manifest = _manifest_for(api, args.source, state, args.timeout)
    if manifest["skipped"]:
        say(
            f"{manifest['skipped']} assets of it are not licensed to you or were taken down: "
            "`optin-media license` licenses what is missing."
        )
    rows = _read_manifest(manifest["url"], folder)

    def renew() -> dict[str, str | None]:
        renewed = api.post(f"/api/v1/manifests/{manifest['id']}/renew/")
        return {item.path: item.url for item in _file_items(_read_manifest(renewed["url"], folder))}

    report = fetch_all(
        _file_items(rows),
        folder,
        state,
        workers=args.workers,
        refresh=renew,
        progress=not args.quiet,
    )
    return _finish(report, "files")


# --- shards -----------------------------------------------------------------------------------


def _shard_items(export: dict, index: dict) -> list[Item]:
    links = {shard["name"]: shard["url"] for shard in export["shards"]}
    return [
        Item(
            path=shard["name"],
            url=links.get(shard["name"]),
            sha256=shard["sha256"],
            size=shard["size"],
            record={"shard": True, "samples": shard["samples"]},
        )
        for shard in index["shards"]
    ]


def cmd_shards(args) -> int:
    api = Api.from_config()
    folder = Path(args.to)
    state = State(folder)
    collection = _collection_id(args.collection)
    previous = state.source() or {}
    if (
        not args.new
        and previous.get("kind") == "shards"
        and previous.get("collection") == collection
    ):
        export_id = previous["export_id"]
    else:
        export_id = api.post("/api/v1/shard-exports/", {"collection": collection})["id"]
        state.set_source({"kind": "shards", "collection": collection, "export_id": export_id})
    path = f"/api/v1/shard-exports/{export_id}/"
    export = api.wait(path, timeout=args.timeout, what="shard export")
    response = httpx.get(export["index_url"], timeout=120.0, follow_redirects=True)
    if response.status_code != 200:
        raise ClientError(f"Cannot fetch the shards' index (HTTP {response.status_code}).")
    index = response.json()
    (folder / "index.json").write_bytes(response.content)
    say(
        f"Shard export {export_id}: {export['assets']} assets in {len(index['shards'])} shards"
        + (f"; {export['skipped']} not licensed or taken down" if export["skipped"] else "")
    )

    def fresh_links() -> dict[str, str | None]:
        return {shard["name"]: shard["url"] for shard in api.get(path)["shards"]}

    report = fetch_all(
        _shard_items(export, index),
        folder,
        state,
        workers=args.workers,
        refresh=fresh_links,
        progress=not args.quiet,
    )
    if report.gone:
        say(
            "Some shards hold assets taken down since the export: run again with --new for "
            "shards without them."
        )
    return _finish(report, "shards")


# --- sync: revocations applied to a local copy ----------------------------------------------


def _latest_entries(api: Api) -> dict[int, dict]:
    """Asset id to its latest entry in the buyer's revocations feed (read oldest first),
    which says where it stands: an asset restored after a takedown may be taken down again,
    and only its last entry counts."""
    latest, page_url = {}, "/api/v1/revocations/"
    while page_url:
        page = api.get(page_url)
        for item in page["results"]:
            latest[item["asset_id"]] = item
        page_url = page["next"]
    return latest


def _source_command(folder: Path, state: State) -> str:
    """The command that fetches this folder's files again."""
    source = state.source() or {}
    if source.get("kind") == "shards":
        return f"optin-media shards {source['collection']} --to {folder}"
    if source.get("collection"):
        return f"optin-media download {source['collection']} --to {folder}"
    if source.get("manifest_id"):
        return f"optin-media download manifest:{source['manifest_id']} --to {folder}"
    return f"optin-media download <collection id or manifest> --to {folder}"  # a local file


def cmd_sync(args) -> int:
    api = Api.from_config()
    folder = Path(args.to)
    state = State(folder)
    latest = _latest_entries(api)
    # Taken down or license rejected, and not restored since (a withdrawn work stays).
    revoked = {asset_id: item for asset_id, item in latest.items() if not item["still_valid"]}
    # What was removed here and whose grant holds again: restored (and maybe withdrawn since).
    restored = {asset_id for asset_id, item in latest.items() if item["still_valid"]}
    removed, rewritten, back = [], [], []
    for path, entry in sorted(state.done().items()):
        if entry.get("shard"):
            gone = [s for s in entry["samples"] if s["asset_id"] in revoked]
            out = entry.get("removed_samples", [])
            returned = [s for s in out if s["asset_id"] in restored]
            if returned:  # the shard is fetched whole again: a sync cannot put them back
                entry = {**entry, "removed_samples": [s for s in out if s not in returned]}
                state.record(entry)
                back += [(path, s["asset_id"]) for s in returned]
            if not gone or not (folder / path).exists():
                continue
            size, sha256 = shard_without(folder / path, {s["key"] for s in gone})
            kept = [s for s in entry["samples"] if s["asset_id"] not in revoked]
            out = [*entry.get("removed_samples", []), *gone]  # kept to tell a restore later
            state.record({**entry, "samples": kept, "size": size, "sha256": sha256,
                          "removed_samples": out})  # fmt: skip
            _index_update(folder, path, size, sha256, kept)
            rewritten.append((path, [s["asset_id"] for s in gone]))
        elif entry.get("removed"):
            if entry.get("asset_id") in restored:  # a later download fetches it again
                state.record({k: v for k, v in entry.items()
                              if k not in ("removed", "kind", "reason_class")})  # fmt: skip
                back.append((path, entry["asset_id"]))
        elif entry.get("asset_id") in revoked:
            (folder / path).unlink(missing_ok=True)
            item = revoked[entry["asset_id"]]
            state.record({**entry, "removed": True, "kind": item["kind"],
                          "reason_class": item["reason_class"]})  # fmt: skip
            removed.append((path, item))
    for path, item in removed:
        say(f"removed {path}: asset {item['asset_id']} {item['kind'].replace('_', ' ')}"
            + (f" ({item['reason_class']})" if item.get("reason_class") else ""))  # fmt: skip
    for path, asset_ids in rewritten:
        say(f"rewrote {path} without asset(s) {', '.join(map(str, asset_ids))}")
    for path, asset_id in back:
        say(f"restored asset {asset_id} ({path}): it is licensed to you again and can be "
            "downloaded again")  # fmt: skip
    if back:
        say(f"To fetch what was restored: {_source_command(folder, state)}")
    say(f"{len(revoked)} revocations in force; {len(removed)} files removed, "
        f"{len(rewritten)} shards rewritten, {len(back)} restored.")  # fmt: skip
    return 0


def _index_update(folder: Path, name: str, size: int, sha256: str, samples: list) -> None:
    """Keep the local index.json true to the rewritten shard."""
    path = folder / "index.json"
    if not path.exists():
        return
    index = json.loads(path.read_text())
    for shard in index["shards"]:
        if shard["name"] == name:
            shard.update(size=size, sha256=sha256, samples=samples)
    index["samples"] = sum(len(shard["samples"]) for shard in index["shards"])
    path.write_text(json.dumps(index, sort_keys=True))


# --- verify-receipt -----------------------------------------------------------------------


def cmd_verify_receipt(args) -> int:
    try:
        document = json.loads(Path(args.receipt).read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise ClientError(f"Cannot read the receipt: {error}") from None
    if isinstance(document, dict) and "receipt" in document:  # a whole download answer
        document = document["receipt"]
    source = args.keys or f"{Config.load().server}/.well-known/receipt-keys.json"
    try:
        if source.startswith(("http://", "https://")):
            response = httpx.get(source, timeout=30, follow_redirects=True)
            response.raise_for_status()
            keys = response.json()
        else:
            keys = json.loads(Path(source).read_text("utf-8"))
    except (OSError, ValueError, httpx.HTTPError) as error:
        raise ClientError(f"Cannot read the keys from {source}: {error}") from None
    try:
        verified = verify_receipt(document, keys)
    except ReceiptInvalid as error:
        say(f"The receipt does NOT verify: {error}")
        return 1
    say(f"The receipt {verified.receipt_id} verifies: signed with {verified.key_id} at "
        f"{verified.issued_at}, {verified.grants} grant(s).")  # fmt: skip
    return 0


# --- the command line -------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="optin-media", description=__doc__)
    main.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = main.add_subparsers(dest="command", required=True)

    login = commands.add_parser("login", help="sign in and save the token")
    login.add_argument("--server", required=True, help="the marketplace's address")
    login.add_argument("--username")
    login.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    login.add_argument(
        "--token-stdin", action="store_true", help="read an existing token from stdin"
    )
    login.add_argument(
        "--scope",
        default="purchase",
        choices=["read", "download", "purchase", "manage"],
        help="what the new token may do (default purchase: license paid works)",
    )
    login.add_argument("--name", default="optin-media client", help="the new token's name")
    login.set_defaults(run=cmd_login)

    license_ = commands.add_parser("license", help="license a collection, after a summary")
    license_.add_argument("collection", help="collection id")
    license_.add_argument(
        "--use",
        required=True,
        choices=USES,
        help="what the files will be used for: each opt-in work is licensed for this one use, "
        "at the price its rights holder set for it (the base set allows every use)",
    )
    license_.add_argument("--purpose", default="research", choices=["research", "commercial"])
    license_.add_argument("--yes", action="store_true", help="do not ask before spending")
    license_.add_argument("--receipt", help="where to save the license receipt (JSON)")
    license_.set_defaults(run=cmd_license)

    download = commands.add_parser("download", help="download a collection's licensed files")
    download.add_argument("source", help="collection id, manifest:<id>, or a .jsonl manifest file")
    download.add_argument("--to", required=True, help="folder to download into")
    download.set_defaults(run=cmd_download)

    shards = commands.add_parser("shards", help="download a collection as WebDataset shards")
    shards.add_argument("collection", help="collection id")
    shards.add_argument("--to", required=True, help="folder to download into")
    shards.add_argument("--new", action="store_true", help="ask for a new export")
    shards.set_defaults(run=cmd_shards)

    sync = commands.add_parser(
        "sync",
        help="apply the revocations feed: remove revoked files, rewrite shards, report "
        "restored works",
    )
    sync.add_argument("--to", required=True, help="a folder made by download or shards")
    sync.set_defaults(run=cmd_sync)

    verify = commands.add_parser("verify-receipt", help="check a license receipt offline")
    verify.add_argument("receipt", help="the receipt's JSON file (or a saved download answer)")
    verify.add_argument(
        "--keys", help="the published keys: a file or URL (default: the signed-in server's)"
    )
    verify.set_defaults(run=cmd_verify_receipt)

    for command in (download, shards):
        command.add_argument("--workers", type=int, default=8, help="downloads at once")
        command.add_argument(
            "--timeout", type=float, default=3600, help="seconds to wait for the server"
        )
        command.add_argument("--quiet", action="store_true", help="no progress bar")
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except ClientError as error:
        print(f"optin-media: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("optin-media: interrupted; run the same command again to resume.", file=sys.stderr)
        return 130


__all__ = ["config_path", "main"]
