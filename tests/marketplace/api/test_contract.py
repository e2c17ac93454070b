"""What a schema-driven fuzzer found where the API did not answer as its schema says, each
reproduced as a client would meet it (tests/marketplace/api/test_schema_fuzz.py keeps the
whole schema under the fuzzer)."""

import re
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from marketplace.models import Role
from tests.auth import sign_in
from tests.catalog.images import png_bomb
from tests.marketplace.api.schema_helpers import served_schema
from tests.marketplace.factories import opt_in_work, stored_asset
from tests.marketplace.works_helpers import upload

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture(scope="module")
def schema() -> dict:
    return served_schema()


def _error_of(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


# --- asset search answers one page object, as the schema now says --------------------------


def test_asset_search_is_documented_as_the_page_object_it_answers(schema, api_client):
    stored_asset()
    ok = schema["paths"][f"{API}/assets/"]["get"]["responses"]["200"]
    page = ok["content"]["application/json"]["schema"]
    assert page == {"$ref": "#/components/schemas/AssetPage"}
    body = api_client.get(f"{API}/assets/").json()
    assert {"next", "previous", "results", "applied_thresholds"} <= set(body)
    assert isinstance(body["results"], list) and len(body["results"]) == 1


# --- URIs are URIs: null where there is none, absolute links -------------------------------


def test_a_missing_creator_url_is_null_and_a_known_one_is_given(schema, api_client):
    bare = stored_asset(creator_url="")
    known = stored_asset(creator_url="https://example.org/painter")
    assert api_client.get(f"{API}/assets/{bare.pk}/").json()["creator_url"] is None
    assert api_client.get(f"{API}/assets/{known.pk}/").json()["creator_url"] == (
        "https://example.org/painter"
    )
    listed = {a["id"]: a for a in api_client.get(f"{API}/assets/").json()["results"]}
    assert listed[bare.pk]["creator_url"] is None
    declared = schema["components"]["schemas"]["Asset"]["properties"]["creator_url"]
    assert declared.get("nullable") is True and declared["format"] == "uri"


def test_a_works_thumbnail_link_is_absolute(api_client, make_user):
    artist = make_user("ada", role=Role.RIGHTS_HOLDER)
    work = opt_in_work(artist)
    work.asset.thumbnail_key = "thumbnails/x.jpg"
    work.asset.save(update_fields=["thumbnail_key"])
    sign_in(api_client, artist)
    [listed] = api_client.get(f"{API}/works/").json()["results"]
    assert listed["thumbnail_url"].startswith("http://testserver/thumbnails/")
    detail = api_client.get(f"{API}/works/{work.pk}/").json()
    assert urlsplit(detail["thumbnail_url"]).scheme == "http"


# --- what no route matches, and bodies no view reads, answer the JSON error body ----------


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "path", [f"{API}/collections/null%2Cnull/", f"{API}/assets/%C2%84/", f"{API}/nowhere/"]
)
def test_a_path_no_route_matches_is_a_json_404(settings, path, debug):
    settings.DEBUG = debug
    response = Client().get(path)
    assert response.status_code == 404
    assert _error_of(response)["code"] == "not_found"


def test_a_form_with_too_many_fields_is_a_json_400_and_nothing_is_stored(api_client, make_user):
    artist = make_user("ada", role=Role.RIGHTS_HOLDER)
    sign_in(api_client, artist)
    fields = {f"field{n}": "x" for n in range(1_001)}
    response = api_client.post(f"{API}/works/", fields, format="multipart")
    assert response.status_code == 400
    error = _error_of(response)
    assert "too many fields" in error["message"] and "1000" in error["message"]
    assert not artist.works.exists()


def test_a_form_where_json_is_read_is_a_json_415(api_client, make_user):
    sign_in(api_client, make_user("bob", role=Role.BUYER))
    response = api_client.post(f"{API}/collections/", {"name": "Sea"}, format="multipart")
    assert response.status_code == 415
    assert _error_of(response)["code"] == "unsupported_media_type"


