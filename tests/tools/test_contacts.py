"""Contact ranking: names, role concepts, geography and languages over three companies' sheets."""

from __future__ import annotations

import csv
import io
import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from ingestion.records import ContactRecord
from ingestion.sheets import contacts_from_table, read_csv
from tools import geo
from tools.contacts import ContactCandidate, ContactIndex

ROOT = Path(__file__).resolve().parents[2]

# A third company, written here, with other headers (split names, Country + City, a free-text
# "Responsibilities" column): a bike maker with dealers and workshops.
BIKES_HEADER = (
    "First Name",
    "Last Name",
    "Title",
    "Team",
    "Country",
    "City",
    "Languages spoken",
    "Responsibilities",
    "Staff no.",
)
BIKES_ROWS = [
    (
        "Marta",
        "Kowalczyk",
        "Export Sales Manager",
        "Sales",
        "Poland",
        "Kraków",
        "Polish; English; German",
        "Dealer sales in Central and Eastern Europe",
        "1001",
    ),
    (
        "Tomás",
        "Oliveira",
        "Sales Representative",
        "Sales",
        "Portugal",
        "Porto",
        "Portuguese; Spanish; English",
        "Bike shops and rental fleets in Spain and Portugal",
        "1002",
    ),
    (
        "Greta",
        "Lindqvist",
        "Key Account Manager",
        "Sales",
        "Sweden",
        "Gothenburg",
        "Swedish; English",
        "Corporate bike leasing across Scandinavia",
        "1003",
    ),
    (
        "Chris",
        "Ng",
        "Customer Service Lead",
        "Customer Care",
        "United Kingdom",
        "Bristol",
        "English; Cantonese",
        "Orders, deliveries, returns",
        "1004",
    ),
    (
        "Ahmed",
        "Haddad",
        "Workshop Technician",
        "Service",
        "Germany",
        "Cologne",
        "German; Arabic; English",
        "Repairs, servicing, e-bike motor diagnostics",
        "1005",
    ),
    (
        "Julia",
        "Brandt",
        "Head of Marketing",
        "Marketing",
        "Germany",
        "Cologne",
        "German; English",
        "Sponsorships, influencer collaborations, events",
        "1006",
    ),
    (
        "Sam",
        "Okoro",
        "Accounts Receivable",
        "Finance",
        "Netherlands",
        "Amsterdam",
        "Dutch; English",
        "Dealer invoices, payment terms, credit limits",
        "1007",
    ),
    (
        "Laura",
        "Giménez",
        "Talent Partner",
        "People",
        "Spain",
        "Valencia",
        "Spanish; Catalan; English",
        "Open jobs and internships",
        "1008",
    ),
    (
        "Nikolai",
        "Petrov",
        "Supply Chain Manager",
        "Operations",
        "Czech Republic",
        "Brno",
        "Czech; Russian; English",
        "Component suppliers, frame sourcing",
        "1009",
    ),
    (
        "Emily",
        "Carter",
        "Warranty Specialist",
        "Customer Care",
        "United States",
        "Denver",
        "English",
        "Frame warranty claims in North America",
        "1010",
    ),
    (
        "Kenji",
        "Sato",
        "Distributor Manager Asia",
        "Sales",
        "Japan",
        "Osaka",
        "Japanese; English",
        "Distributors in Japan, Korea and Taiwan",
        "1011",
    ),
    (
        "Customer",
        "Hotline",
        "General enquiries",
        "Customer Care",
        "Global",
        "",
        "English",
        "Anything else: we route it",
        "1012",
    ),
]


