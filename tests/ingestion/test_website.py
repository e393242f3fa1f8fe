"""Website loader: page extraction, local folders and a real crawl of a loopback site."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from ingestion import website
from ingestion.html_extract import dom_blocks, normalize_url, parse_html, same_site
from ingestion.records import LoaderError, PageRecord
from ingestion.website import (
    CrawlResult,
    crawl,
    crawl_pages,
    extract_page,
    load_local_pages,
    local_site_files,
)

DEMO_SITE = Path(__file__).resolve().parents[2] / "demo" / "site"
UA = "SignpostBot/1.0 (+https://signpost.example/bot)"
SHOP = "https://www.acme-outdoor.example"

# Text of the chrome every page below carries: none of it may reach a record's text.
CHROME = (
    "Skip to content",
    "Free shipping on orders over",
    "Shop all",
    "Our story",
    "We use cookies",
    "Accept all cookies",
    "Sign up for our newsletter",
    "Acme Outdoor Co.",
    "Shipping & returns",
    "Shop now",
)


def acme_page(main: str, *, head: str = "", title: str = "Acme Outdoor") -> str:
    """Wrap `main` in the chrome of a typical small-business site."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">{head}
<link rel="stylesheet" href="/static/site.css"></head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<div class="promo-bar">Free shipping on orders over $50 &middot; <a href="/ship/">details</a></div>
<header class="masthead">
  <a href="/"><img src="/static/acme-logo.png" alt="Acme Outdoor" width="140" height="40"></a>
  <nav aria-label="Main"><ul>
    <li><a href="/shop/">Shop all</a></li><li><a href="/about/">Our story</a></li>
    <li><a href="/journal/">Journal</a></li><li><a href="/contact/">Contact</a></li>
  </ul></nav>
  <a class="btn" href="/shop/new/">Shop now</a>
</header>
{main}
<footer class="site-footer">
  <div class="cols"><h3>Help</h3><ul><li><a href="/shipping/">Shipping &amp; returns</a></li>
  <li><a href="/warranty/">Warranty</a></li></ul></div>
  <form class="newsletter" action="/subscribe"><h3>Sign up for our newsletter</h3>
    <input type="email" name="email"><button>Subscribe</button></form>
  <p>&copy; 2026 Acme Outdoor Co. &middot; 12 Harbour Road, Bristol &middot; +44 117 496 0000</p>
</footer>
<div class="cookie-notice" role="dialog" aria-label="Cookies">
  <p>We use cookies to improve your experience and to measure traffic.</p>
  <button>Accept all cookies</button><button>Reject</button>
</div>
<script>window.dataLayer = [];</script>
</body></html>"""


PRODUCT_HEAD = """
<meta name="description"
 content="A two-person backpacking tent that pitches in three minutes and weighs 2.4 kg.">
<meta name="keywords" content="backpacking tent, two-person tent">
<meta property="og:site_name" content="Acme Outdoor">
<meta property="og:type" content="product">
<meta property="og:title" content="Trailblazer 2 Tent | Acme Outdoor">
<meta property="og:image" content="/img/trailblazer-2.jpg">
<link rel="canonical" href="https://WWW.Acme-Outdoor.example/products/trailblazer-2/?utm_source=x#top">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "Product",
 "name": "Trailblazer 2", "offers": {"@type": "Offer", "price": "349.00", "priceCurrency": "USD"}}
</script>"""

PRODUCT_MAIN = """
<main id="main">
<nav class="breadcrumbs"><a href="/">Home</a> › <a href="/shop/tents/">Tents</a></nav>
<div class="product">
  <img src="/img/trailblazer-2-front.jpg" alt="Trailblazer 2 pitched on a ridge">
  <h1>Trailblazer 2</h1>
  <p class="price">$349.00 <s>$399.00</s></p>
  <p>A two-person backpacking tent that pitches in three minutes and shrugs off alpine storms.
     Two doors mean nobody climbs over anybody at 3 a.m.</p>
  <button class="add-to-cart">Add to cart</button>
  <h2>Features</h2>
  <ul><li>Two doors and two vestibules for boots and packs.</li>
      <li>Colour-coded poles that clip on in seconds.</li></ul>
  <h2>Specifications</h2>
  <table class="specs">
    <tr><th>Weight</th><td>2.4 kg</td></tr>
    <tr><th>Packed size</th><td>46 × 15 cm</td></tr>
    <tr><th>Capacity</th><td>2 people</td></tr>
  </table>
  <h3>In the box</h3>
  <p>Tent body, fly sheet, poles, twelve stakes and a compression stuff sack.</p>
