"""A webhook goes to the address that passed the public-address check, never to another
answer of the same name (DNS rebinding): name resolution is faked so the check and any
later lookup disagree, and every connection the sender opens is recorded. A delivery
pinned that way still names its host in the Host header, TLS SNI and certificate check."""

import datetime
import ipaddress
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from catalog.services import asset_take_down
from marketplace.downloads import downloads_grant
from marketplace.models import Role, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from marketplace.webhooks import webhook_deliver
from tests.marketplace.factories import stored_asset

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.216.34"
HOST = "hooks.example.org"


class Resolver:
    """Answers for `host`: the first lookup gets `first`, every later one `then`; other
    names resolve as usual."""

    def __init__(self, monkeypatch, host: str, first: str, then: str):
        self.host, self.answers, self.lookups = host, [first], 0
        self.then, real = then, socket.getaddrinfo

        def getaddrinfo(name, port, *args, **kwargs):
            if name != host:
                return real(name, port, *args, **kwargs)
            self.lookups += 1
            address = self.answers.pop(0) if self.answers else self.then
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 443)))]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def connections(monkeypatch):
    """Every TCP connection opened (the address after resolution, as the real
    create_connection resolves it), refused: nothing leaves the machine."""
    opened = []

    def create_connection(address, *args, **kwargs):
        host, port = address
        resolved = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][4][0]
        opened.append((resolved, port))
        raise ConnectionRefusedError(f"test: no connection to {resolved}")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    return opened


def pending_delivery(url: str, make_user) -> WebhookDelivery:
    """A revocation event due for an endpoint at `url` (registered without a lookup)."""
    buyer = make_user("bob", role=Role.BUYER)
    asset = stored_asset()
    downloads_grant(buyer=buyer, asset_ids=[asset.pk], purpose="research", use="ai_training")
    WebhookEndpoint.objects.create(owner=buyer, url=url, secret="whsec_test")
    asset_take_down(asset_id=asset.pk, actor="mod", reason="privacy")  # queued on commit
    return WebhookDelivery.objects.get()


def test_a_name_checked_public_is_never_reached_at_a_private_second_answer(
    settings, monkeypatch, connections, make_user
):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    delivery = pending_delivery(f"https://{HOST}/hook", make_user)
    resolver = Resolver(monkeypatch, HOST, first=PUBLIC, then="127.0.0.1")
    assert webhook_deliver(delivery.pk) == "pending"  # refused by our fake: retried later
    assert connections == [(PUBLIC, 443)]  # the address checked, and only it
    assert resolver.lookups == 1  # the check's; the request looked nothing up
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("ConnectError")


def test_a_name_checked_private_is_never_contacted_even_if_it_turns_public(
    settings, monkeypatch, connections, make_user
):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    delivery = pending_delivery(f"https://{HOST}/hook", make_user)
    Resolver(monkeypatch, HOST, first="127.0.0.1", then=PUBLIC)
    assert webhook_deliver(delivery.pk) == "pending"
    assert connections == []
    attempt = WebhookAttempt.objects.get()
    assert attempt.error == "This address is not a public one." and attempt.status_code is None


def tls_receiver(tmp_path, host: str):
    """An HTTPS server on 127.0.0.1 with a certificate for `host` only; it records each
    request's Host header and the server name (SNI) the client sent."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption())
    )  # fmt: skip
    seen = {"sni": [], "host": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            seen["host"].append(self.headers["Host"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    context.sni_callback = lambda sock, server_name, ctx: seen["sni"].append(server_name)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    return server, seen, str(cert_path)


def test_a_pinned_delivery_keeps_its_host_name_for_http_and_tls(
    settings, monkeypatch, make_user, tmp_path
):
    """The check's answer is 127.0.0.1 (counted as public here), later answers 127.0.0.2,
    where nothing listens: the delivery arrives only if it went to the checked address,
    and with a verified certificate only if TLS named the host."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    monkeypatch.setattr(ipaddress.IPv4Address, "is_global", property(lambda self: True))
    host = "hooks.test"
    server, seen, ca = tls_receiver(tmp_path, host)
    port = server.server_port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        delivery = pending_delivery(f"https://{host}:{port}/hook", make_user)
        Resolver(monkeypatch, host, first="127.0.0.1", then="127.0.0.2")
        with httpx.Client(verify=ssl.create_default_context(cafile=ca), timeout=5) as client:
            assert webhook_deliver(delivery.pk, client=client) == "delivered"
    finally:
        server.shutdown()
        server.server_close()
    assert seen["host"] == [f"{host}:{port}"]
    assert seen["sni"] == [host]