# A fourth: a pump manufacturer whose territories are US states and regions.
PUMPS_HEADER = ("Contact", "Role", "Business Unit", "Sales Territory", "Email", "Speaks", "Focus")
PUMPS_ROWS = [
    (
        "Dana Whitaker",
        "Regional Sales Manager",
        "Industrial Pumps",
        "Texas, Oklahoma, Louisiana",
        "dana@pumps.example",
        "English; Spanish",
        "Oil & gas and municipal water",
    ),
    (
        "Kevin O'Brien",
        "Regional Sales Manager",
        "Industrial Pumps",
        "New England",
        "kevin@pumps.example",
        "English",
        "Food processing and breweries",
    ),
    (
        "Sofia Marino",
        "Sales Engineer",
        "Industrial Pumps",
        "California",
        "sofia@pumps.example",
        "English; Italian",
        "Irrigation and wineries",
    ),
    (
        "Raj Patel",
        "Channel Manager",
        "Distribution",
        "United States",
        "raj@pumps.example",
        "English; Gujarati",
        "Distributor onboarding and co-op marketing",
    ),
    (
        "Marie Tremblay",
        "Sales Manager Canada",
        "Industrial Pumps",
        "Canada",
        "marie@pumps.example",
        "French; English",
        "Quebec and Ontario accounts",
    ),
    (
        "Luis Herrera",
        "Export Manager",
        "International",
        "Latin America",
        "luis@pumps.example",
        "Spanish; English; Portuguese",
        "Mexico and South America distributors",
    ),
    (
        "Greg Hall",
        "Field Service Technician",
        "Service",
        "Midwest",
        "service@pumps.example",
        "English",
        "Repairs, commissioning, preventive maintenance",
    ),
    (
        "Tina Brooks",
        "Parts & Orders",
        "Customer Service",
        "United States",
        "orders@pumps.example",
        "English",
        "Spare parts, order status, RMAs",
    ),
    (
        "Alan Cho",
        "Applications Engineer",
        "Engineering",
        "Global",
        "engineering@pumps.example",
        "English; Korean",
        "Pump sizing, curves, material selection",
    ),
    (
        "Beth Ramos",
        "Accounts Payable",
        "Finance",
        "Global",
        "ap@pumps.example",
        "English; Spanish",
        "Vendor payments and W-9 forms",
    ),
]