</div>
</main>"""


def record(html: str | bytes, url: str) -> PageRecord:
    page = extract_page(html, url)
    assert page is not None
    return page


# -- extraction ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def product() -> PageRecord:
    html = acme_page(PRODUCT_MAIN, head=PRODUCT_HEAD, title="Trailblazer 2 | Acme Outdoor")
    return record(html, f"{SHOP}/products/trailblazer-2/?ref=nav")


def test_product_page_text_has_no_header_nav_footer_or_cookie_banner(product: PageRecord) -> None:
    assert "shrugs off alpine storms" in product.text
    assert [c for c in CHROME if c in product.text] == []
    assert all(c not in chunk.text for c in CHROME for chunk in product.chunks)


def test_product_page_metadata(product: PageRecord) -> None:
    assert product.title == "Trailblazer 2 Tent"
    assert product.description.startswith("A two-person backpacking tent")
    assert product.summary == product.description  # a real sentence is kept as the summary
    assert product.url == f"{SHOP}/products/trailblazer-2/"
    assert product.thumbnail_url == f"{SHOP}/img/trailblazer-2.jpg"
    assert product.kind == "product"
    assert product.price == "$349.00"
    assert product.headings == ["Trailblazer 2", "Features", "Specifications", "In the box"]
    assert product.keywords[:2] == ["backpacking tent", "two-person tent"]
    assert len(product.keywords) > 2


def test_spec_table_rows_land_in_a_chunk_named_after_their_section(product: PageRecord) -> None:
    by_section = {c.section: c.text for c in product.chunks}
    specs = by_section["Trailblazer 2 Tent › Specifications"]
    assert "Weight | 2.4 kg" in specs and "Capacity | 2 people" in specs
    assert "stuff sack" in by_section["Trailblazer 2 Tent › Specifications › In the box"]
    assert "Colour-coded poles" in by_section["Trailblazer 2 Tent › Features"]
    assert "alpine storms" in by_section["Trailblazer 2 Tent"]


FARES_TABLE = """<table>
  <thead><tr><th>Ticket</th><th>Size</th><th>Harbour – Isle</th><th>Isle – Cove</th></tr></thead>
  <tbody>
    <tr><td>Car</td><td>Up to 5 m</td><td>£48.50</td><td>£31.00</td></tr>
    <tr><td>Van</td><td>Up to 6 m</td><td>£71.00</td><td></td></tr>
    <tr><th colspan="4">Winter</th></tr>
    <tr><td>Car</td><td>Up to 5 m</td><td>£39.00</td><td>£25.00</td></tr>
  </tbody>
</table>"""


def test_rows_of_a_table_with_a_header_carry_their_column_names() -> None:
    main = f"<main><h1>Fares</h1><p>What a crossing costs, by vehicle.</p>{FARES_TABLE}</main>"
    expected = [
        "Ticket: Car; Size: Up to 5 m; Harbour – Isle: £48.50; Isle – Cove: £31.00",
        "Ticket: Van; Size: Up to 6 m; Harbour – Isle: £71.00",
        "Winter",  # a heading row inside the table stays a heading, unlabelled
        "Ticket: Car; Size: Up to 5 m; Harbour – Isle: £39.00; Isle – Cove: £25.00",
    ]
    page = record(acme_page(main, title="Fares"), f"{SHOP}/fares/")
    lines = page.text.split("\n\n")
    assert lines[lines.index(expected[0]) :][:4] == expected  # no header row of its own
    # The DOM path (pages too big for trafilatura) writes the same rows.
    root = parse_html(f"<html><body>{FARES_TABLE}</body></html>")
    assert [b.text for b in dom_blocks(root)] == expected


ARTICLE = acme_page(
    """<div class="content"><article>
  <header><h1>Cooking over a campfire</h1>
    <p class="byline">By Sam Reyes · <time datetime="2026-03-02">2 March 2026</time></p></header>
  <p>Most campfire meals fail for one reason: the fire is too big. Cook over embers, not flames.</p>
  <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="">
  <img src="/t/pixel.gif" width="1" height="1" alt="">
  <img src="/static/icons/star.svg" class="icon" alt="star">
  <img src="photos/embers.jpg" alt="Glowing embers under a grill">
  <h2>Build a cooking fire</h2>
  <p>Start an hour before dinner. Let hardwood burn down until it is covered in white ash.</p>
  <h2>What to cook first</h2>
  <p>Foil-packet potatoes need forty minutes; sausages need ten. Start with the potatoes.</p>
