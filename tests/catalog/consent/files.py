"""Real test files for consent signals: images carrying XMP packets as photo tools write
them (through Pillow's own writers, not ours), IPTC-IIM blocks, C2PA manifests signed
with a test authority made here with `cryptography`, and the picture data of each format
to compare before and after a write."""

import datetime
import io
import json
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image, PngImagePlugin

from tests.catalog.images import picture

MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "TIFF": "image/tiff"}
FORMATS = tuple(MIME)


def xmp(*, data_mining: str = "", creators=(), rights: str = "", attribute_form=False,
        contact_email: str = "", extra: str = "") -> bytes:  # fmt: skip
    """An XMP packet as Photoshop or exiftool write one."""
    dmi = f"http://ns.useplus.org/ldf/vocab/{data_mining}" if data_mining else ""
    attributes = f'\n    plus:DataMining="{dmi}"' if dmi and attribute_form else ""
    body = ""
    if dmi and not attribute_form:
        body += f"   <plus:DataMining>{dmi}</plus:DataMining>\n"
    if creators:
        items = "".join(f"<rdf:li>{name}</rdf:li>" for name in creators)
        body += f"   <dc:creator><rdf:Seq>{items}</rdf:Seq></dc:creator>\n"
    if rights:
        body += (
            '   <dc:rights><rdf:Alt><rdf:li xml:lang="x-default">'
            f"{rights}</rdf:li></rdf:Alt></dc:rights>\n"
        )
    if contact_email:
        body += (
            '   <Iptc4xmpCore:CreatorContactInfo rdf:parseType="Resource">'
            f"<Iptc4xmpCore:CiEmailWork>{contact_email}</Iptc4xmpCore:CiEmailWork>"
            "</Iptc4xmpCore:CreatorContactInfo>\n"
        )
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Image::ExifTool 12.57">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"
    xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"{attributes}>
{body}{extra}  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()


def image(fmt: str, *, seed: int = 1, packet: bytes | None = None, mode: str = "RGB") -> bytes:
    """A picture in `fmt`, with `packet` as its XMP written by Pillow."""
    im = picture(seed, size=(96, 64))
    if mode != "RGB":
        im = im.convert(mode)
    out = io.BytesIO()
    options = {}
    if fmt == "PNG" and packet:
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", packet.decode())
        options["pnginfo"] = info
    elif fmt == "TIFF":
        options["compression"] = "tiff_lzw"
        if packet:
            options["tiffinfo"] = {700: packet}
    elif packet:
        options["xmp"] = packet
    if fmt == "WEBP":
        options["quality"] = 80
    im.save(out, fmt, **options)
    return out.getvalue()


def iptc_jpeg(by_line: str, copyright_notice: str) -> bytes:
    """A JPEG with an IPTC-IIM block (Photoshop APP13, resource 0x0404)."""

    def dataset(number: int, value: str) -> bytes:
        raw = value.encode()
        return b"\x1c\x02" + bytes([number]) + len(raw).to_bytes(2, "big") + raw

    iim = b"\x1c\x02\x00\x00\x02\x00\x04" + dataset(80, by_line) + dataset(116, copyright_notice)
    resource = b"8BIM\x04\x04\x00\x00" + len(iim).to_bytes(4, "big") + iim
    if len(iim) % 2:
        resource += b"\x00"
    app13 = b"Photoshop 3.0\x00" + resource
    segment = b"\xff\xed" + (len(app13) + 2).to_bytes(2, "big") + app13
    plain = image("JPEG")
    return plain[:2] + segment + plain[2:]


# --- the picture data of each format, to compare before and after a write -------------


def picture_data(data: bytes) -> list[bytes]:
    """The compressed picture: JPEG from the first scan on, PNG IHDR and IDAT chunks, WebP
    image chunks, TIFF strips."""
    if data[:2] == b"\xff\xd8":
        pos = 2
        while data[pos + 1] != 0xDA:
            pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        return [data[pos:]]
    if data[:4] == b"\x89PNG":
        chunks, pos = [], 8
        while pos < len(data):
            length = int.from_bytes(data[pos : pos + 4], "big")
            if data[pos + 4 : pos + 8] in (b"IHDR", b"IDAT", b"PLTE"):
                chunks.append(data[pos : pos + 12 + length])
            pos += 12 + length
        return chunks
    if data[:4] == b"RIFF":
        chunks, pos = [], 12
        while pos + 8 <= len(data):
            size = int.from_bytes(data[pos + 4 : pos + 8], "little")
            if data[pos : pos + 4] in (b"VP8 ", b"VP8L", b"ALPH"):
                chunks.append(data[pos : pos + 8 + size])
            pos += 8 + size + (size & 1)
        return chunks
    with Image.open(io.BytesIO(data)) as im:
        offsets, counts = im.tag_v2[273], im.tag_v2[279]
    return [data[o : o + c] for o, c in zip(offsets, counts, strict=True)]


def pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as im:
        return im.convert("RGBA").tobytes()


# --- C2PA: a test authority, and manifests signed by "someone else" ----------------------


@dataclass
class TestAuthority:
    anchors_path: Path  # the authority's certificate: a trust list with it alone
    chain: bytes
    key: bytes
    chain_path: Path
    key_path: Path

    def signer(self) -> c2pa.Signer:
        info = c2pa.C2paSignerInfo(alg=b"es256", sign_cert=self.chain, private_key=self.key,
                                   ta_url=None)  # fmt: skip
        return c2pa.Signer.from_info(info)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test rights holder"),
        ]
    )


def make_authority(folder: Path) -> TestAuthority:
    """A certificate authority and a signing certificate it issues, as C2PA requires."""
    now = datetime.datetime.now(datetime.UTC)
    when = {"not_valid_before": now - datetime.timedelta(days=1),
            "not_valid_after": now + datetime.timedelta(days=30)}  # fmt: skip
    usage = dict.fromkeys(("content_commitment", "key_encipherment", "data_encipherment",
                           "key_agreement", "encipher_only", "decipher_only"), False)  # fmt: skip
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder(**when).subject_name(_name("Test CA")).issuer_name(_name("Test CA"))
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, key_cert_sign=True, crl_sign=True,
                                     **usage), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder(**when).subject_name(_name("Test signer")).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False,
                                     **usage), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    pem = serialization.Encoding.PEM
    chain = leaf.public_bytes(pem) + ca.public_bytes(pem)
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())  # fmt: skip
    anchors = folder / "test-anchors.pem"
    anchors.write_bytes(ca.public_bytes(pem))
    (folder / "chain.pem").write_bytes(chain)
    (folder / "key.pem").write_bytes(key_pem)
    return TestAuthority(anchors, chain, key_pem, folder / "chain.pem", folder / "key.pem")


def signed_by_someone(data: bytes, fmt: str, authority: TestAuthority, entries: dict,
                      label: str = "cawg.training-mining") -> bytes:  # fmt: skip
    """`data` with a manifest a rights holder's tool would make: a new creation with a
    training-mining assertion of `entries` ({"cawg.ai_training": {"use": "notAllowed"}})."""
    manifest = {
        "claim_generator_info": [{"name": "test-camera-app", "version": "2"}],
        "title": "test",
        "assertions": [{"label": label, "data": {"entries": entries}}],
    }
    builder = c2pa.Builder(json.dumps(manifest))
    builder.set_intent(c2pa.C2paBuilderIntent.CREATE, c2pa.C2paDigitalSourceType.DIGITAL_CAPTURE)
    out = io.BytesIO()
    builder.sign(authority.signer(), MIME[fmt], io.BytesIO(data), out)
    return out.getvalue()


def tampered(data: bytes) -> bytes:
    """The file changed after signing, still a valid image: one byte of a JPEG's scan
    altered (never into or next to a marker), or a text chunk added to a PNG."""
    if data[:4] == b"\x89PNG":
        body = b"tEXtComment\x00edited after signing"
        chunk = (len(body) - 4).to_bytes(4, "big") + body
        chunk += zlib.crc32(body).to_bytes(4, "big")
        return data[:33] + chunk + data[33:]  # after the 8-byte signature and IHDR
    scan = picture_data(data)[0]
    at = data.index(scan) + len(scan) // 2
    while 0xFF in (data[at - 1], data[at], data[at] ^ 0x01, data[at + 1]):
        at += 1
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def tiff_byte_order(data: bytes) -> str:
    return "<" if data[:2] == b"II" else ">"


def tiff_first_ifd(data: bytes) -> int:
    return struct.unpack_from(tiff_byte_order(data) + "I", data, 4)[0]