def to_csv(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode()


def bikes_csv() -> bytes:
    return to_csv(BIKES_HEADER, BIKES_ROWS)


def candidate(record: ContactRecord, prefix: str) -> ContactCandidate:
    """Convert a loader record to what the contact tool receives."""
    return ContactCandidate(
        id=f"{prefix}-{record.row_number}",
        name=record.name,
        role=record.role,
        department=record.department,
        region=record.region,
        email=record.email,
        phone=record.phone,
        languages=list(record.languages),
        fields=dict(record.fields),
    )


def load(data: bytes, prefix: str) -> list[ContactCandidate]:
    return [candidate(r, prefix) for r in contacts_from_table(read_csv(data))]


@pytest.fixture(scope="module")
def indexes() -> dict[str, ContactIndex]:
    return {
        "solar": ContactIndex(load((ROOT / "demo" / "contacts.csv").read_bytes(), "a")),
        "vets": ContactIndex(
            load((ROOT / "tests" / "fixtures" / "company_b" / "contacts.csv").read_bytes(), "b")
        ),
        "bikes": ContactIndex(load(bikes_csv(), "c")),
        "pumps": ContactIndex(load(to_csv(PUMPS_HEADER, PUMPS_ROWS), "d")),
    }


def top_names(index: ContactIndex, query: str, k: int = 3) -> list[str]:
    return [m.contact.name or "" for m in index.search(query, k=k)]


@dataclass(frozen=True)
class Case:
    company: str
    query: str
    expected: tuple[str, ...]
    """Any of these people in the top 3 passes."""


CASES = [
    # -- the solar company (demo sheet) ---------------------------------------------------------
    Case(
        "solar",
        "looking for pricing on a home battery, we live in graz",
        ("Lea Hofmann", "Jonas Becker"),
    ),
    Case("solar", "who sells your systems in vienna?", ("Jonas Becker", "Lea Hofmann")),
    Case(
        "solar",
        "i write for a trade magazine and need a comment on your new product",
        ("Hannah Peters", "Ruben Hoekstra"),
    ),
    Case("solar", "somebody charged my card twice this month", ("Joost van Leeuwen",)),
    Case(
        "solar",
        "we distribute electrical equipment in edinburgh and would like to resell",
        ("Rhian Evans",),
    ),
    Case("solar", "can I get a price from someone in new zealand", ("Priya Raman",)),
    Case("solar", "quien lleva las ventas en méxico?", ("Diego Fuentes",)),
    Case(
        "solar",
        "do you have someone who speaks polish",
        ("Katarzyna Nowak", "Magda Zielińska", "Piotr Kaczmarek"),
    ),
    Case("solar", "gdpr request: please erase everything you store about me", ("Marloes Brink",)),
    Case(
        "solar",
        "we are a tender-driven purchasing department, who is your procurement lead",
        ("Piotr Kaczmarek",),
    ),
    Case("solar", "sales rep for stockholm?", ("Freja Nilsson", "Mikko Laine")),
    Case(
        "solar",
        "need a service engineer to come out and fix the unit in poznan",
        ("Magda Zielińska",),
    ),
    Case(
        "solar",
        "who can I talk to about recycling old batteries",
        ("Marek Dąbrowski", "Lotte Verbruggen"),
    ),
    Case("solar", "is lea hofman available", ("Lea Hofmann",)),
    Case("solar", "jonas beker's email please", ("Jonas Becker",)),
    Case("solar", "i need katarzyna nowak", ("Katarzyna Nowak",)),
    Case("solar", "contact for magda zielinska", ("Magda Zielińska",)),
    Case("solar", "agnieszka wojcik phone", ("Agnieszka Wójcik",)),
    Case("solar", "anyone handling installer partners in texas?", ("Tyler Brooks",)),
    Case("solar", "job openings in sydney - who's the recruiter", ("Daniel Kim",)),
    Case(
        "solar",
        "wer ist mein ansprechpartner für den vertrieb in bayern?",
        ("Jonas Becker", "Lea Hofmann"),
    ),
    Case("solar", "press contact in the states", ("Grace Whitfield",)),
    # -- the vet clinics (company B sheet) ------------------------------------------------------
    Case(
        "vets",
        "who's the surgeon for knee operations? my dog tore a ligament",
        ("Dr. Curtis Caldwell",),
    ),
    Case("vets", "i need my cat's prescription refilled", ("Nina Ivanova",)),
    Case("vets", "question about a charge on my bill", ("Dwayne Bell",)),
    Case("vets", "my rabbit needs a checkup, which vet sees rabbits", ("Dr. Anjali Nandakumar",)),
    Case("vets", "can i speak with dr okafor about my dog in the icu", ("Dr. Samuel Okafor",)),
    Case("vets", "is there someone who speaks japanese", ("Dr. Mei Tanaka",)),
    Case(
        "vets",
        "hablan español en la clínica?",
        ("Wren Castillo", "Rosa Delgado", "Aaron Whitlock", "Devin Ruiz", "Dr. Lucia Ferreira"),
    ),
    Case("vets", "i'm a vet student looking for an externship", ("Meredith Lindahl",)),
    Case("vets", "who manages the salem clinic", ("Aaron Whitlock",)),
    Case("vets", "need a dental estimate for my old dog", ("Dr. Lucia Ferreira",)),
    Case(
        "vets",
        "our shelter would like to partner with you in marion county",
        ("Aaron Whitlock", "Devin Ruiz"),
    ),
    Case("vets", "i want to file a complaint about my last appointment", ("Rosa Delgado",)),
    Case(
        "vets",
        "can I book an appointment for my parrot in bend",
        ("Beatriz Souza", "Dr. Anjali Nandakumar"),
    ),
    Case("vets", "I'd like to sponsor one of your events", ("Devin Ruiz",)),
    # -- the bike maker (inline sheet, other headers) -------------------------------------------
    Case(
        "bikes",
        "i'm opening a bike shop in lisbon and want to stock your bikes",
        ("Tomás Oliveira",),
    ),
    Case(
        "bikes",
        "my e-bike motor makes a grinding noise, who can repair it? i live near bonn",
        ("Ahmed Haddad",),
    ),
    Case("bikes", "company bikes for our 200 employees in stockholm", ("Greta Lindqvist",)),
    Case("bikes", "wer ist bei euch für rechnungen zuständig?", ("Sam Okoro",)),
    Case("bikes", "any internships for students?", ("Laura Giménez",)),
    Case("bikes", "mail for ms carter", ("Emily Carter",)),
    Case("bikes", "warranty claim for my frame, i bought it in colorado", ("Emily Carter",)),
    Case(
        "bikes", "we manufacture carbon frames and want to become a supplier", ("Nikolai Petrov",)
    ),
    Case("bikes", "who does your influencer marketing", ("Julia Brandt",)),
    Case("bikes", "looking for a distribution partner in korea", ("Kenji Sato",)),
    Case("bikes", "where is my order? it hasn't arrived", ("Chris Ng",)),
    Case("bikes", "dealer in warsaw here, who is our sales contact", ("Marta Kowalczyk",)),
    Case("bikes", "kenji sato", ("Kenji Sato",)),
    Case("bikes", "tomas oliveira", ("Tomás Oliveira",)),
    # -- the pump maker (US states and regions as territories) ----------------------------------
    Case("pumps", "who's the rep for houston", ("Dana Whitaker",)),
    Case("pumps", "we run a brewery in vermont and need a new pump", ("Kevin O'Brien",)),
    Case("pumps", "need a technician to service our pump in ohio", ("Greg Hall",)),
    Case("pumps", "help me size a pump for 200 gpm", ("Alan Cho",)),
    Case("pumps", "necesito un vendedor en monterrey", ("Luis Herrera",)),
    Case("pumps", "is kevin obrien available", ("Kevin O'Brien",)),
    Case("pumps", "where's my spare parts order", ("Tina Brooks",)),
    Case("pumps", "we'd like to become a distributor, based in chicago", ("Raj Patel",)),
    Case("pumps", "you still haven't paid our invoice", ("Beth Ramos",)),
    Case("pumps", "quote for a winery irrigation system near sacramento", ("Sofia Marino",)),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.company}:{c.query[:40]}" for c in CASES])
def test_expected_person_ranks_in_top_three(indexes: dict[str, ContactIndex], case: Case):
    names = top_names(indexes[case.company], case.query)
    assert set(names) & set(case.expected), f"{case.query!r} → {names}"


OFF_TOPIC = [
    ("solar", "what's the weather like in amsterdam today"),
    ("solar", "how do i reset my battery after a power cut"),
    ("solar", "what is the capacity of the vault c40"),
    ("vets", "how often should i deworm a puppy"),
    ("vets", "what are your opening hours on sunday"),
    ("bikes", "what tyre pressure should i use"),
    ("bikes", "hello"),
]
CONTACT_ASKS = [
    ("solar", "who handles press enquiries?"),
    ("solar", "who is the sales person for austria"),
    ("solar", "is Jonas around?"),
    ("solar", "email address of someone in billing"),
    ("vets", "who can i talk to about pet insurance claims"),
    ("vets", "is there anyone who speaks russian"),
    ("bikes", "who's your contact for dealers in poland"),
]


@pytest.mark.parametrize(("company", "query"), OFF_TOPIC)
def test_confidence_is_low_for_questions_that_ask_for_nobody(
    indexes: dict[str, ContactIndex], company: str, query: str
):
    assert indexes[company].confidence(query) < 0.35


@pytest.mark.parametrize(("company", "query"), CONTACT_ASKS)
def test_confidence_is_high_when_asking_for_someone_the_sheet_has(
    indexes: dict[str, ContactIndex], company: str, query: str
):
    assert indexes[company].confidence(query) >= 0.6


def test_confidence_is_low_for_a_person_another_company_has(indexes: dict[str, ContactIndex]):
    assert indexes["vets"].confidence("can i talk to Jonas Becker about a battery quote") < 0.3


def test_topic_and_place_together_outrank_either_alone(indexes: dict[str, ContactIndex]):
    names = top_names(indexes["solar"], "sales contact for germany", k=45)
    assert names[0] in {"Jonas Becker", "Lea Hofmann"}
    assert names.index("Jonas Becker") < names.index("Oliver Bennett")  # sales, other place
    assert names.index("Jonas Becker") < names.index("Anna Keller")  # same place, support


def test_explicit_language_beats_a_country_of_the_same_name(indexes: dict[str, ContactIndex]):
    # Finnish the language, not Finland: the Finnish speaker before the one covering Finland
    assert top_names(indexes["solar"], "someone who speaks finnish")[0] == "Mikko Laine"


def test_a_message_written_in_portuguese_prefers_portuguese_speakers(
    indexes: dict[str, ContactIndex],
):
    top = indexes["solar"].search("gostaria de falar com alguém sobre vendas, por favor", k=1)[0]
    assert top.contact.name == "Camila Duarte"
    assert "languages" in top.matched


def test_matched_explains_the_region_and_role(indexes: dict[str, ContactIndex]):
    top = indexes["solar"].search("who sells in munich", k=1)[0]
    assert "munich" in top.matched.get("region", "") + top.matched.get("Office", "")
    assert "sales" in top.matched.get("role", "") + top.matched.get("department", "")
    assert 0 < top.score <= 1


def test_exact_email_and_phone_find_their_owner(indexes: dict[str, ContactIndex]):
    solar = indexes["solar"]
    assert top_names(solar, "please forward to billing@solvane.example", k=1) == [
        "Joost van Leeuwen"
    ]
    assert top_names(solar, "who answers +49 89 5555 2410?", k=1) == ["Jonas Becker"]
    assert top_names(indexes["vets"], "what is (503) 555-0136", k=1) == ["Nina Ivanova"]


def test_semantic_similarity_finds_what_words_miss(indexes: dict[str, ContactIndex]):
    solar = indexes["solar"]
    joost = next(c for c in solar.contacts if c.name == "Joost van Leeuwen")
    semantic = {c.id: 0.2 for c in solar.contacts} | {joost.id: 0.68}
    query = "not sure what I still owe you"
    assert solar.search(query) == []
    top = solar.search(query, k=1, semantic=semantic)[0]
    assert top.contact.name == "Joost van Leeuwen"
    assert top.matched["semantic"] == "1.00"


def test_ties_keep_sheet_order():
    base = ContactCandidate("1", "Ann Lee", "Sales Manager", "Sales", "France", None, None, [], {})
    twins = [base, replace(base, id="2", name="Bob Ray"), replace(base, id="3", name="Cy Fox")]
    matches = ContactIndex(twins).search("sales in paris", k=3)
    assert [m.contact.id for m in matches] == ["1", "2", "3"]
    assert len({m.score for m in matches}) == 1


def test_unrelated_message_returns_nobody(indexes: dict[str, ContactIndex]):
    assert indexes["bikes"].search("what's the weather like") == []


# -- geo -------------------------------------------------------------------------------------
def keys(text: str, **kwargs: object) -> list[str]:
    return [p.key for p in geo.resolve(text, **kwargs)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("want a quote near munich", "city:DE-BY:munich"),
        ("we're based in Leeds", "city:GB-ENG:leeds"),
        ("vocês vendem no brasil?", "country:BR"),
        ("dairy farm in friesland", "sub:NL-FR"),
        ("office in Poznań", "city:PL-WP:poznan"),
        ("office in poznan", "city:PL-WP:poznan"),
        ("from Łódź", "city:PL-LD:lodz"),
        ("a customer in the US", "country:US"),
        ("sales in the Nordics", "group:nordics"),
        ("installers in DE/AT/CH", "group:dach"),
        ("covering UK & Ireland", "group:uki"),
        ("our west coast stores", "group:us_west"),
        ("I'm in Nice this week", "city:FR-PAC:nice"),
        ("the Reading office", "city:GB-ENG:reading"),
        ("we are in Austin, Texas", "city:US-TX:austin"),
        ("a German company", "country:DE"),
    ],
)
def test_resolve_finds_places(text: str, expected: str):
    assert expected in keys(text)