</article></div>""",
    head="""<meta property="og:type" content="article">
<meta name="description" content="campfire, cooking, embers, recipes">
<link rel="canonical" href="https://medium.example/@acme/cooking-over-a-campfire">""",
    title="Cooking over a campfire – Acme Outdoor",
)


def test_article_without_main_element_keeps_content_and_drops_chrome() -> None:
    page = record(ARTICLE, f"{SHOP}/journal/campfire-cooking/?utm_campaign=spring#comments")
    assert page.kind == "article"
    assert page.title == "Cooking over a campfire"  # " – Acme Outdoor" is the host's name
    # The canonical is on another host, so the page keeps its own (normalised) URL.
    assert page.url == f"{SHOP}/journal/campfire-cooking/"
    assert "Cook over embers, not flames." in page.text
    assert [c for c in CHROME if c in page.text] == []
    sections = [c.section for c in page.chunks]
    assert "Cooking over a campfire › Build a cooking fire" in sections
    # A keyword list is not a summary: one is written from the text instead.
    assert page.summary and page.summary != page.description and "fire" in page.summary


def test_thumbnail_falls_back_to_first_real_content_image() -> None:
    page = record(ARTICLE, f"{SHOP}/journal/campfire-cooking/")
    # Not the header logo, the data: URI, the 1×1 pixel or the icon.
    assert page.thumbnail_url == f"{SHOP}/journal/campfire-cooking/photos/embers.jpg"


def test_title_keeps_dashes_that_are_not_a_site_name() -> None:
    html = acme_page(
        "<main><h1>Wi-Fi on the trail</h1><p>Satellite messengers work where phones do not.</p>"
        "</main>",
        head='<meta property="og:site_name" content="Acme Outdoor">',
        title="Wi-Fi - staying connected on the trail | Acme Outdoor",
    )
    assert record(html, f"{SHOP}/guides/wifi").title == "Wi-Fi - staying connected on the trail"


def test_very_short_page_falls_back_to_the_main_text() -> None:
    html = acme_page("<main><h1>Opening hours</h1><p>Mon–Fri 9:00–17:30.</p></main>")
    page = record(html, f"{SHOP}/hours/")
    assert "Mon–Fri 9:00–17:30." in page.text
    assert page.headings == ["Opening hours"]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", id="pdf"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", id="png"),
        pytest.param(b'{"not": "html"}', id="json"),
        pytest.param(acme_page("<main>   </main>").encode(), id="only-chrome"),
        pytest.param(acme_page("").encode(), id="no-main-only-chrome"),
        pytest.param(
            acme_page(
                "<main><h1>Page not found</h1><p>Try the search instead.</p></main>",
                head='<meta name="robots" content="noindex, follow">',
            ).encode(),
            id="noindex",
        ),
    ],
)
def test_pages_without_meaningful_content_give_none(data: bytes) -> None:
    assert extract_page(data, f"{SHOP}/x/") is None


@dataclass(frozen=True)
class KindCase:
    name: str
    main: str
    head: str = ""
    url: str = f"{SHOP}/trailblazer"  # no hint in the path
    expected: str = "other"
    price: str | None = None


PLAIN = (
    "<main><h1>{h}</h1><p>Everything you need for a weekend in the hills, in one place.</p>"
    "{x}</main>"
)
KIND_CASES = [
    KindCase(
        "json-ld product only",
        PLAIN.format(h="Trailblazer 2", x=""),
        head='<script type="application/ld+json">{"@context":"https://schema.org",'
        '"@graph":[{"@type":"WebPage"},{"@type":"Product","name":"Trailblazer 2"}]}</script>',
        expected="product",
    ),
    KindCase(
        "json-ld blog posting only",
        PLAIN.format(h="Ten trail snacks", x=""),
        head='<script type="application/ld+json">{"@type":"BlogPosting","headline":"x"}</script>',
        expected="article",
    ),
    KindCase(
        "json-ld contact page only",
        PLAIN.format(h="Talk to us", x=""),
        head='<script type="application/ld+json">{"@type":"ContactPage"}</script>',
        expected="contact",
    ),
    KindCase(
        "og:type product only",
        PLAIN.format(h="Trailblazer 2", x=""),
        head='<meta property="og:type" content="product">',
        expected="product",
    ),
    KindCase(
        "og:type article only",
        PLAIN.format(h="Ten trail snacks", x=""),
        head='<meta property="og:type" content="article">',
        expected="article",
    ),
    KindCase(
        "microdata product only",
        '<main><div itemscope itemtype="https://schema.org/Product"><h1>Stove</h1>'
        "<p>Boils a litre of water in three minutes on a single canister.</p></div></main>",
        expected="product",
    ),
    KindCase(
        "price and add-to-cart only",
        PLAIN.format(h="Trailblazer 2", x="<p>€1.299,00</p><button>Add to cart</button>"),
        expected="product",
        price="€1.299,00",
    ),
    KindCase(
        "price and request-a-quote only",
        PLAIN.format(h="Base camp dome", x='<p>From $4,990</p><a href="/q">Request a quote</a>'),
        expected="product",
        price="$4,990",
    ),
    KindCase(
        "price without a call to action",
        PLAIN.format(h="Gift cards", x="<p>From $25.</p>"),
    ),
    KindCase(
        "price list is not a product",
        PLAIN.format(
            h="Rental prices",
            x="<p>Tent $20, stove $8, mat $5, pack $12.</p><a href='/book'>Order now</a>",
        ),
    ),
    KindCase("nothing at all", PLAIN.format(h="Our story", x="")),
    KindCase(
        "contact title and email",
        PLAIN.format(h="Contact us", x="<p>hello@acme.example</p>"),
        expected="contact",
    ),
    KindCase(
        "product url",
        PLAIN.format(h="Trailblazer 2", x=""),
        url=f"{SHOP}/products/trailblazer-2/",
        expected="product",
    ),
    KindCase(
        "product listing url",
        PLAIN.format(h="All tents", x=""),
        url=f"{SHOP}/products/",
    ),
    KindCase(
        "blog url",
        PLAIN.format(h="Ten trail snacks", x=""),
        url=f"{SHOP}/blog/trail-snacks",
        expected="article",
    ),
    KindCase(
        "blog pagination url",
        PLAIN.format(h="Journal", x=""),
        url=f"{SHOP}/blog/page/2/",
    ),
    KindCase(
        "contact url",
        PLAIN.format(h="Visit the shop", x=""),
        url=f"{SHOP}/contact-us.html",
        expected="contact",
    ),
]


@pytest.mark.parametrize("case", KIND_CASES, ids=[c.name for c in KIND_CASES])
def test_kind_is_decided_from_generic_signals(case: KindCase) -> None:
    # Every page carries the shop's chrome: a "$50" promo bar and a "Shop now" header button.
    page = record(acme_page(case.main, head=case.head), case.url)
    assert (page.kind, page.price) == (case.expected, case.price)


def test_price_is_read_as_written_on_product_pages() -> None:
    html = acme_page(PLAIN.format(h="Stove", x="<p>€1.299,00</p><button>In den Warenkorb</button>"))
    assert record(html, f"{SHOP}/stove").price == "€1.299,00"


def test_bytes_are_decoded_with_the_declared_charset() -> None:
    html = acme_page("<main><h1>Café Zürich</h1><p>Grüße aus der Schweiz, täglich.</p></main>")
    data = html.replace('charset="utf-8"', 'charset="iso-8859-1"').encode("iso-8859-1")
    page = record(data, f"{SHOP}/cafe")
    assert "Grüße aus der Schweiz" in page.text


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "HTTPS://WWW.Acme.example:443/Tents/?b=2&utm_source=x&a=1#reviews",
            "https://www.acme.example/Tents/?a=1&b=2",
        ),
        ("http://acme.example", "http://acme.example/"),
        ("http://acme.example:8080/a?gclid=1&fbclid=2", "http://acme.example:8080/a"),
        ("https://acme.example/a/", "https://acme.example/a/"),  # the slash is kept
        ("https://acme.example/two words", "https://acme.example/two%20words"),
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


def test_www_and_apex_are_one_site_but_ports_and_subdomains_are_not() -> None:
    assert same_site("https://www.acme.example/a", "http://acme.example/b")
    assert not same_site("https://shop.acme.example/", "https://acme.example/")
    assert not same_site("http://127.0.0.1:8001/", "http://127.0.0.1:8002/")


# -- local folder --------------------------------------------------------------------------
def test_local_folder_maps_files_to_urls(tmp_path: Path) -> None:
    for rel in (
        "index.html",
        "about.html",
        "pricing/index.html",
        "docs/guide.htm",
        "docs/a b.html",
        ".git/x.html",
        ".hidden.html",
        "notes.txt",
        "img/logo.png",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"<html></html>")
    urls = [url for url, _ in local_site_files(tmp_path, "https://acme.example")]
    assert urls == [
        "https://acme.example/about.html",
        "https://acme.example/docs/a%20b.html",
        "https://acme.example/docs/guide.htm",
        "https://acme.example/",
        "https://acme.example/pricing/",
    ]


def _small_site(root: Path) -> Path:
    pages = {
        "index.html": "<main><h1>Acme</h1><p>Gear for long walks and short nights.</p></main>",
        "about/index.html": "<main><h1>History</h1><p>Founded in Bristol in 1987.</p></main>",
        "products/stove/index.html": PLAIN.format(h="Stove", x="<p>$89</p><button>Buy</button>"),
        "404.html": "<main><h1>Not found</h1><p>Nothing here, sorry.</p></main>",
    }
    for rel, main in pages.items():
        head = '<meta name="robots" content="noindex">' if rel == "404.html" else ""
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(acme_page(main, head=head))
    return root


def test_load_local_pages_yields_one_record_per_page(tmp_path: Path) -> None:
    site = DEMO_SITE if (DEMO_SITE / "index.html").exists() else _small_site(tmp_path)
    base = "https://www.site.example/"
    items = list(load_local_pages(site, base))
    assert [i for i in items if isinstance(i, LoaderError)] == []
    pages = [i for i in items if isinstance(i, PageRecord)]
    files = [p for p in site.rglob("*.html") if not any(s.startswith(".") for s in p.parts)]
    indexable = [p for p in files if b"noindex" not in p.read_bytes()]
    assert len(pages) == len(indexable)
    assert len({p.url for p in pages}) == len(pages)
    assert all(p.url.startswith("https://www.site.example/") for p in pages)
    assert all(p.title and p.chunks for p in pages)
    assert any(p.kind == "product" for p in pages)
    # Site chrome repeats on every page; no paragraph of a record's text may do so.
    paragraphs = Counter(para for p in pages for para in set(p.text.split("\n\n")))
    assert [t for t, n in paragraphs.items() if n > max(2, len(pages) // 2)] == []


def test_a_large_folder_is_extracted_in_a_child_process_with_the_same_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _small_site(tmp_path / "site")
    (site / "broken.html").write_bytes(b"\xff\xfe<html><body>" + b"\x00" * 64)
    (site / "copy").mkdir()
    (site / "copy" / "index.html").write_bytes((site / "index.html").read_bytes())
    base = "https://www.site.example/"

    def summary(items: list[PageRecord | LoaderError]) -> list[tuple[str, ...]]:
        return [
            ("error", str(i)) if isinstance(i, LoaderError) else (i.url, i.title, i.content_hash)
            for i in items
        ]

    monkeypatch.setattr(website, "PROCESS_MIN_PAGES", 10**9)
    in_process = list(load_local_pages(site, base))
    spawned: list[object] = []
    original = website._extracted_in_child

    def counting(files: list[tuple[str, Path]]) -> Any:
        spawned.append(files)
        return original(files)

    monkeypatch.setattr(website, "PROCESS_MIN_PAGES", 1)
    monkeypatch.setattr(website, "_extracted_in_child", counting)
    in_child = list(load_local_pages(site, base))
    assert len(spawned) == 1
    assert summary(in_child) == summary(in_process)
    urls = [i.url for i in in_child if isinstance(i, PageRecord)]
    assert len(urls) == len(set(urls))
    assert len({base, base + "copy/"} & set(urls)) == 1  # the copy's duplicate text is dropped


# -- crawling: a real site on loopback ----------------------------------------------------
@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    location: str | None = None
    delay: float = 0.0
    send_length: bool = True


@dataclass
class FixtureServer:
    host: str = "127.0.0.1"
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    """(path with query, User-Agent) of every request received."""
    active: int = 0
    max_active: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    httpd: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.httpd is not None
        return f"http://{self.host}:{self.httpd.server_address[1]}"

    def paths(self) -> list[str]:
        return [p for p, _ in self.requests]

    def start(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                with server.lock:
                    server.requests.append((self.path, self.headers.get("User-Agent", "")))
                route = server.routes.get(urlsplit(self.path).path, Route(b"gone", 404))
                try:
                    self.wait(route.delay)
                    self.respond(route)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the crawler hung up on purpose (too big, not HTML)

            def wait(self, delay: float) -> None:
                # Counted while the request is certainly open: before any byte of the answer.
                with server.lock:
                    server.active += 1
                    server.max_active = max(server.max_active, server.active)
                time.sleep(delay)
                with server.lock:
                    server.active -= 1

            def respond(self, route: Route) -> None:
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                if route.location:
                    self.send_header("Location", route.location)
                if route.send_length:
                    self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                for start in range(0, len(route.body), 16_384):
                    self.wfile.write(route.body[start : start + 16_384])

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        assert self.httpd is not None
        self.httpd.shutdown()
        self.httpd.server_close()


def html_page(title: str, body: str, head: str = "") -> bytes:
    """Return a crawlable page whose navigation only links to pages that exist."""
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>{head}</head>
<body><header><nav><a href="/">Home</a> <a href="/about/">About</a></nav></header>
<main><h1>{title}</h1>{body}</main>
<footer><p>&copy; 2026 Acme Outdoor Co.</p></footer></body></html>""".encode()


