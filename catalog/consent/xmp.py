"""XMP packets: the rights fields read from one, and the packet we write with our terms.

Read: IPTC PLUS `plus:DataMining` (the `DMI-*` values of the PLUS Data Mining vocabulary)
and `plus:OtherConstraints`; the creator and rights fields (`dc:creator`, `dc:rights`,
`xmpRights:*`, `photoshop:Credit`, `Iptc4xmpCore:CreatorContactInfo`, PLUS image creators,
copyright owners and licensors). Parsing is done with defusedxml: a file's metadata is
untrusted input (no entity expansion, no external references)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from catalog.consent.vocabulary import (
    AI_GENERATIVE_TRAINING,
    AI_INFERENCE,
    AI_TRAINING,
    ALLOWED,
    DATA_MINING,
    RESERVED,
    TRAINING_USES,
    USES,
    all_uses,
    some_uses,
)

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML = "http://www.w3.org/XML/1998/namespace"
NAMESPACES = {
    "x": "adobe:ns:meta/",
    "rdf": RDF,
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "Iptc4xmpCore": "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/",
    "plus": "http://ns.useplus.org/ldf/xmp/1.0/",
}
DMI_VOCABULARY = "http://ns.useplus.org/ldf/vocab/"

# What each PLUS Data Mining value says about our uses. The PLUS values name AI/ML
# training as a whole, generative training, or data mining as a whole; "see constraint"
# and "see rights expression" prohibit unless some text we cannot evaluate allows it, so
# they count as a reservation of every use (the text is kept as evidence).
DMI_USES = {
    "DMI-UNSPECIFIED": {},
    "DMI-ALLOWED": all_uses(ALLOWED),
    "DMI-PROHIBITED-AIMLTRAINING": some_uses(TRAINING_USES, RESERVED),
    "DMI-PROHIBITED-GENAIMLTRAINING": some_uses([AI_GENERATIVE_TRAINING], RESERVED),
    "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING": all_uses(RESERVED),
    "DMI-PROHIBITED": all_uses(RESERVED),
    "DMI-PROHIBITED-SEECONSTRAINT": all_uses(RESERVED),
    "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR": all_uses(RESERVED),
    "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR": all_uses(RESERVED),
}


@dataclass(frozen=True)
class XmpFields:
    """The rights fields of one XMP packet, as written (empty when absent)."""

    data_mining: str = ""  # the DMI-* code, e.g. "DMI-PROHIBITED-AIMLTRAINING"
    data_mining_raw: str = ""  # as written, usually the vocabulary URI
    other_constraints: str = ""
    creators: tuple[str, ...] = ()  # dc:creator, plus:ImageCreator names
    rights: tuple[str, ...] = ()  # dc:rights, plus:CopyrightOwner names
    usage_terms: str = ""
    web_statement: str = ""
    marked: str = ""
    credit: str = ""
    licensors: tuple[str, ...] = ()
    creator_contact: dict[str, str] = field(default_factory=dict)

    def data_mining_uses(self) -> dict[str, str] | None:
        """What plus:DataMining says per use; None when there is none or it is not a PLUS
        value (an unknown value is kept as evidence but says nothing)."""
        return DMI_USES.get(self.data_mining) if self.data_mining else None


def _q(prefix: str, name: str) -> str:
    return f"{{{NAMESPACES[prefix]}}}{name}"


def _texts(element: Element) -> list[str]:
    """The values of a property element: its rdf:Seq/Bag/Alt items, its rdf:resource, or
    its own text."""
    items = element.findall(f"{{{RDF}}}*/{{{RDF}}}li")
    if items:
        return [(item.text or "").strip() for item in items if (item.text or "").strip()]
    resource = element.get(f"{{{RDF}}}resource")
    if resource:
        return [resource.strip()]
    text = (element.text or "").strip()
    return [text] if text else []


def _struct_values(element: Element, prefix: str, names: Iterable[str]) -> list[str]:
    """Named fields of the structures in a property (an rdf:Bag of rdf:li structures, or one
    structure), read from attributes or child elements."""
    found = []
    holders = element.findall(f".//{{{RDF}}}li") or [element]
    for holder in holders:
        for node in [holder, *holder.findall(f"{{{RDF}}}Description")]:
            for name in names:
                value = node.get(_q(prefix, name)) or node.findtext(_q(prefix, name))
                if value and value.strip():
                    found.append(value.strip())
    return found


class _Properties:
    """Every property of every rdf:Description, whether written as an attribute or as a
    child element."""

    def __init__(self, root: Element):
        self.values: dict[str, list[str]] = {}
        self.elements: dict[str, list[Element]] = {}
        for description in root.iter(f"{{{RDF}}}Description"):
            for name, value in description.attrib.items():
                if not name.startswith(f"{{{RDF}}}") and value.strip():
                    self.values.setdefault(name, []).append(value.strip())
            for child in description:
                self.elements.setdefault(child.tag, []).append(child)
                self.values.setdefault(child.tag, []).extend(_texts(child))

    def all(self, prefix: str, name: str) -> list[str]:
        return self.values.get(_q(prefix, name), [])

    def first(self, prefix: str, name: str) -> str:
        values = self.all(prefix, name)
        return values[0] if values else ""

    def structs(self, prefix: str, name: str, fields_prefix: str, names: Iterable[str]):
        names = list(names)
        return [
            value
            for element in self.elements.get(_q(prefix, name), [])
            for value in _struct_values(element, fields_prefix, names)
        ]


class InvalidXmp(ValueError):
    pass


def parse_xmp(packet: bytes) -> XmpFields:
    """The rights fields of an XMP packet; InvalidXmp when it is not well-formed XML."""
    text = packet.strip(b"\x00 \t\r\n")
    try:
        root = ElementTree.fromstring(text, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as exc:
        raise InvalidXmp(str(exc)) from exc
    props = _Properties(root)
    raw_dmi = props.first("plus", "DataMining")
    contact = {}
    for element in props.elements.get(_q("Iptc4xmpCore", "CreatorContactInfo"), []):
        for node in [element, *element.iter(f"{{{RDF}}}Description")]:
            for name, value in node.attrib.items():
                if name.startswith(f"{{{NAMESPACES['Iptc4xmpCore']}}}") and value.strip():
                    contact[name.rsplit("}", 1)[1]] = value.strip()
            for child in node:
                text = (child.text or "").strip()
                if child.tag.startswith(f"{{{NAMESPACES['Iptc4xmpCore']}}}") and text:
                    contact[child.tag.rsplit("}", 1)[1]] = text
    creators = props.all("dc", "creator") + props.structs(
        "plus", "ImageCreator", "plus", ["ImageCreatorName"]
    )
    rights = props.all("dc", "rights") + props.structs(
        "plus", "CopyrightOwner", "plus", ["CopyrightOwnerName"]
    )
    return XmpFields(
        data_mining=raw_dmi.rsplit("/", 1)[-1].strip().upper() if raw_dmi else "",
        data_mining_raw=raw_dmi,
        other_constraints=props.first("plus", "OtherConstraints"),
        creators=tuple(dict.fromkeys(creators)),
        rights=tuple(dict.fromkeys(rights)),
        usage_terms=props.first("xmpRights", "UsageTerms"),
        web_statement=props.first("xmpRights", "WebStatement"),
        marked=props.first("xmpRights", "Marked"),
        credit=props.first("photoshop", "Credit"),
        licensors=tuple(props.structs("plus", "Licensor", "plus", ["LicensorName"])),
        creator_contact=contact,
    )


# --- writing ------------------------------------------------------------------------------


def dmi_for_uses(allowed: Iterable[str]) -> str:
    """The PLUS Data Mining value for a set of allowed uses: the closest one that reserves
    nothing allowed and allows nothing reserved. A mix PLUS cannot name is "prohibited,
    see constraint", and the constraint text says which uses are allowed."""
    allowed = set(allowed)
    unknown = allowed - set(USES)
    if unknown:
        raise ValueError(f"unknown uses: {', '.join(sorted(unknown))}")
    if allowed == set(USES):
        return "DMI-ALLOWED"
    if not allowed:
        return "DMI-PROHIBITED"
    if allowed == {DATA_MINING, AI_INFERENCE, AI_TRAINING}:
        return "DMI-PROHIBITED-GENAIMLTRAINING"
    if allowed == {DATA_MINING, AI_INFERENCE}:
        return "DMI-PROHIBITED-AIMLTRAINING"
    return "DMI-PROHIBITED-SEECONSTRAINT"


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def terms_packet(*, allowed: Iterable[str], offer_url: str, terms: str) -> bytes:
    """An XMP packet with our terms: plus:DataMining for the allowed uses, the terms in
    plus:OtherConstraints and xmpRights:UsageTerms, and the offer page as
    xmpRights:WebStatement."""
    dmi = dmi_for_uses(allowed)
    alt = f'<rdf:Alt><rdf:li xml:lang="x-default">{_escape(terms)}</rdf:li></rdf:Alt>'
    body = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="{RDF}">
  <rdf:Description rdf:about=""
    xmlns:plus="{NAMESPACES["plus"]}"
    xmlns:xmpRights="{NAMESPACES["xmpRights"]}">
   <plus:DataMining>{DMI_VOCABULARY}{dmi}</plus:DataMining>
   <plus:OtherConstraints>{alt}</plus:OtherConstraints>
   <xmpRights:Marked>True</xmpRights:Marked>
   <xmpRights:UsageTerms>{alt}</xmpRights:UsageTerms>
   <xmpRights:WebStatement>{_escape(offer_url)}</xmpRights:WebStatement>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="r"?>"""
    return body.encode("utf-8")