@pytest.mark.parametrize(
    "text",
    [
        "nice to meet you",
        "I was reading the manual",
        "my mobile number changed",
        "we keep guinea pigs",
        "IT support please",
        "can I talk to Jordan about it",
        "ask Austin about it",
        "how do i bend the bracket",
        "please email us",
    ],
)
def test_resolve_ignores_common_words_and_first_names(text: str):
    assert keys(text) == []


def test_resolve_reads_country_codes_in_lists_only():
    assert keys("install dates in NL and BE") == ["country:NL", "country:BE"]
    assert keys("is it in stock") == []


def test_ambiguous_city_follows_context():
    assert keys("near portland") == ["city:US-OR:portland"]
    assert keys("Portland, Maine") == ["city:US-ME:portland, maine"]
    assert "sub:US-GA" in keys("in georgia", context={"US", "US-OR"})
    assert "country:GE" in keys("in georgia", context={"DE"})


@pytest.mark.parametrize(
    ("asked", "cell", "low", "high"),
    [
        ("Germany", "Germany", 1.0, 1.0),
        ("Munich", "Germany", 0.95, 0.95),
        ("Munich", "DACH", 0.8, 0.9),
        ("Munich", "Central Europe", 0.7, 0.8),
        ("Munich", "EMEA", 0.45, 0.55),
        ("Munich", "Bavaria", 0.9, 1.0),
        ("Munich", "Munich", 1.0, 1.0),
        ("Munich", "Global", 0.25, 0.35),
        ("Munich", "Augsburg", 0.55, 0.65),
        ("Munich", "Berlin", 0.45, 0.55),
        ("Munich", "Vienna", 0.3, 0.4),
        ("Munich", "APAC", 0.0, 0.0),
        ("Germany", "Munich", 0.8, 0.9),
        ("Leeds", "UK & Ireland", 0.8, 0.9),
        ("Leeds", "United Kingdom", 0.95, 0.95),
        ("Houston", "Texas", 1.0, 1.0),
        ("Houston", "California", 0.25, 0.35),
        ("Texas", "Dallas", 0.8, 0.9),
        ("Australia", "APAC", 0.45, 0.55),
        ("Australia", "ANZ", 0.8, 0.9),
        ("Norway", "Nordics", 0.8, 0.9),
        ("Norway", "Scandinavia", 0.8, 0.9),
        ("Brazil", "LATAM", 0.7, 0.8),
        ("Friesland", "Benelux", 0.8, 0.9),
        ("Seattle", "West Coast", 0.8, 0.9),
        ("Seattle", "North America", 0.7, 0.8),
        ("Vancouver", "Western Canada", 0.8, 0.9),
        ("Eugene", "Hawthorne (Portland)", 0.55, 0.65),
        ("Mexico", "North America", 0.0, 0.25),
    ],
)
def test_matches_scores_how_a_region_cell_covers_a_place(
    asked: str, cell: str, low: float, high: float
):
    [place] = geo.resolve(asked, lenient=True)
    assert low <= geo.matches(place, cell) <= high