def para(text: str) -> str:
    return f"<p>{text} This sentence makes the page a real page with real words in it.</p>"


def links(*hrefs: str) -> str:
    return "<ul>" + "".join(f'<li><a href="{h}">{h}</a></li>' for h in hrefs) + "</ul>"


@pytest.fixture(scope="module")
def offsite() -> Iterator[FixtureServer]:
    server = FixtureServer(host="localhost")  # another host name, another port: another site
    server.routes["/offsite"] = Route(html_page("Elsewhere", para("Another site.")))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def site(offsite: FixtureServer) -> Iterator[FixtureServer]:
    server = FixtureServer()
    server.start()
    base, away = server.base, offsite.base
    dup = '<link rel="canonical" href="/dup-a/">'
    r = server.routes
    r["/robots.txt"] = Route(
        f"User-agent: *\nDisallow: /private/\n\nUser-agent: SignpostBot\nDisallow: /private/\n"
        f"Disallow: /bots-keep-out/\n\nSitemap: {base}/sitemap_index.xml\n".encode(),
        content_type="text/plain",
    )
    r["/sitemap_index.xml"] = Route(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>{base}/sitemap-pages.xml</loc></sitemap></sitemapindex>""".encode(),
        content_type="application/xml",
    )
    r["/sitemap-pages.xml"] = Route(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>{base}/</loc></url><url><loc>{base}/orphan/</loc></url>
  <url><loc>{away}/offsite</loc></url></urlset>""".encode(),
        content_type="application/xml",
    )
    r["/"] = Route(
        html_page(
            "Home",
            para("Welcome to the shop.")
            + links(
                "/about/",
                "/old-page",
                "/missing/",
                "/files/manual.pdf",
                "/private/secret/",
                "/bots-keep-out/",
                f"{away}/offsite",
                "/go-away",
                "mailto:hi@acme.example",
                "tel:+441174960000",
                "javascript:void(0)",
                "/huge/",
                "/huge-declared/",
                "/slow/",
                "/dup-a/",
                "/dup-b/",
                "/same",
                "/same/",
                "/image",
                "/deep/1/",
                "/base-test/",
                "#top",
            ),
        )
    )
    r["/about/"] = Route(
        html_page(
            "About",
            para("We make tents.")
            + links(
                "/?utm_source=footer&utm_medium=link",
                "/about/?gclid=abc#team",
                "/about/#team",
            ),
        )
    )
    r["/orphan/"] = Route(html_page("Orphan", para("Only the sitemap knows this page.")))
    r["/old-page"] = Route(status=301, location="/moved/")
    r["/moved/"] = Route(html_page("Moved", para("The page now lives here.")))
    r["/go-away"] = Route(status=302, location=f"{away}/offsite")
    r["/private/secret/"] = Route(html_page("Secret", para("Robots said no.")))
    r["/bots-keep-out/"] = Route(html_page("Bots", para("Not for SignpostBot.")))
    r["/huge/"] = Route(html_page("Huge", para("x" * 300_000)), send_length=False)
    r["/huge-declared/"] = Route(html_page("Huge 2", para("y" * 300_000)))
    r["/slow/"] = Route(html_page("Slow", para("Too slow.")), delay=1.5)
    r["/dup-a/"] = Route(html_page("Dup", para("Same page, session 1."), head=dup))
    r["/dup-b/"] = Route(html_page("Dup", para("Same page, session 2."), head=dup))
    r["/same"] = Route(html_page("Same", para("Served twice.")))
    r["/same/"] = Route(html_page("Same", para("Served twice.")))
    r["/image"] = Route(b"\x89PNG" + b"\x00" * 2_000_000, content_type="image/png")
    r["/base-test/"] = Route(
        html_page(
            "Base", para("Links resolve against the base."), head='<base href="/other-base/">'
        ).replace(b"</main>", b'<a href="target/">target</a></main>')
    )
    r["/other-base/target/"] = Route(html_page("Target", para("Found through <base href>.")))
    for n in range(1, 8):
        body = para(f"Level {n}.") + links(f"/deep/{n + 1}/")
        r[f"/deep/{n}/"] = Route(html_page(f"Deep {n}", body))
    yield server
    server.stop()


