"""Bulk imports into the opt-out registry in the formats people already keep: a plain list
of URLs or domains, a Do Not Train-style CSV export, and a site's ai.txt; by command and
in the admin."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from catalog.models import OptOut
from catalog.optout_formats import detect_format
from catalog.optouts import opted_out, optouts_import
from marketplace.models import Role

pytestmark = pytest.mark.django_db


def registry() -> set[tuple[str, str]]:
    return set(OptOut.objects.values_list("kind", "value"))


def test_a_plain_list_of_urls_and_domains():
    lines = [
        "# Do not train: my sites and images",
        "artist.example",
        "https://www.Portfolio.example/",  # a whole site: its domain
        "https://cdn.example/gallery/1.jpg  # one image",
        "cdn.example/gallery/2.jpg",
        "",
        "not a domain",
    ]
    result = optouts_import(lines=lines, fmt="list", note="email 2026-11-30")
    assert result.added == 4
    assert result.invalid == ["line 7: not a domain: 'not a domain'"]
    assert registry() == {
        ("domain", "artist.example"),
        ("domain", "portfolio.example"),
        ("url", "https://cdn.example/gallery/1.jpg"),
        ("url", "https://cdn.example/gallery/2.jpg"),
    }
    assert set(OptOut.objects.values_list("note", flat=True)) == {"email 2026-11-30"}
    assert opted_out([("https://img.artist.example/x.png", "", "")]) == {0}


def test_a_do_not_train_export():
    lines = [
        "URL,Domain,Note,Date",
        "https://pics.example/a.jpg,,registered by owner,2026-01-02",
        ",Studio.example,,2026-01-03",
        "https://studio2.example/,,,",
        ",,,2026-01-04",
    ]
    result = optouts_import(lines=lines, fmt="dnt")
    assert (result.added, result.invalid) == (3, ["line 5: no url or domain"])
    assert registry() == {("url", "https://pics.example/a.jpg"), ("domain", "studio.example"),
                          ("domain", "studio2.example")}  # fmt: skip
    assert OptOut.objects.get(kind="url").note == "registered by owner"
    again = optouts_import(lines=lines, fmt="dnt")
    assert (again.added, again.already_present) == (0, 3)


def test_an_export_without_url_or_domain_columns_is_refused():
    result = optouts_import(lines=["name,email", "a,b@example.org"], fmt="dnt")
    assert result.added == 0 and result.invalid == [
        "line 1: the header names no url or domain column"
    ]


SPAWNING_AI_TXT = """# Spawning AI
# Prevent datasets from using the following file types

User-Agent: *
Disallow: *.txt
Disallow: *.pdf
Disallow: *.jpg
Disallow: *.jpeg
Disallow: *.png
Allow: /
"""


@pytest.mark.parametrize(
    ("text", "registered"),
    [
        (SPAWNING_AI_TXT, True),
        ("User-Agent: *\nDisallow: /\n", True),
        ("User-Agent: *\nDisallow: /portfolio/\n", True),  # a path: the registry keeps sites
        ("User-Agent: *\nDisallow: *.txt\nDisallow: *.mp3\n", False),  # no image type
        ("User-Agent: *\nAllow: /\n", False),
        ("User-Agent: SomeOtherBot\nDisallow: /\n", False),
        ("User-Agent: OptInMediaMarketplaceBot\nDisallow: *.webp\n", True),
    ],
)
def test_ai_txt_registers_the_site_when_it_keeps_images_from_ai(text, registered):
    result = optouts_import(lines=text.splitlines(), fmt="ai.txt", domain="www.artist.example")
    assert registry() == ({("domain", "artist.example")} if registered else set())
    if registered:
        assert OptOut.objects.get().note.startswith("ai.txt: ")
    else:
        assert result.invalid == ["the ai.txt reserves no image type or path: nothing to register"]


def test_the_spawning_file_notes_its_rules():
    optouts_import(lines=SPAWNING_AI_TXT.splitlines(), fmt="ai.txt", domain="artist.example")
    assert OptOut.objects.get().note == "ai.txt: *.jpg, *.jpeg, *.png"


def test_formats_are_told_from_the_file():
    assert detect_format("ai.txt", "# Spawning AI") == "ai.txt"
    assert detect_format("optouts.csv", "kind,value,note") == "csv"
    assert detect_format("optouts.csv", "domain,example.net") == "csv"
    assert detect_format("export.csv", "URL,Domain,Date") == "dnt"
    assert detect_format("mine.txt", "https://artist.example/") == "list"


def test_the_command_takes_every_format(tmp_path, capsys):
    listing = tmp_path / "do-not-train.txt"
    listing.write_text("artist.example\nhttps://cdn.example/a.jpg\n", encoding="utf-8")
    call_command("import_optouts", str(listing))
    assert "opt-outs (list): 2 added, 0 already registered, 0 invalid rows skipped" in (
        capsys.readouterr().out
    )
    ai = tmp_path / "ai.txt"
    ai.write_text(SPAWNING_AI_TXT, encoding="utf-8")
    call_command("import_optouts", str(ai), "--domain", "studio.example", "--note", "by mail")
    assert (
        OptOut.objects.get(value="studio.example").note == "by mail; ai.txt: *.jpg, *.jpeg, *.png"
    )
    with pytest.raises(CommandError, match="needs the site's domain"):
        call_command("import_optouts", str(ai))


@pytest.fixture
def moderator_client(make_user) -> Client:
    client = Client()
    client.force_login(make_user("mod", role=Role.MODERATOR, is_staff=True))
    return client


def test_moderators_import_from_the_admin(moderator_client):
    page = moderator_client.get("/admin/catalog/optout/")
    assert b'href="/admin/catalog/optout/import/"' in page.content
    upload = SimpleUploadedFile("export.csv", b"url,domain\nhttps://pics.example/a.jpg,\n,bad\n")
    response = moderator_client.post("/admin/catalog/optout/import/", {"file": upload},
                                     follow=True)  # fmt: skip
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert shown == ["Opt-outs (dnt): 1 added, 0 already registered.",
                     "Skipped line 3: not a domain: 'bad'"]  # fmt: skip
    assert registry() == {("url", "https://pics.example/a.jpg")}


def test_the_admin_form_explains_a_missing_domain_and_bad_files(moderator_client):
    upload = SimpleUploadedFile("ai.txt", SPAWNING_AI_TXT.encode())
    response = moderator_client.post("/admin/catalog/optout/import/", {"file": upload})
    assert response.status_code == 200
    assert "needs the site&#x27;s domain" in response.content.decode()
    latin = SimpleUploadedFile("list.txt", "caf\xe9.example\n".encode("latin-1"))
    response = moderator_client.post("/admin/catalog/optout/import/", {"file": latin})
    assert "not UTF-8 text" in response.content.decode()
    assert not OptOut.objects.exists()


def test_people_without_the_right_cannot_import(make_user):
    client = Client()
    client.force_login(make_user("staff-only", is_staff=True))
    assert client.get("/admin/catalog/optout/import/").status_code == 403