def test_every_referenced_place_and_language_exists():
    gaz = geo._gazetteer()
    for place in gaz.places.values():
        for atom in place.atoms:
            assert f"country:{atom.split('-')[0]}" in gaz.places, place.key
            assert "-" not in atom or f"sub:{atom}" in gaz.places, place.key
    for codes in gaz.country_languages.values():
        assert set(codes) <= set(gaz.languages)
    assert sum(p.kind == "country" for p in gaz.places.values()) >= 195
    assert 400 <= sum(p.kind == "city" for p in gaz.places.values())


def test_languages_in_text():
    [finnish] = geo.languages_in("is there someone who speaks finnish")
    assert (finnish.language.code, finnish.explicit) == ("fi", True)
    assert [m.language.code for m in geo.languages_in("alguém que fale em português?")] == ["pt"]
    assert geo.languages_in("we polish the frames") == []
    assert geo.language_named("Português").code == "pt"  # type: ignore[union-attr]
    assert geo.language_named("Chinese (Mandarin)").code == "zh"  # type: ignore[union-attr]
    assert geo.related_languages("yue", "zh")


def test_detect_language_only_judges_messages_of_four_words_or_more():
    assert geo.detect_language("com quem posso falar sobre vendas no brasil") == "pt"
    assert geo.detect_language("who handles press enquiries for you") == "en"
    assert geo.detect_language("hallo zusammen") is None