@dataclass(frozen=True)
class CrawlRun:
    results: list[CrawlResult]
    requests: list[tuple[str, str]]
    offsite_requests: list[tuple[str, str]]

    def ok(self) -> dict[str, CrawlResult]:
        return {urlsplit(r.final_url).path: r for r in self.results if r.ok}

    def errors(self) -> dict[str, CrawlResult]:
        return {urlsplit(r.url).path: r for r in self.results if not r.ok}

    def requested(self) -> list[str]:
        return [p for p, _ in self.requests]


async def run_crawl(site: FixtureServer, offsite: FixtureServer, **options: object) -> CrawlRun:
    site.requests.clear()
    offsite.requests.clear()
    options = {"timeout": 0.5, "max_bytes": 100_000} | options
    results = [r async for r in crawl(site.base + "/", **options)]  # type: ignore[arg-type]
    return CrawlRun(results, list(site.requests), list(offsite.requests))


@pytest.fixture(scope="module")
async def full(site: FixtureServer, offsite: FixtureServer) -> CrawlRun:
    return await run_crawl(site, offsite)


async def test_crawl_fetches_every_reachable_page_once(full: CrawlRun) -> None:
    ok = full.ok()
    duplicates = {"/dup-a/", "/dup-b/", "/same", "/same/"}  # one of each pair: see below
    assert set(ok) - duplicates == {
        "/",
        "/about/",
        "/orphan/",
        "/moved/",
        "/base-test/",
        "/other-base/target/",
        "/deep/1/",
        "/deep/2/",
        "/deep/3/",
        "/deep/4/",
        "/deep/5/",
    }
    assert [p for p, n in Counter(full.requested()).items() if n > 1] == []
    assert all(ua == UA for _, ua in full.requests)
    assert all(r.html and r.status == 200 for r in ok.values())