@pytest.mark.parametrize("body", ["[null, null]", '"text"', "3"])
def test_a_json_body_that_is_not_an_object_is_a_400(api_client, make_user, body):
    artist = make_user("ada", role=Role.RIGHTS_HOLDER)
    work = opt_in_work(artist)
    sign_in(api_client, artist)
    response = api_client.post(
        f"{API}/works/{work.pk}/declaration/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON object" in _error_of(response)["message"]


# --- JSON values have the types the schema declares ----------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/auth/tokens/", {"name": 0, "scope": "read"}, "name"),
        ("/collections/", {"name": "Sea", "private": "0"}, "private"),
        ("/collections/", {"name": "Sea", "private": 1}, "private"),
        ("/downloads/", {"asset_ids": ["1"], "purpose": "research"}, "asset_ids.0"),
        ("/me/thresholds/", {"max_faces": "2"}, "max_faces"),
    ],
)
def test_a_json_value_of_the_wrong_type_is_refused_naming_its_field(
    api_client, make_user, path, body, field
):
    buyer = make_user("bob", role=Role.BUYER)
    sign_in(api_client, buyer)
    method = api_client.put if path == "/me/thresholds/" else api_client.post
    response = method(f"{API}{path}", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in _error_of(response)["fields"]
    assert not buyer.collections.exists()


def test_the_same_values_with_their_declared_types_are_taken(api_client, make_user):
    sign_in(api_client, make_user("bob", role=Role.BUYER))
    created = api_client.post(f"{API}/collections/", {"name": "Sea", "private": False})
    assert created.status_code == 201, created.json()
    saved = api_client.put(f"{API}/me/thresholds/", {"max_faces": 2}, format="json")
    assert saved.status_code == 200 and saved.json()["max_faces"] == 2


# --- the files endpoint documents what it serves ------------------------------------------


def test_the_files_endpoint_documents_every_type_it_serves(schema):
    served = schema["paths"][f"{API}/files/{{token}}/"]["get"]["responses"]["200"]["content"]
    assert {"application/x-ndjson", "application/vnd.apache.parquet", "image/jpeg",
            "image/png", "image/webp", "image/tiff", "image/gif"} <= set(served)  # fmt: skip


# --- 401 and bad pages are documented, and answered as documented ------------------------


def test_every_operation_that_reads_a_token_documents_401_and_403(schema):
    missing = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if any("tokenAuth" in s for s in operation.get("security", []))
        and not {"401", "403"} <= set(operation["responses"])
    ]
    assert missing == []


def test_numbered_pages_declare_their_bounds_and_their_errors(schema):
    operation = schema["paths"][f"{API}/releases/"]["get"]
    parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert parameters["page"]["minimum"] == 1
    assert (parameters["page_size"]["minimum"], parameters["page_size"]["maximum"]) == (1, 500)
    assert {"400", "404"} <= set(operation["responses"])