# -- speed (a benchmark that prints; nothing is timed-asserted) ------------------------------------
def synthetic_sheet(rows: int) -> list[ContactCandidate]:
    """Return `rows` contacts: the demo sheet with names and regions varied."""
    base = load((ROOT / "demo" / "contacts.csv").read_bytes(), "s")
    regions = [
        "DACH",
        "Benelux",
        "Nordics",
        "UK & Ireland",
        "North America",
        "APAC",
        "LATAM",
        "Iberia",
        "CEE",
        "France",
        "Italy",
        "MENA",
        "Japan",
        "Canada",
        "Global",
    ]
    out = []
    for i in range(rows):
        row = base[i % len(base)]
        name = f"{row.name} {i}"
        region = regions[i % len(regions)]
        out.append(
            replace(
                row,
                id=str(i),
                name=name,
                region=region,
                fields={**row.fields, "Full Name": name, "Region": region},
            )
        )
    return out


def test_query_speed_for_500_contacts_benchmark():
    contacts = synthetic_sheet(500)
    started = time.perf_counter()
    index = ContactIndex(contacts)
    build_ms = (time.perf_counter() - started) * 1000
    queries = [c.query for c in CASES if c.company == "solar"] + [q for _, q in OFF_TOPIC]
    for query in queries:  # warm caches (gazetteer, language profiles) once
        index.search(query)
    timings = []
    for _ in range(3):
        for query in queries:
            t0 = time.perf_counter()
            index.search(query + " ")  # a new string: the per-message cache does not apply
            timings.append((time.perf_counter() - t0) * 1000)
    print(
        json.dumps(
            {
                "bench": "contact_search",
                "contacts": len(contacts),
                "queries": len(timings),
                "build_ms": round(build_ms, 1),
                "median_ms": round(statistics.median(timings), 3),
                "p95_ms": round(sorted(timings)[int(len(timings) * 0.95)], 3),
            }
        )
    )
    assert len(index.search("sales in germany")) == 5