async def test_crawl_obeys_robots_and_never_leaves_the_site(full: CrawlRun) -> None:
    requested = full.requested()
    assert not any(p.startswith(("/private/", "/bots-keep-out/")) for p in requested)
    assert full.offsite_requests == []
    assert "/go-away" in requested  # followed, but the off-site redirect target was not


async def test_crawl_uses_sitemap_index_and_its_pages(full: CrawlRun) -> None:
    requested = full.requested()
    assert requested[:3] == ["/robots.txt", "/sitemap_index.xml", "/sitemap-pages.xml"]
    assert full.ok()["/orphan/"].depth == 1


async def test_crawl_skips_non_html_links_and_tracking_duplicates(full: CrawlRun) -> None:
    requested = full.requested()
    assert "/files/manual.pdf" not in requested
    assert not any("utm_" in p or "gclid" in p for p in requested)
    assert "/image" not in full.ok() and "/image" not in full.errors()  # skipped, not an error


async def test_crawl_records_redirect_final_url(full: CrawlRun) -> None:
    moved = full.ok()["/moved/"]
    assert urlsplit(moved.url).path == "/old-page"
    assert moved.final_url.endswith("/moved/")


async def test_crawl_dedupes_by_canonical_and_by_content(full: CrawlRun) -> None:
    ok = full.ok()
    assert len({"/dup-a/", "/dup-b/"} & set(ok)) == 1
    assert len({"/same", "/same/"} & set(ok)) == 1


