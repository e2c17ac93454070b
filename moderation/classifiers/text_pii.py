"""Personal data in an asset's text fields: email addresses, phone numbers and street
addresses, found with regular expressions.

Museum metadata is full of numbers that look like phone numbers to a careless pattern:
dates (1901-05-03, 12/05/1999), years and ranges (1850-1860), accession and call numbers
(1975.1.2345, 29.100.5), dimensions (24 x 36 cm), ISBNs. So a phone number is only taken in
one of three shapes: international (+ then 8 to 15 digits), North American with its
separators ((212) 555-0123, 212-555-0123), or any digits after a word that says it is one
(Tel., phone, fax, mobile). A street address needs a house number, a capitalised street
name and a street type (221B Baker Street, 350 5th Ave), or one of a few unmistakable
forms: a German street then its number, a French number then its street, a US city and
state with a ZIP code, a UK postcode, a post-office box.

Only the kinds found and the fields they are in are reported: the data itself is never
copied anywhere."""

import re
from collections.abc import Mapping

from moderation.classifiers import ModelInfo

# Bump when a rule changes: scores are recorded per version.
VERSION = "1"
INFO = ModelInfo(name="text rules: emails, phone numbers, street addresses", version=VERSION)

EMAIL, PHONE, ADDRESS = "email", "phone", "address"
MAX_TEXT = 100_000  # characters of one field looked at

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_AT = r"(?:@|\s?[\[(]at[\])]\s?)"
_DOT = r"(?:\.|\s?[\[(]dot[\])]\s?)"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(
    rf"{_ATEXT}+(?:\.{_ATEXT}+)*{_AT}(?:{_LABEL}{_DOT})+(?:[A-Za-z]{{2,63}}|xn--[A-Za-z0-9-]+)"
    r"(?![A-Za-z0-9-])",
    re.IGNORECASE,
)

# + country code and number: 8 to 15 digits (E.164), each separated by at most two of
# space ( ) . - from the next.
_INTERNATIONAL = re.compile(r"(?<![\w+/])\+(?:\d[\s().-]{0,2}){7,14}\d(?!\d)")
# Nor is a decimal after a sign (coordinates: +40.712776) or a signed ISO date (Wikidata's
# +1891-00-00T00:00:00Z).
_NOT_A_NUMBER = re.compile(r"\+\d{1,3}\.\d{5,}|\+\d{4}-[01]\d-[0-3]\d")
# North American: area code and exchange never start with 0 or 1.
_NANP = re.compile(
    r"(?<![\w.+/-])(?:1[\s.-])?(?:\(\s?[2-9]\d{2}\s?\)\s?|[2-9]\d{2}[\s.-])[2-9]\d{2}[\s.-]\d{4}"
    r"(?![\w-]|[.,/]\d)"
)
_PHONE_WORD = re.compile(
    r"(?:\b(?:tel|telephone|telefon|phone|mobile|mob|fax|cell(?:\s?phone)?)\b|t[ée]l[ée]phone|t[ée]l\b|☎|📞)"
    r"\.?\s*(?:(?:no|nr|number)\.?\s*)?[:#]?\s*(\+?\(?\d[\d\s()./-]{5,24}\d)",
    re.IGNORECASE,
)

_STREET_TYPE = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl"
    r"|Terrace|Way|Parkway|Pkwy|Highway|Hwy|Square|Sq|Crescent|Alley)"
)
_NAME_WORD = r"(?:[A-Z][A-Za-z'\u2019-]*\.?|\d{1,3}(?:st|nd|rd|th))"
_STREET = re.compile(
    rf"(?<![\w.,/-])(?P<number>\d{{1,5}}[A-Za-z]?)(?:-\d{{1,5}})?,?\s+"
    rf"(?:{_NAME_WORD}\s+){{1,4}}(?i:{_STREET_TYPE})\b"
)
# A year before a capitalised street name reads as a year: "In 1850 Market Street was paved".
_YEAR_CONTEXT = re.compile(
    r"\b(?:in|since|from|until|till|by|circa|ca|c|about|around|during|before|after|year)\.?\s*$",
    re.IGNORECASE,
)
_GERMAN_STREET = re.compile(
    r"\b[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|str\.|weg|allee|gasse|platz)\s+\d{1,4}[a-z]?\b"
)
_FRENCH_STREET = re.compile(
    r"(?<![\w.,/-])\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?i:rue|avenue|boulevard|bd|quai|chemin|"
    r"impasse|allée|place)\s+(?:(?i:de|du|des|la|le)\s+|[dl]['\u2019])?[A-ZÉÈ]"
)
_US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|"
    "NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC"
)
_US_CITY_ZIP = re.compile(rf"\b[A-Z][A-Za-z.]+,\s(?:{_US_STATES})\s\d{{5}}(?:-\d{{4}})?\b")
_UK_POSTCODE = re.compile(r"\b[A-PR-UWYZ][A-HK-Y]?\d[A-HJKMNPR-Y\d]?\s\d[ABD-HJLNP-UW-Z]{2}\b")
_PO_BOX = re.compile(r"\b(?:P\.?\s?O\.?\s?Box|Post\s+Office\s+Box|Postfach)\s+\d+", re.IGNORECASE)


def pii_kinds(text: str) -> set[str]:
    """The kinds of personal data in one text: a subset of {email, phone, address}."""
    text = text[:MAX_TEXT]
    kinds = set()
    if _EMAIL.search(text):
        kinds.add(EMAIL)
    if _has_phone(text):
        kinds.add(PHONE)
    if _has_address(text):
        kinds.add(ADDRESS)
    return kinds


def text_pii(texts: Mapping[str, str]) -> dict[str, list[str]]:
    """For each kind found, the fields it was found in: {"email": ["description"], ...}."""
    found: dict[str, list[str]] = {}
    for field, text in texts.items():
        for kind in sorted(pii_kinds(text or "")):
            found.setdefault(kind, []).append(field)
    return found


def _has_phone(text: str) -> bool:
    for match in _INTERNATIONAL.finditer(text):
        digits = sum(c.isdigit() for c in match.group())
        if 8 <= digits <= 15 and not _NOT_A_NUMBER.match(match.group()):
            return True
    if _NANP.search(text):
        return True
    for match in _PHONE_WORD.finditer(text):
        if 7 <= sum(c.isdigit() for c in match.group(1)) <= 15:
            return True
    return False


def _has_address(text: str) -> bool:
    for match in _STREET.finditer(text):
        number = match.group("number")
        is_year = number.isdigit() and len(number) == 4 and 1000 <= int(number) <= 2099
        before = text[max(0, match.start() - 12) : match.start()]
        if not (is_year and _YEAR_CONTEXT.search(before)):
            return True
    return any(
        pattern.search(text)
        for pattern in (_GERMAN_STREET, _FRENCH_STREET, _US_CITY_ZIP, _UK_POSTCODE, _PO_BOX)
    )