@pytest.mark.parametrize("query", ["page=0", "page=-1", "page=x", "page_size=0", "page_size=501"])
def test_a_bad_page_or_page_size_is_a_400_naming_it(api_client, query):
    response = api_client.get(f"{API}/releases/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in _error_of(response)["fields"]


def test_a_page_past_the_last_is_a_404_as_documented(api_client):
    response = api_client.get(f"{API}/releases/?page=9")
    assert response.status_code == 404
    assert _error_of(response)["code"] == "not_found"


def test_an_empty_optional_query_parameter_reads_as_left_out(schema, api_client, make_user):
    stored_asset()
    assert len(api_client.get(f"{API}/assets/?q=").json()["results"]) == 1
    parameters = schema["paths"][f"{API}/assets/"]["get"]["parameters"]
    assert {p["name"] for p in parameters if p.get("allowEmptyValue")} >= {"q", "page_size"}


# --- a download link has one spelling -----------------------------------------------------


def _granted_link(api_client, make_user) -> str:
    asset = stored_asset()
    sign_in(api_client, make_user("bob", role=Role.BUYER))
    body = {"asset_ids": [asset.pk], "purpose": "research"}
    response = api_client.post(f"{API}/downloads/", body, format="json")
    assert response.status_code == 201, response.json()
    api_client.credentials()
    return response.json()["downloads"][0]["url"]


def test_only_the_canonical_spelling_of_a_download_link_verifies(api_client, make_user):
    url = _granted_link(api_client, make_user)
    match = re.search(r"/files/g([0-9]+)\.([0-9]+)\.([0-9a-f]{32})/$", url)
    assert match, url
    grant, expires, signature = match.groups()
    prefix = url[: match.start()] + "/files/"
    assert api_client.get(url).status_code == 200
    for spelling in (
        f"g0{grant}.{expires}.{signature}",
        f"g{grant}.0{expires}.{signature}",
        f"g+{grant}.{expires}.{signature}",
        f"g{grant}.+{expires}.{signature}",
        f"g {grant}.{expires}.{signature}",
        f"g{grant}.{expires}.{signature.upper()}",
        f"g{''.join(chr(0x0660 + int(d)) for d in grant)}.{expires}.{signature}",  # Arabic
    ):
        response = api_client.get(f"{prefix}{spelling}/")
        assert response.status_code in (403, 404), spelling
        assert _error_of(response)["code"] in ("link_invalid", "not_found"), spelling


# --- a decompression bomb is refused in our words, with the limit -------------------------


def test_a_decompression_bomb_upload_is_refused_with_the_pixel_limit(api_client, make_user):
    artist = make_user("ada", role=Role.RIGHTS_HOLDER)
    sign_in(api_client, artist)
    response = upload(api_client, png_bomb(), name="bomb.png")
    assert response.status_code in (400, 413, 422), response.json()
    error = _error_of(response)
    text = " ".join([error["message"], *[m for ms in error["fields"].values() for m in ms]])
    assert "attack" not in text and "DOS" not in text
    assert "80,000,000" in text  # UPLOAD_MAX_PIXELS, the lower of ours and Pillow's
    assert not artist.works.exists()


def test_the_clone_step_refuses_a_bomb_in_the_same_words():
    from catalog.images import ImageRejected, decode_image

    with pytest.raises(ImageRejected) as refused:
        decode_image(png_bomb(), max_pixels=250_000_000, thumbnail_size=64)
    assert refused.value.reason == "image_too_large"
    assert "attack" not in str(refused.value)
    assert re.search(r"[0-9]{3},[0-9]{3} pixels", str(refused.value))


# --- a tool can sign up and sign in through the schema alone -------------------------------


def test_register_and_token_operations_are_usable_from_the_schema(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"] == {
        "type": "apiKey", "in": "header", "name": "Authorization",
        "description": schemes["tokenAuth"]["description"],
    }  # fmt: skip
    assert "Token " in schemes["tokenAuth"]["description"]

    def request_schema(path):
        body = schema["paths"][path]["post"]["requestBody"]
        assert set(body["content"]) == {"application/json"}, path
        ref = body["content"]["application/json"]["schema"]["$ref"]
        return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]

    def response_schema(path, status):
        content = schema["paths"][path]["post"]["responses"][status]["content"]
        ref = content["application/json"]["schema"]["$ref"]
        return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]

    register = request_schema(f"{API}/auth/register/")
    assert set(register["required"]) >= {"username", "password"}
    assert "token" in response_schema(f"{API}/auth/register/", "201")["properties"]
    assert "token" in response_schema(f"{API}/auth/token/", "200")["properties"]

    # As a tool would: fill the required fields, read the token, sign with the scheme.
    client = Client()
    values = {"username": "tool-user", "password": "a-long-passphrase-42",
              "email": "tool@example.org", "role": "buyer"}  # fmt: skip
    body = {name: values[name] for name in register["required"]}
    created = client.post(f"{API}/auth/register/", body, content_type="application/json")
    assert created.status_code == 201, created.json()
    token = created.json()["token"]["token"]
    me = client.get(f"{API}/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200 and me.json()["username"] == "tool-user"
    obtained = client.post(
        f"{API}/auth/token/",
        {"username": "tool-user", "password": "a-long-passphrase-42"},
        content_type="application/json",
    )
    assert obtained.status_code == 200 and obtained.json()["token"].startswith("mkt_")


def test_uploads_still_take_multipart(api_client, make_user):
    from tests.catalog.images import jpeg

    sign_in(api_client, make_user("ada", role=Role.RIGHTS_HOLDER))
    form = {"title": "Dawn", "file": SimpleUploadedFile("dawn.jpg", jpeg(3))}
    response = api_client.post(f"{API}/works/", form, format="multipart")
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize(
    ("path", "form", "field"),
    [
        ("/works/", {"title": "Dawn", "file": "not a file"}, "file"),
        ("/works/", {"files": "not a file", "metadata": "[]"}, "files"),
        ("/works/{id}/declaration/", {"statement": "Mine.", "evidence": "text"}, "evidence"),
    ],
)
def test_text_where_a_form_carries_a_file_is_refused(api_client, make_user, path, form, field):
    artist = make_user("ada", role=Role.RIGHTS_HOLDER)
    work = opt_in_work(artist, offered=False)
    sign_in(api_client, artist)
    response = api_client.post(API + path.format(id=work.pk), form, format="multipart")
    assert response.status_code == 400
    assert field in _error_of(response)["fields"]
    assert (
        artist.works.count() == 1
        and not work.declarations.exclude(pk__in=[]).filter(statement="Mine.").exists()
    )