async def test_crawl_yields_errors_instead_of_raising(full: CrawlRun) -> None:
    errors = full.errors()
    assert errors["/missing/"].status == 404
    assert errors["/missing/"].error == "HTTP 404 Not Found"
    assert "limit" in (errors["/huge/"].error or "")
    assert "limit" in (errors["/huge-declared/"].error or "")
    assert "timed out" in (errors["/slow/"].error or "")
    assert set(errors) == {"/missing/", "/huge/", "/huge-declared/", "/slow/"}


async def test_crawl_honours_max_depth(site: FixtureServer, offsite: FixtureServer) -> None:
    run = await run_crawl(site, offsite, max_depth=1)
    assert "/deep/1/" in run.ok() and "/deep/2/" not in run.requested()
    assert "/about/" in run.ok() and max(r.depth for r in run.results) == 1


async def test_crawl_honours_max_pages_with_a_given_client(
    site: FixtureServer, offsite: FixtureServer
) -> None:
    async with httpx.AsyncClient() as http:
        run = await run_crawl(site, offsite, max_pages=3, client=http)
    assert len(run.ok()) == 3
    assert all(ua == UA for _, ua in run.requests)


async def test_crawl_limits_concurrent_requests() -> None:
    server = FixtureServer()
    hub = para("Pages.") + links(*[f"/c/{n}" for n in range(8)])
    server.routes["/"] = Route(html_page("Hub", hub))
    for n in range(8):
        server.routes[f"/c/{n}"] = Route(html_page(f"C {n}", para(f"Page {n}.")), delay=0.1)
    server.start()
    try:
        results = [r async for r in crawl(server.base + "/", concurrency=2)]
    finally:
        server.stop()
    assert len([r for r in results if r.ok]) == 9
    assert server.max_active == 2


