"""The key and certificate our C2PA manifests are signed with.

Production points `C2PA_SIGNING_CERT` (PEM chain: the signing certificate first, then its
issuers) and `C2PA_SIGNING_KEY` (PEM private key) at files from a certificate authority.
For the demo, `python manage.py make_signing_key` makes a local authority and a signing
certificate it issues (c2pa refuses self-signed signing certificates), under
`VAR_DIR/c2pa/`; its authority's certificate can serve as `C2PA_TRUST_ANCHORS` so the
demo's own files read back as trusted."""

import datetime
from dataclasses import dataclass
from pathlib import Path

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings


class SigningNotConfigured(RuntimeError):
    """No signing key and certificate are configured: files are served without a manifest."""


def _algorithm(key_pem: bytes) -> str:
    key = serialization.load_pem_private_key(key_pem, password=None)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {256: "es256", 384: "es384", 521: "es512"}[key.curve.key_size]
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(key, rsa.RSAPrivateKey):
        return "ps256"
    raise ValueError(f"unsupported key type {type(key).__name__}")


def signer_from_files(cert_path: Path | str, key_path: Path | str) -> c2pa.Signer:
    chain = Path(cert_path).read_bytes()
    key = Path(key_path).read_bytes()
    info = c2pa.C2paSignerInfo(
        alg=_algorithm(key).encode(), sign_cert=chain, private_key=key, ta_url=None
    )
    return c2pa.Signer.from_info(info)


def signer_from_settings() -> c2pa.Signer:
    """The signer of `C2PA_SIGNING_CERT` and `C2PA_SIGNING_KEY`, or SigningNotConfigured."""
    cert, key = settings.C2PA_SIGNING_CERT, settings.C2PA_SIGNING_KEY
    if not (cert and key):
        raise SigningNotConfigured("set C2PA_SIGNING_CERT and C2PA_SIGNING_KEY")
    missing = [path for path in (cert, key) if not Path(path).is_file()]
    if missing:
        raise SigningNotConfigured(
            f"no such file: {', '.join(missing)} (the demo's: python manage.py make_signing_key)"
        )
    return signer_from_files(cert, key)


@dataclass(frozen=True)
class LocalSigningFiles:
    authority: Path  # the local authority's certificate (a trust anchor for the demo)
    chain: Path  # signing certificate + authority, for C2PA_SIGNING_CERT
    key: Path  # the signing key, for C2PA_SIGNING_KEY


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Opt-in media marketplace (local)"),
        ]
    )


def _key_usage(*, signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=not signing,
        crl_sign=not signing, encipher_only=False, decipher_only=False,
    )  # fmt: skip


def make_local_signing_files(folder: Path, *, days: int = 825) -> LocalSigningFiles:
    """A local authority and an ES256 signing certificate it issues, as PEM files."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    validity = {"not_valid_before": now - datetime.timedelta(minutes=5),
                "not_valid_after": now + datetime.timedelta(days=days)}  # fmt: skip
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder(**validity)
        .subject_name(_name("Local C2PA authority"))
        .issuer_name(_name("Local C2PA authority"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signing=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder(**validity)
        .subject_name(_name("Local C2PA signer"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signing=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    files = LocalSigningFiles(
        authority=folder / "authority.pem", chain=folder / "signing-chain.pem",
        key=folder / "signing-key.pem",
    )  # fmt: skip
    files.authority.write_bytes(ca.public_bytes(pem))
    files.chain.write_bytes(cert.public_bytes(pem) + ca.public_bytes(pem))
    files.key.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    files.key.chmod(0o600)
    return files
