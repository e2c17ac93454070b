"""The opt-out registry: normalizing entries, importing them in bulk (the formats are in
`catalog.optout_formats`) and matching records against them."""

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.db import transaction
from django.db.models import Q

from catalog.models import OptOut, OptOutKind
from catalog.optout_formats import Problem, read_entries

OPT_OUT = "opt_out"


class InvalidOptOut(ValueError):
    pass


def normalize_url(url: str) -> str:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme.lower(), host, parts.path or "/", parts.query, ""))


def normalize_domain(domain: str) -> str:
    domain = domain.strip().lower().rstrip(".")
    if "//" in domain:
        domain = urlsplit(domain).hostname or ""
    return domain.removeprefix("www.")


def normalize_creator(name: str) -> str:
    return " ".join(name.split()).casefold()


def normalize_value(kind: str, value: str) -> str:
    if kind == OptOutKind.URL:
        normalized = normalize_url(value)
        if not urlsplit(normalized).hostname:
            raise InvalidOptOut(f"not a URL: {value!r}")
    elif kind == OptOutKind.DOMAIN:
        normalized = normalize_domain(value)
        if "." not in normalized:
            raise InvalidOptOut(f"not a domain: {value!r}")
    elif kind == OptOutKind.SHA256:
        normalized = value.strip().lower()
        if len(normalized) != 64 or any(c not in "0123456789abcdef" for c in normalized):
            raise InvalidOptOut(f"not a hex SHA-256: {value!r}")
    elif kind == OptOutKind.CREATOR:
        normalized = normalize_creator(value)
    else:
        raise InvalidOptOut(f"unknown kind {kind!r}; use one of {', '.join(OptOutKind.values)}")
    if not normalized:
        raise InvalidOptOut(f"empty {kind}")
    return normalized


def _domains_of(url: str) -> list[str]:
    """The URL's host and each parent domain: a.b.example.org -> itself, b.example.org, ..."""
    host = normalize_domain(urlsplit(url).hostname or "")
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


@dataclass(frozen=True)
class OptOutQuery:
    urls: set[str]
    domains: set[str]
    creators: set[str]
    sha256s: set[str]


def _registry_hits(query: OptOutQuery) -> set[tuple[str, str]]:
    condition = Q(pk__in=[])
    for kind, values in (
        (OptOutKind.URL, query.urls),
        (OptOutKind.DOMAIN, query.domains),
        (OptOutKind.CREATOR, query.creators),
        (OptOutKind.SHA256, query.sha256s),
    ):
        if values:
            condition |= Q(kind=kind, value__in=values)
    return set(OptOut.objects.filter(condition).values_list("kind", "value"))


def opted_out(records: Iterable[tuple[str, str, str]]) -> set[int]:
    """Indexes of the (url, creator, sha256) records that match the registry (one query)."""
    records = list(records)
    keys = [
        (
            [normalize_url(url)] if url else [],
            _domains_of(url) if url else [],
            normalize_creator(creator) if creator else "",
            sha256.lower(),
        )
        for url, creator, sha256 in records
    ]
    hits = _registry_hits(
        OptOutQuery(
            urls={u for k in keys for u in k[0]},
            domains={d for k in keys for d in k[1]},
            creators={k[2] for k in keys if k[2]},
            sha256s={k[3] for k in keys if k[3]},
        )
    )
    if not hits:
        return set()
    return {
        index
        for index, (urls, domains, creator, sha256) in enumerate(keys)
        if any((OptOutKind.URL, u) in hits for u in urls)
        or any((OptOutKind.DOMAIN, d) in hits for d in domains)
        or (OptOutKind.CREATOR, creator) in hits
        or (OptOutKind.SHA256, sha256) in hits
    }


@dataclass
class OptOutImport:
    added: int = 0
    already_present: int = 0
    invalid: list[str] | None = None


def optouts_import_csv(*, lines: Iterable[str]) -> OptOutImport:
    """Import `kind,value[,note]` rows (a header row is allowed)."""
    return optouts_import(lines=lines, fmt="csv")


@transaction.atomic
def optouts_import(
    *, lines: Iterable[str], fmt: str, domain: str = "", note: str = ""
) -> OptOutImport:
    """Import opt-outs in one of `optout_formats.FORMATS` (`csv`, `list`, `dnt`, `ai.txt`
    for `domain`). Invalid lines are reported with their number and skipped; valid entries
    are added once."""
    result = OptOutImport(invalid=[])
    entries: dict[tuple[str, str], str] = {}
    for item in read_entries(lines, fmt=fmt, domain=domain, note=note):
        if isinstance(item, Problem):
            result.invalid.append(str(item))
            continue
        try:
            value = normalize_value(item.kind, item.value)
        except InvalidOptOut as exc:
            result.invalid.append(str(Problem(item.line, str(exc))))
            continue
        entries[(item.kind, value)] = item.note[:500]
    existing = _registry_hits(
        OptOutQuery(
            urls={v for k, v in entries if k == OptOutKind.URL},
            domains={v for k, v in entries if k == OptOutKind.DOMAIN},
            creators={v for k, v in entries if k == OptOutKind.CREATOR},
            sha256s={v for k, v in entries if k == OptOutKind.SHA256},
        )
    )
    new = [
        OptOut(kind=k, value=v, note=entries[(k, v)]) for k, v in entries if (k, v) not in existing
    ]
    OptOut.objects.bulk_create(new, ignore_conflicts=True)
    result.added = len(new)
    result.already_present = len(entries) - len(new)
    return result