async def test_unreadable_robots_txt_stops_the_crawl() -> None:
    server = FixtureServer()
    server.routes["/robots.txt"] = Route(b"oops", status=503, content_type="text/plain")
    server.routes["/"] = Route(html_page("Home", para("Hello.")))
    server.start()
    try:
        results = [r async for r in crawl(server.base + "/")]
    finally:
        server.stop()
    assert len(results) == 1 and "robots.txt" in (results[0].error or "")
    assert server.paths() == ["/robots.txt"]


async def test_start_url_disallowed_by_robots_is_reported() -> None:
    server = FixtureServer()
    server.routes["/robots.txt"] = Route(b"User-agent: *\nDisallow: /", content_type="text/plain")
    server.start()
    try:
        results = [r async for r in crawl(server.base + "/")]
    finally:
        server.stop()
    assert [r.error for r in results] == ["robots.txt does not allow crawling the start URL"]
    assert server.paths() == ["/robots.txt"]


async def test_crawl_pages_yields_records_and_errors(
    site: FixtureServer, offsite: FixtureServer
) -> None:
    items = [
        i async for i in crawl_pages(site.base + "/", max_depth=1, timeout=0.5, max_bytes=100_000)
    ]
    pages = {urlsplit(i.url).path: i for i in items if isinstance(i, PageRecord)}
    errors = dict(i for i in items if isinstance(i, tuple))
    assert {"/", "/about/", "/orphan/", "/moved/", "/dup-a/"} <= set(pages)
    assert "/dup-b/" not in pages  # its canonical is /dup-a/
    assert pages["/about/"].title == "About" and "We make tents." in pages["/about/"].text
    assert errors[f"{site.base}/missing/"] == "HTTP 404 Not Found"
