"""The opt-out registry: CSV import with clear per-line problems, normalized matching."""

import pytest
from django.core.management import CommandError, call_command

from catalog.models import OptOut
from catalog.optouts import InvalidOptOut, normalize_value, opted_out, optouts_import_csv

pytestmark = pytest.mark.django_db

SHA = "a" * 64


def test_import_adds_valid_rows_once_and_names_bad_lines():
    lines = [
        "kind,value,note",
        "url,HTTPS://Example.ORG/Art/1.jpg,artist email 2026-11-02",
        "domain,www.Artist-Site.net",
        f"sha256,{SHA.upper()}",
        "creator,  Jane   Doe ",
        "creator,jane doe",
        "colour,blue",
        "sha256,not-a-hash",
        "url",
    ]
    result = optouts_import_csv(lines=lines)
    assert (result.added, result.already_present) == (4, 0)  # the two Jane Does are one
    assert result.invalid == [
        "line 7: unknown kind 'colour'; use one of url, domain, sha256, creator",
        "line 8: not a hex SHA-256: 'not-a-hash'",
        "line 9: expected kind,value[,note]",
    ]
    assert set(OptOut.objects.values_list("kind", "value")) == {
        ("url", "https://example.org/Art/1.jpg"),
        ("domain", "artist-site.net"),
        ("sha256", SHA),
        ("creator", "jane doe"),
    }
    again = optouts_import_csv(lines=lines)
    assert (again.added, again.already_present) == (0, 4)


def test_domains_match_their_subdomains_but_not_lookalikes():
    OptOut.objects.create(kind="domain", value="artist-site.net")
    hits = opted_out(
        [
            ("https://cdn.artist-site.net/a.jpg", "", ""),
            ("https://artist-site.net/b.jpg", "", ""),
            ("https://notartist-site.net/c.jpg", "", ""),
            ("https://artist-site.net.evil.org/d.jpg", "", ""),
        ]
    )
    assert hits == {0, 1}


def test_values_are_validated():
    with pytest.raises(InvalidOptOut):
        normalize_value("url", "not a url")
    with pytest.raises(InvalidOptOut):
        normalize_value("domain", "localhost")
    assert normalize_value("creator", " Émile  ZOLA ") == "émile zola"


def test_import_command(tmp_path, capsys):
    path = tmp_path / "optouts.csv"
    path.write_text("domain,example.net\nbogus,row\n", encoding="utf-8")
    call_command("import_optouts", str(path))
    out, err = capsys.readouterr()
    assert "1 added, 0 already registered, 1 invalid row skipped" in out
    assert "line 2: unknown kind 'bogus'" in err
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_optouts", str(tmp_path / "missing.csv"))
