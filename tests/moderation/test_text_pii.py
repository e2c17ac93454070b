"""Personal data in text fields: contact details are found, museum numbers are not."""

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from moderation.classifiers.text_pii import ADDRESS, EMAIL, PHONE, pii_kinds, text_pii

FOUND = [
    ("Write to jane.doe@example.com for prints.", EMAIL),
    ("contact: J.Smith+archive@mail.museum.org.uk", EMAIL),
    ("Email the artist at studio_42@xn--mnchen-3ya.de", EMAIL),
    ("Spam-shy: jane [at] example [dot] org", EMAIL),
    ("Reach me at jane(at)example.com.", EMAIL),
    ("Call +44 20 7946 0958 after six", PHONE),
    ("+1 (212) 555-0123", PHONE),
    ("WhatsApp +33612345678", PHONE),
    ("Atelier: +49 30 1234567", PHONE),
    ("(212) 555-0123", PHONE),
    ("Questions? 212-555-0123.", PHONE),
    ("212.555.0123", PHONE),
    ("1-800-555-0199", PHONE),
    ("Tel. 020 7946 0958", PHONE),
    ("phone: 0612345678", PHONE),
    ("Fax (030) 123 45 67", PHONE),
    ("Mobile no. 07700 900123", PHONE),
    ("Tél : 01 23 45 67 89", PHONE),
    ("Photographed at 221B Baker Street, London", ADDRESS),
    ("1600 Pennsylvania Avenue NW, Washington", ADDRESS),
    ("Studio: 350 5th Ave, New York", ADDRESS),
    ("Our house, 12 Elm St. by the park", ADDRESS),
    ("Residence of the sitter, 45 Old Mill Rd", ADDRESS),
    ("Hauptstraße 12, 10115 Berlin", ADDRESS),
    ("Niedercunnersdorf Mühlgrabenweg 6a", ADDRESS),
    ("12 rue de Rivoli, Paris", ADDRESS),
    ("12 bis, avenue des Champs-Élysées", ADDRESS),
    ("Springfield, IL 62704", ADDRESS),
    ("London SW1A 1AA", ADDRESS),
    ("P.O. Box 1234", ADDRESS),
]

NOT_FOUND = [
    # dates and years
    "1901-05-03",
    "12/05/1999",
    "03.05.1901",
    "c. 1850",
    "1850-1860",
    "1850 \u2013 1860",
    "May 3, 1901",
    "In 1850 Market Street was paved",
    "circa 1900 Main Street scene",
    # accession, call and catalogue numbers
    "1975.1.2345",
    "29.100.5",
    "Accession number 2003-45-678",
    "Acc. no. 55.123.4567",
    "L.2010.12.345",
    "Call number: PR 1234 .A5 1850",
    "Call number 1975.1.2345",
    "ISBN 978-0-306-40615-7",
    "ISBN 0-306-40615-2",
    "Inv. 12345678",
    "MS 1234 folio 56",
    # dimensions and measures
    "24 x 36 cm",
    "24.5 \u00d7 36.2 cm (9 5/8 \u00d7 14 1/4 in.)",
    "Sheet: 123 x 456 mm",
    "pH 7.5, 22 °C",
    "+/- 5 mm",
    # places and other numbers
    "Tel Aviv, 1948",
    "View of 5th Avenue, 1905",
    "Market Street, San Francisco, 1906",
    "Plate 12 from the Street Cries of London",
    "Gift of John Smith, 1975",
    "+40.712776, -74.005974",
    'circa 1617 <div style="display: none;">date QS:P,+1617-00-00T00:00:00Z/9</div>',
    "<em>The Art Quarterly</em> 6, no. 2 (Spring 1943): 150, 156.",
    "Apollo 11 lunar module",
    "Opus 27 No. 2",
    "Studio 54 at night",
    "@the_artist on social media",
    "The price was 2,000,000 francs",
]


@pytest.mark.parametrize(("text", "kind"), FOUND)
def test_contact_details_are_found(text, kind):
    assert kind in pii_kinds(text)


@pytest.mark.parametrize("text", NOT_FOUND)
def test_museum_numbers_dates_and_measures_are_not_personal_data(text):
    assert pii_kinds(text) == set()


def test_the_report_names_the_kinds_and_fields_but_not_the_data():
    found = text_pii(
        {
            "title": "Portrait",
            "description": "Commissions: jane@example.com or +44 20 7946 0958",
            "creator": "Jane Doe",
            "tags": "portrait\njane@example.com",
        }
    )
    assert found == {"email": ["description", "tags"], "phone": ["description"]}
    assert "jane" not in repr(found)


@given(email=st.emails(), before=st.sampled_from(["", "Contact ", "mail: ", "("]),
       after=st.sampled_from(["", " today", ".", ")", ", thanks"]))  # fmt: skip
def test_any_valid_email_address_is_found(email, before, after):
    assert EMAIL in pii_kinds(f"{before}{email}{after}")


@given(st.dates(), st.sampled_from(["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y",
                                    "%B %d, %Y", "%d %b %Y", "%Y%m%d"]))  # fmt: skip
def test_dates_are_never_personal_data(day, fmt):
    assert pii_kinds(f"Dated {day.strftime(fmt)}") == set()


@given(st.integers(1000, 2099), st.integers(0, 99))
def test_years_and_ranges_are_never_personal_data(year, span):
    assert pii_kinds(f"{year}-{year + span} and {year} to {year + span}") == set()


@given(
    st.one_of(st.integers(1, 99), st.integers(1000, 2030)),  # a year or a short department code
    st.lists(st.integers(0, 99999), min_size=1, max_size=3),
    st.sampled_from([".", "-", "/"]),
)
def test_accession_numbers_are_never_personal_data(year, parts, separator):
    groups = [str(p) for p in [year, *parts]]
    # The one shape taken for a phone number whatever it is: ending in North American groups
    # of three, three and four digits, area code and exchange from 2 to 9 (1.200.200.1000).
    tail = groups[-3:]
    assume(not ([len(g) for g in tail] == [3, 3, 4] and tail[0][0] >= "2" <= tail[1][0]))
    number = separator.join(groups)
    assert pii_kinds(f"Accession {number}") == set()


@given(
    st.floats(0.1, 999, allow_nan=False).map(lambda f: round(f, 1)),
    st.floats(0.1, 999, allow_nan=False).map(lambda f: round(f, 1)),
    st.sampled_from(["x", "\u00d7", "X", "by"]),
    st.sampled_from(["cm", "mm", "in.", "inches", ""]),
)
def test_dimensions_are_never_personal_data(width, height, times, unit):
    assert pii_kinds(f"{width:g} {times} {height:g} {unit}") == set()


@given(
    st.integers(200, 999),
    st.integers(200, 999),
    st.integers(0, 9999),
    st.sampled_from(["({a}) {b}-{c}", "{a}-{b}-{c}", "{a}.{b}.{c}", "+1 {a} {b} {c}"]),
)
def test_north_american_numbers_in_their_usual_shapes_are_found(area, exchange, line, shape):
    number = shape.format(a=area, b=exchange, c=f"{line:04d}")
    assert PHONE in pii_kinds(f"Call {number} today")
