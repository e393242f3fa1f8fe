"""Turn one HTML page into a PageRecord: metadata, main text by section, kind and price."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

import lxml.html
import trafilatura
from lxml import etree
from lxml.html import HtmlElement

from ingestion import text as textutil
from ingestion.chunking import chunk_sections
from ingestion.records import PageKind, PageRecord

SECTION_SEPARATOR = " › "
_MIN_WORDS = 3
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_HTML_SNIFF = re.compile(r"<(!doctype\s+html|html|head|body|title|meta|div|p|h[1-6]|main)\b", re.I)
_SPACES = re.compile(r"\s+")
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCK_TAGS = frozenset(
    """address article aside blockquote body dd details dialog div dl dt fieldset figcaption figure
    footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody td
    tfoot th thead tr ul""".split()
)
# Never content, wherever they sit.
_ALWAYS_DROP = frozenset(
    """script style noscript template svg iframe object embed canvas dialog nav""".split()
)
_CONTROL_TAGS = frozenset("button select textarea input option form".split())
_DROP_ROLES = frozenset({"navigation", "search", "dialog", "alertdialog", "menu", "menubar"})
# Page chrome when outside <main>/<article>; inside them a <header> holds the article's title.
_CHROME_TAGS = frozenset({"header", "footer", "aside"})
_CHROME_ROLES = frozenset({"banner", "contentinfo", "complementary"})
_CHROME_TOKENS = frozenset(
    """cookie cookies consent gdpr newsletter announcement skip subscribe popup modal social share
    sharing promo sidebar masthead topbar""".split()
)
_BREADCRUMB_TOKENS = frozenset({"breadcrumb", "breadcrumbs"})
# A consent banner can sit anywhere; "cookie" alone may be a cookie policy's own table.
_CONSENT_TOKENS = frozenset(
    "cookie cookies consent gdpr cmp onetrust cookiebot cybotcookiebotdialog usercentrics "
    "didomi osano".split()
)
_BANNER_TOKENS = frozenset(
    "banner notice bar popup modal overlay dialog prompt alert sdk cybotcookiebotdialog".split()
)
_TRAFILATURA_MAX_ELEMENTS = 20_000
_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")
_TINY_IMAGE = re.compile(
    r"(logo|icon|sprite|pixel|spacer|tracking|badge|avatar|favicon|blank|loader|placeholder)", re.I
)


@dataclass(slots=True)
class Block:
    """One piece of main content: a heading (with its level) or a paragraph of text."""

    kind: Literal["heading", "text"]
    text: str
    level: int = 0


@dataclass(slots=True)
class PageMeta:
    """What the page's <head> (and its structured data) says about it."""

    title: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    """<meta name|property → content>, keys lower-cased; the first occurrence wins."""
    canonical: str = ""
    base_href: str = ""
    json_ld: list[dict[str, Any]] = field(default_factory=list)
    """Top-level schema.org nodes (including @graph members and a WebPage's mainEntity)."""
    itemtypes: list[str] = field(default_factory=list)
    """schema.org types of top-level microdata items, e.g. "Product"."""
    first_h1: str = ""

    def get(self, *keys: str) -> str:
        """Return the first non-empty meta value among `keys`."""
        return next((self.meta[k] for k in keys if self.meta.get(k)), "")

    @property
    def robots(self) -> set[str]:
        """Return the meta robots directives, e.g. {"noindex", "follow"}."""
        value = ",".join(self.get(k) for k in ("robots", "signpostbot"))
        return {d.strip().lower() for d in value.split(",") if d.strip()}


def clean_text(text: str) -> str:
    """Collapse all whitespace runs to one space."""
    return _SPACES.sub(" ", text).strip()


def decode_html(data: str | bytes) -> str | None:
    """Return the page as text, or None when it does not look like HTML."""
    if isinstance(data, bytes):
        if b"\x00" in data[:2048] or data[:5] == b"%PDF-":
            return None
        data = _decode_bytes(data)
    data = _XML_DECLARATION.sub("", data, count=1)  # lxml refuses str with an encoding declaration
    return data if _HTML_SNIFF.search(data[:20_000]) else None


def _decode_bytes(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    declared = _CHARSET.search(data[:4096])
    for encoding in ((declared.group(1).decode("ascii"),) if declared else ()) + ("utf-8",):
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("cp1252", errors="replace")  # the web's de-facto fallback


def parse_html(data: str | bytes) -> HtmlElement | None:
    """Parse a page into an lxml tree, or return None for empty or non-HTML input."""
    text = decode_html(data)
    if text is None or not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None


# -- metadata ------------------------------------------------------------------------------
def read_meta(doc: HtmlElement) -> PageMeta:
    """Collect title, meta tags, canonical, <base>, JSON-LD and microdata types."""
    meta = PageMeta()
    title = doc.find(".//title")
    meta.title = clean_text(title.text_content()) if title is not None else ""
    for el in doc.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        content = clean_text(el.get("content") or "")
        if key and content and key not in meta.meta:
            meta.meta[key] = content
    for el in doc.iter("link"):
        rels = (el.get("rel") or "").lower().split()
        if "canonical" in rels and el.get("href") and not meta.canonical:
            meta.canonical = el.get("href", "").strip()
    base = doc.find(".//base[@href]")
    meta.base_href = base.get("href", "").strip() if base is not None else ""
    meta.json_ld = list(_json_ld_nodes(doc))
    meta.itemtypes = _microdata_types(doc)
    h1 = doc.find(".//h1")
    meta.first_h1 = clean_text(h1.text_content()) if h1 is not None else ""
    return meta


def _json_ld_nodes(doc: HtmlElement) -> Iterator[dict[str, Any]]:
    for script in doc.xpath('//script[contains(translate(@type, "JSONLD", "jsonld"), "ld+json")]'):
        try:
            data = json.loads(script.text or "", strict=False)
        except ValueError:
            continue  # broken structured data is common; the page itself is still fine
        yield from _top_level_nodes(data)


def _top_level_nodes(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _top_level_nodes(item)
    elif isinstance(data, dict):
        if "@graph" in data:
            yield from _top_level_nodes(data["@graph"])
        if "@type" in data:
            yield data
            if isinstance(data.get("mainEntity"), dict | list):
                yield from _top_level_nodes(data["mainEntity"])


def schema_types(node: dict[str, Any]) -> set[str]:
    """Return the bare schema.org type names of a JSON-LD node ("schema:Product" → "Product")."""
    raw = node.get("@type", [])
    names = raw if isinstance(raw, list) else [raw]
    return {str(n).rsplit("/", 1)[-1].rsplit(":", 1)[-1] for n in names if n}


def _microdata_types(doc: HtmlElement) -> list[str]:
    types: list[str] = []
    for el in doc.xpath("//*[@itemtype][not(ancestor::*[@itemscope])]"):
        types.extend(t.rstrip("/").rsplit("/", 1)[-1] for t in el.get("itemtype", "").split())
    return types


# -- main content --------------------------------------------------------------------------
def content_root(doc: HtmlElement, *, keep_controls: bool = False) -> HtmlElement:
    """Return a pruned copy of the page's main region: no chrome, banners or scripts.

    Buttons and form fields go too unless `keep_controls` (calls to action are cues).
    """
    body = doc.find(".//body")
    root = copy.deepcopy(body if body is not None else doc)
    drop = _ALWAYS_DROP if keep_controls else _CONTROL_TAGS | _ALWAYS_DROP
    for el in _doomed(root, drop):
        _remove(el)
    for candidate in (_single(root, "//main|//*[@role='main']"), _single(root, "//article")):
        if candidate is not None and clean_text(candidate.text_content()):
            return candidate
    return root


def _doomed(root: HtmlElement, drop: frozenset[str]) -> list[HtmlElement]:
    """Find chrome and hidden elements top-down, knowing whether each is inside main content."""
    doomed = []
    stack: list[tuple[HtmlElement, bool]] = [(root, False)]
    while stack:
        el, in_main = stack.pop()
        for child in el:
            if not isinstance(child.tag, str):
                continue
            if child.tag not in ("main", "article") and (
                child.tag in drop or _is_hidden(child) or _is_chrome(child, in_main)
            ):
                doomed.append(child)  # its subtree goes with it: no need to look inside
                continue
            inside = in_main or child.tag in ("main", "article") or child.get("role") == "main"
            stack.append((child, inside))
    return doomed


def _single(root: HtmlElement, xpath: str) -> HtmlElement | None:
    found = [el for el in root.xpath(xpath) if not el.xpath("ancestor::main|ancestor::article")]
    return found[0] if len(found) == 1 else None


def _is_hidden(el: HtmlElement) -> bool:
    style = (el.get("style") or "").replace(" ", "").lower()
    return (
        el.get("hidden") is not None
        or el.get("aria-hidden") == "true"
        or "display:none" in style
        or (el.get("role") or "").lower() in _DROP_ROLES
        or el.get("aria-modal") == "true"
    )


def _is_chrome(el: HtmlElement, in_main: bool) -> bool:
    tokens = set(_TOKEN_SPLIT.split(f"{el.get('class', '')} {el.get('id', '')}".lower()))
    if tokens & _BREADCRUMB_TOKENS or (tokens & _CONSENT_TOKENS and tokens & _BANNER_TOKENS):
        return True
    if in_main:
        return False
    role = (el.get("role") or "").lower()
    return el.tag in _CHROME_TAGS or role in _CHROME_ROLES or bool(tokens & _CHROME_TOKENS)


def _remove(el: HtmlElement) -> None:
    parent = el.getparent()
    if parent is None:
        return
    # Keep the tail text: it belongs to the parent, not to the removed element.
    if el.tail and el.tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def content_blocks(root: HtmlElement, url: str | None = None) -> list[Block]:
    """Split the main region into heading and text blocks, via trafilatura or the DOM."""
    # Trafilatura needs seconds per megabyte; on huge pages the pruned DOM has to do.
    small = sum(1 for _ in root.iter()) <= _TRAFILATURA_MAX_ELEMENTS
    blocks = _trafilatura_blocks(root, url) if small else []
    return blocks or dom_blocks(root)


def _trafilatura_blocks(root: HtmlElement, url: str | None) -> list[Block]:
    wrapper = lxml.html.document_fromstring("<html><body></body></html>")
    body = wrapper.find(".//body")
    body.append(copy.deepcopy(root))
    result = trafilatura.bare_extraction(
        wrapper,
        url=url,
        include_tables=True,
        include_links=False,
        include_images=False,
        include_comments=False,
        include_formatting=False,
        favor_recall=True,
        with_metadata=False,
    )
    body = getattr(result, "body", None)
    if body is None:
        return []
    return [block for el in body for block in _blocks_from_trafilatura(el)]


def _blocks_from_trafilatura(el: etree._Element) -> list[Block]:
    for br in el.iter("lb"):
        br.tail = " " + (br.tail or "")  # <br> separates words; itertext would glue them
    if el.tag == "head":
        level = int((el.get("rend") or "h2").lstrip("h") or 2)
        return _nonempty(Block("heading", clean_text("".join(el.itertext())), level))
    if el.tag == "table":
        rows = [
            ([clean_text("".join(c.itertext())) for c in row.iter("cell")],
             all(c.get("role") == "head" for c in row.iter("cell")))
            for row in el.iter("row")
        ]  # fmt: skip
        return _table_blocks(rows)
    if el.tag == "list":
        return [
            b
            for item in el.iter("item")
            if item.getparent() is el
            for b in _nonempty(Block("text", "- " + clean_text("".join(item.itertext()))))
        ]
    return _nonempty(Block("text", clean_text("".join(el.itertext()))))


def _table_blocks(rows: list[tuple[list[str], bool]]) -> list[Block]:
    """Return one text block per table row; with a header row, each cell carries its label.

    "Car | Up to 5 m | £48.50 | £72.00" says nothing about which price is which route;
    "Category: Car; Size: Up to 5 m; Carrickhaven – Marra: £48.50; …" can be found by "car
    to Marra" and quoted on its own. Narrow tables (two columns) read fine as "a | b".
    """
    header = rows[0][0] if len(rows) > 1 and rows[0][1] else None
    if header is None or len(header) < 3:
        return [b for cells, _ in rows for b in _nonempty(Block("text", _joined(cells)))]
    out = []
    for cells, all_head in rows[1:]:
        if all_head or not any(cells[1:]):
            # A heading row inside the table ("Sunday", one cell across the columns).
            out.extend(_nonempty(Block("text", _joined(cells))))
            continue
        labelled = [
            f"{label}: {value}" if label else value
            for label, value in zip(header + [""] * len(cells), cells, strict=False)
            if value
        ]
        out.extend(_nonempty(Block("text", "; ".join(labelled))))
    return out


def _joined(cells: list[str]) -> str:
    return " | ".join(c for c in cells if c)


def _nonempty(block: Block) -> list[Block]:
    return [block] if block.text.strip(" -|") else []


def dom_blocks(root: HtmlElement) -> list[Block]:
    """Split an element into heading and text blocks straight from the DOM."""
    out: list[Block] = []
    _walk(root, out, _block_containers(root))
    return out


def _block_containers(root: HtmlElement) -> set[HtmlElement]:
    """Return the elements with a block-level element somewhere below them (one pass)."""
    found: set[HtmlElement] = set()  # holding the proxies keeps their identity stable
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag in _BLOCK_TAGS:
            for ancestor in el.iterancestors():
                if ancestor in found:
                    break
                found.add(ancestor)
    return found


def _walk(el: HtmlElement, out: list[Block], containers: set[HtmlElement]) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if not tag or tag in _ALWAYS_DROP or tag in _CONTROL_TAGS:
        return
    if tag in _HEADINGS:
        out.extend(_nonempty(Block("heading", clean_text(el.text_content()), _HEADINGS[tag])))
        return
    if tag == "table":
        rows = []
        for row in el.iter("tr"):
            cells = [c for c in row if isinstance(c.tag, str) and c.tag in ("td", "th")]
            texts = [clean_text(c.text_content()) for c in cells]
            rows.append((texts, bool(cells) and all(c.tag == "th" for c in cells)))
        out.extend(_table_blocks(rows))
        return
    if el not in containers:  # a leaf block: all its text is one paragraph
        prefix = "- " if tag == "li" else ""
        out.extend(_nonempty(Block("text", prefix + clean_text(el.text_content()))))
        return
    loose = [el.text or ""]  # inline text between block children
    for child in el:
        if isinstance(child.tag, str) and child.tag in _BLOCK_TAGS:
            out.extend(_nonempty(Block("text", clean_text("".join(loose)))))
            _walk(child, out, containers)
            loose = []
        elif isinstance(child.tag, str) and child.tag not in _ALWAYS_DROP | _CONTROL_TAGS:
            loose.append(child.text_content())
        loose.append(child.tail or "")
    out.extend(_nonempty(Block("text", clean_text("".join(loose)))))


def blocks_text(blocks: list[Block]) -> str:
    """Join blocks into plain text, one paragraph per block."""
    return "\n\n".join(b.text for b in blocks)


def call_to_action_texts(root: HtmlElement) -> list[str]:
    """Return the short labels of links and buttons under `root` (calls to action)."""
    labels = []
    for el in root.xpath("//a|//button|//input[@type='submit' or @type='button']"):
        label = clean_text(el.get("value") or el.text_content() or el.get("aria-label") or "")
        if label and len(label) <= 40:
            labels.append(label)
    return labels


# -- images and links ----------------------------------------------------------------------
def document_base(doc: HtmlElement, page_url: str) -> str:
    """Return the URL relative links resolve against (<base href> wins over the page URL)."""
    base = doc.find(".//base[@href]")
    href = (base.get("href") or "").strip() if base is not None else ""
    return urljoin(page_url, href) if href else page_url


def first_content_image(root: HtmlElement, base_url: str) -> str | None:
    """Return the absolute URL of the first real image in the main region, if any."""
    for img in root.iter("img"):
        src = _image_source(img)
        if not src or src.startswith("data:") or _TINY_IMAGE.search(src):
            continue
        if _TINY_IMAGE.search(f"{img.get('class', '')} {img.get('alt', '')}"):
            continue
        if any(_small(img.get(dim)) for dim in ("width", "height")):
            continue
        return urljoin(base_url, src)
    return None


def _image_source(img: HtmlElement) -> str:
    for attr in ("src", "data-src", "data-lazy-src", "data-original"):
        value = (img.get(attr) or "").strip()
        if value and not value.startswith("data:"):
            return value
    srcset = (img.get("srcset") or img.get("data-srcset") or "").strip()
    return srcset.split(",")[0].split()[0] if srcset else ""


def _small(value: str | None) -> bool:
    digits = re.match(r"\s*(\d+)", value or "")
    return digits is not None and int(digits.group(1)) < 64  # icons, 1×1 tracking pixels


def extract_links(doc: HtmlElement, page_url: str) -> list[str]:
    """Return the absolute targets of <a>/<area> links, honouring <base href>, in page order."""
    base = document_base(doc, page_url)
    links = []
    for el in doc.xpath("//a[@href]|//area[@href]"):
        href = (el.get("href") or "").strip()
        if href and not href.startswith("#"):
            links.append(urljoin(base, href))
    return links


# -- URLs ----------------------------------------------------------------------------------
_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING_PARAMS = frozenset(
    """gclid gclsrc dclid gbraid wbraid fbclid msclkid yclid twclid ttclid li_fat_id igshid
    mc_cid mc_eid _ga _gl _hsenc _hsmi mkt_tok srsltid oly_anon_id oly_enc_id vero_id
    phpsessid jsessionid sid""".split()
)
_TRACKING_PREFIXES = ("utm_", "hsa_", "pk_", "mtm_")
_NON_HTML_EXTENSIONS = frozenset(
    """pdf jpg jpeg png gif webp avif svg ico bmp tif tiff heic zip gz tgz bz2 xz rar 7z tar css js
    mjs map json xml rss atom txt csv tsv xls xlsx doc docx ppt pptx odt ods odp rtf epub mp3 mp4
    m4a m4v avi mov wmv webm mkv wav ogg flac woff woff2 ttf otf eot exe dmg apk msi iso bin
    deb rpm""".split()
)


def normalize_url(url: str) -> str:
    """Return `url` with a lower-case host, no fragment, no tracking params and sorted query.

    The path is kept as written: `/a` and `/a/` can be different pages, so they are
    deduplicated by where they redirect and by content instead.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING_PARAMS and not k.lower().startswith(_TRACKING_PREFIXES)
    ]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query), quote_via=quote), ""))


def _site_key(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    try:
        port = parts.port
    except ValueError:
        port = None
    return host, None if port == _DEFAULT_PORTS.get(parts.scheme.lower()) else port


def same_site(url: str, other: str) -> bool:
    """Tell whether two URLs are on the same site (www. and the apex host count as one)."""
    return _site_key(url) == _site_key(other)


def crawlable(url: str) -> bool:
    """Tell whether `url` is an http(s) link that may be an HTML page (not a .pdf, .jpg, …)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return False
    last = parts.path.rsplit("/", 1)[-1]
    return "." not in last or last.rsplit(".", 1)[-1].lower() not in _NON_HTML_EXTENSIONS


# -- extraction ----------------------------------------------------------------------------
def extract_page(html: str | bytes, url: str) -> PageRecord | None:
    """Turn one HTML page into a PageRecord, or return None if it has nothing worth indexing.

    None means: not HTML, empty, only page chrome (navigation, footer, cookie banner), or
    marked `noindex` by the site.
    """
    doc = parse_html(html)
    if doc is None:
        return None
    meta = read_meta(doc)
    if "noindex" in meta.robots or "none" in meta.robots:
        return None
    root = content_root(doc)
    blocks = content_blocks(root, url)
    text = blocks_text(blocks)
    if len(text.split()) < _MIN_WORDS:
        return None
    page_url = canonical_url(meta, url)
    title = page_title(meta, page_url) or _first_heading(blocks) or page_url
    headings = [b.text for b in blocks if b.kind == "heading" and b.level <= 3]
    kind = detect_kind(meta, page_url, text, content_root(doc, keep_controls=True))
    description = meta.get("description", "og:description")
    return PageRecord(
        url=page_url,
        title=title,
        description=description,
        text=text,
        kind=kind,
        thumbnail_url=_thumbnail(meta, root, document_base(doc, url), url),
        keywords=_keywords(meta, text, " ".join([title, *headings])),
        summary=description if _is_sentence(description, title) else textutil.summarize(text),
        chunks=chunk_sections(_sections(blocks, title)),
        headings=headings,
        price=find_price(meta, text) if kind == "product" else None,
    )


def canonical_url(meta: PageMeta, url: str) -> str:
    """Return the page's canonical URL when it is on the same site, else `url`; both normalised."""
    page = normalize_url(url)
    if meta.canonical:
        target = normalize_url(urljoin(url, meta.canonical))
        if crawlable(target) and same_site(target, page):
            return target
    return page


_SECOND_LEVEL = frozenset("co com org net gov ac edu ltd plc".split())
_TITLE_PARTS = re.compile(r"\s+(?:\||–|—|-|·|•|»|::|/)\s+")


def page_title(meta: PageMeta, url: str) -> str:
    """Return og:title or <title> without a trailing site-name part (" | Company")."""
    names = _site_names(meta, url)
    for candidate in (meta.get("og:title", "twitter:title"), meta.title, meta.first_h1):
        cleaned = _strip_site_name(candidate, names)
        if cleaned and _compact(cleaned) not in names:
            return cleaned
    return ""


def _site_names(meta: PageMeta, url: str) -> set[str]:
    names = {meta.get("og:site_name"), meta.get("application-name")}
    for node in meta.json_ld:
        if schema_types(node) & {"WebSite", "Organization", "Corporation", "LocalBusiness"}:
            names.add(str(node.get("name") or ""))
    label = _host_label(urlsplit(url).hostname or "")
    label = _compact(label)
    return {_compact(n) for n in names if n} | ({f"host:{label}"} if len(label) >= 3 else set())


def _host_label(host: str) -> str:
    """Return the name part of a host: "acme" for www.acme.com, shop.acme.com or acme.co.uk."""
    if host.replace(".", "").isdigit() or ":" in host:
        return ""  # an IP address names no one
    labels = host.lower().split(".")[:-1]
    while len(labels) > 1 and labels[-1] in _SECOND_LEVEL:
        labels.pop()
    return labels[-1] if labels else ""


def _compact(value: str) -> str:
    return re.sub(r"[^\w]", "", value.lower())


def _strip_site_name(title: str, names: set[str]) -> str:
    parts = _TITLE_PARTS.split(title.strip())
    if len(parts) < 2:
        return title.strip()
    if _is_site_name(parts[-1], names):
        return title[: title.rfind(parts[-1])].rstrip(" |–—-·•»:/")
    return title.strip()


def _is_site_name(part: str, names: set[str]) -> bool:
    compact = _compact(part)
    if not compact:
        return False
    if compact in names:
        return True
    # The host names the site: "Acme Outdoor" on acme-outdoor.com, "Acme Tools" on acme.com.
    labels = {n.removeprefix("host:") for n in names if n.startswith("host:")}
    words = part.split()
    return compact in labels or (len(words) <= 3 and _compact(words[0]) in labels)


def _first_heading(blocks: list[Block]) -> str:
    return next((b.text for b in blocks if b.kind == "heading"), "")


def _sections(blocks: list[Block], title: str) -> list[tuple[str, str, int | None]]:
    """Group text under its heading path: "Title › H2 › H3"; the page's first h1 is the title."""
    sections: list[tuple[str, str, int | None]] = []
    path: list[tuple[int, str]] = []
    texts: list[str] = []
    seen_h1 = False

    def flush() -> None:
        if texts:
            name = SECTION_SEPARATOR.join([title, *(h for _, h in path)])
            sections.append((name, "\n\n".join(texts), None))
            texts.clear()

    for block in blocks:
        if block.kind == "text":
            texts.append(block.text)
            continue
        if block.level == 1 and not seen_h1:
            seen_h1, new_path = True, []
        else:
            new_path = [p for p in path if p[0] < block.level] + [(block.level, block.text)]
        if new_path != path:  # text before the h1 and after it share the title section
            flush()
            path = new_path
    flush()
    return sections


def _thumbnail(meta: PageMeta, root: HtmlElement, base: str, url: str) -> str | None:
    declared = meta.get(
        "og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src"
    )
    if declared and not declared.startswith("data:"):
        return urljoin(url, declared)
    return first_content_image(root, base)


def _keywords(meta: PageMeta, text: str, boost: str) -> list[str]:
    declared = [k.strip() for k in re.split(r"[,;]", meta.get("keywords")) if k.strip()][:10]
    merged: dict[str, str] = {}
    for keyword in [*declared, *textutil.keywords(text, boost=boost)]:
        merged.setdefault(keyword.lower(), keyword)
    return list(merged.values())


def _is_sentence(description: str, title: str) -> bool:
    words = description.split()
    if len(words) < 6 or _compact(description) == _compact(title):
        return False
    # A comma-separated keyword list is not a summary.
    return description.count(",") < len(words) / 3 and any(c.islower() for c in description)


# -- kind detection ------------------------------------------------------------------------
# "product" means anything the business sells: goods and services alike (protocol: the
# product intent covers "products or services"), so a service page is a product page.
_PRODUCT_TYPES = frozenset(
    "Product ProductGroup ProductModel IndividualProduct SomeProducts Offer AggregateOffer Car "
    "Vehicle Service FinancialProduct BroadcastService CableOrSatelliteService "
    "GovernmentService TaxiService MedicalProcedure MedicalTherapy Course".split()
)
_ARTICLE_TYPES = frozenset(
    "Article BlogPosting NewsArticle TechArticle ScholarlyArticle Report LiveBlogPosting "
    "OpinionNewsArticle AnalysisNewsArticle ReportageNewsArticle SocialMediaPosting".split()
)
_LISTING_TYPES = frozenset("CollectionPage ItemList SearchResultsPage Blog OfferCatalog".split())
_ORGANIZATION_TYPES = frozenset("Organization Corporation LocalBusiness Store".split())
_PRODUCT_SEGMENTS = frozenset(
    "product products shop store item items produkt produkte producten produit produits "
    "producto productos prodotti service services treatment treatments solutions offerings "
    "diensten leistungen servicios".split()
)
_ARTICLE_SEGMENTS = frozenset(
    "blog blogs news article articles post posts stories insights magazine journal "
    "press-releases".split()
)
_LISTING_SEGMENTS = frozenset("page category categories tag tags author archive search".split())
_CONTACT_SEGMENTS = frozenset(
    "contact contact-us contactus kontakt contacto contacts contactez-nous contatti "
    "get-in-touch".split()
)
_CONTACT_TITLE = re.compile(
    r"^\s*(contact|get in touch|kontakt|contacto|contactez|contatti|reach us)", re.I
)
_CTA = re.compile(
    r"\b(add to (cart|basket|bag|trolley|quote)|buy( it)?( now)?|order( now)?|shop now|"
    r"pre-?order|request (a )?(quote|quotation|price|pricing)|get (a )?(quote|quotation)|"
    r"in den warenkorb|jetzt kaufen|ajouter au panier|in winkelwagen|bestellen|kaufen|"
    r"acheter|comprar|offerte aanvragen|angebot anfordern)\b",
    re.I,
)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(\.[\w-]+)+\b")
_PHONE = re.compile(r"(?<!\w)\+?\d[\d ()./-]{7,}\d(?!\w)")


@dataclass(frozen=True, slots=True)
class _Cues:
    articles: int
    times: int
    contact_form: bool


def _cue_counts(region: HtmlElement) -> _Cues:
    return _Cues(
        articles=len(region.xpath(".//article")),
        times=len(region.xpath(".//time|.//*[@itemprop='datePublished']")),
        contact_form=bool(region.xpath(".//form[.//textarea and .//input[@type='email']]")),
    )


def detect_kind(meta: PageMeta, url: str, text: str, region: HtmlElement | None = None) -> PageKind:
    """Decide product / article / contact / other by adding up weighted signals.

    Declared metadata (og:type, schema.org, microdata) weighs most, URL segments next,
    content cues (price + call to action, a date, a contact form) least; a kind needs a
    score of 2 to win, so one weak hint alone never decides. `region` is the page's main
    region with its buttons and forms, where the content cues are looked for.
    """
    labels = call_to_action_texts(region) if region is not None else []
    cues = _cue_counts(region) if region is not None else _Cues(0, 0, False)
    scores: dict[PageKind, float] = {"product": 0.0, "article": 0.0, "contact": 0.0}
    for kind, weight in _kind_signals(meta, url, text, labels, cues):
        scores[kind] += weight
    best = max(scores, key=lambda k: scores[k])  # ties go to the first: product, article
    return best if scores[best] >= 2 else "other"


def _kind_signals(
    meta: PageMeta, url: str, text: str, cta_labels: list[str], cues: _Cues
) -> Iterator[tuple[PageKind, float]]:
    yield from _declared_signals(meta)
    yield from _url_signals(url)
    yield from _content_signals(meta, text, cta_labels, cues)


def _declared_signals(meta: PageMeta) -> Iterator[tuple[PageKind, float]]:
    og_type = meta.get("og:type").lower()
    if og_type.startswith("product") or og_type.endswith(":product"):
        yield "product", 3
    elif og_type in ("article", "blog", "news"):
        yield "article", 3
    if meta.get("article:published_time", "article:author"):
        yield "article", 2  # these properties belong to og's article namespace
    types = Counter(t for node in meta.json_ld for t in schema_types(node))
    types.update(meta.itemtypes)
    listing = any(types[t] for t in _LISTING_TYPES)
    products = sum(types[t] for t in _PRODUCT_TYPES)
    articles = sum(types[t] for t in _ARTICLE_TYPES)
    if products and not listing and products <= 2:  # Product + its Offer; more is a catalogue
        yield "product", 3
    if articles == 1 and not listing:
        yield "article", 3
    if listing:
        yield "product", -2
        yield "article", -2
    if types["ContactPage"]:
        yield "contact", 3
    if any(schema_types(n) & _ORGANIZATION_TYPES and n.get("contactPoint") for n in meta.json_ld):
        yield "contact", 1  # often site-wide, so only a hint


def _url_signals(url: str) -> Iterator[tuple[PageKind, float]]:
    segments = [s.lower() for s in urlsplit(url).path.split("/") if s]
    for i, segment in enumerate(segments):
        rest = segments[i + 1 :]
        # /products/ itself is a listing; /products/<name>/ is a product.
        if not rest or rest[0] in _LISTING_SEGMENTS:
            continue
        if segment in _PRODUCT_SEGMENTS:
            yield "product", 2
            return
        if segment in _ARTICLE_SEGMENTS:
            yield "article", 2
            return
    if segments and segments[-1].rsplit(".", 1)[0] in _CONTACT_SEGMENTS:
        yield "contact", 2


def _content_signals(
    meta: PageMeta, text: str, cta_labels: list[str], cues: _Cues
) -> Iterator[tuple[PageKind, float]]:
    prices = {m.group(0) for m in _PRICE.finditer(text)}
    has_cta = any(_CTA.search(label) for label in cta_labels)
    if prices and has_cta:
        # One product shows a price or two; a price list or catalogue shows many.
        yield "product", 2 if len(prices) <= 3 and cues.articles < 3 else 0.5
    if cues.times == 1 and cues.articles <= 1:
        yield "article", 1
    title = meta.get("og:title") or meta.title or meta.first_h1
    if _CONTACT_TITLE.search(title) or _CONTACT_TITLE.search(meta.first_h1):
        yield "contact", 1.5
    if cues.contact_form:
        yield "contact", 1
    if _EMAIL.search(text) or _PHONE.search(text):
        yield "contact", 0.5


# -- price ---------------------------------------------------------------------------------
_CURRENCY_BEFORE = (
    r"(?:US\$|CA\$|AU\$|NZ\$|HK\$|[ACSR]\$|[$€£¥₹₩₽₺₪]"
    r"|(?:USD|EUR|GBP|CHF|CAD|AUD|JPY|SEK|NOK|DKK|PLN|CZK|INR)\s?)"
)
_CURRENCY_AFTER = r"(?:\s?(?:€|£|\$|zł|kr|Kč|USD|EUR|GBP|CHF|SEK|NOK|DKK|PLN|CZK))"
_AMOUNT = r"\d{1,3}(?:[,.\u00a0\u202f']\d{3})+(?:[.,](?:\d{1,2}|-))?|\d+(?:[.,](?:\d{1,2}|-))?"
_PRICE = re.compile(
    rf"(?<![\w.,]){_CURRENCY_BEFORE}\s?(?:{_AMOUNT})(?![\w])"
    rf"|(?<![\w.,])(?:{_AMOUNT}){_CURRENCY_AFTER}(?![\w])"
)
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹"}


def find_price(meta: PageMeta, text: str) -> str | None:
    """Return the page's price as written: the visible one matching structured data, if any."""
    visible = [m.group(0).strip() for m in _PRICE.finditer(text)]
    declared = _declared_price(meta)
    if declared is None:
        return visible[0] if visible else None
    amount, currency = declared
    for candidate in visible:
        if _amount(candidate) == _amount(amount):
            return candidate
    symbol = _SYMBOLS.get(currency.upper())
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}".strip()


def _declared_price(meta: PageMeta) -> tuple[str, str] | None:
    for node in meta.json_ld:
        for offer in _offers(node):
            amount = offer.get("price") or offer.get("lowPrice")
            spec = offer.get("priceSpecification")
            if amount is None and isinstance(spec, dict):
                amount = spec.get("price")
            if amount not in (None, ""):
                spec = spec if isinstance(spec, dict) else {}
                currency = offer.get("priceCurrency") or spec.get("priceCurrency", "")
                return str(amount), str(currency or "")
    amount = meta.get("product:price:amount", "og:price:amount")
    if amount:
        return amount, meta.get("product:price:currency", "og:price:currency")
    return None


def _offers(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if schema_types(node) & {"Offer", "AggregateOffer"}:
        yield node
    offers = node.get("offers")
    for offer in offers if isinstance(offers, list) else [offers]:
        if isinstance(offer, dict):
            yield offer


def _amount(value: str) -> float | None:
    digits = re.sub(r"[^\d.,]", "", value).rstrip(".,")
    if not digits:
        return None
    last = max(digits.rfind("."), digits.rfind(","))
    # A final separator followed by one or two digits is the decimal mark.
    if last != -1 and len(digits) - last - 1 in (1, 2):
        whole, cents = digits[:last], digits[last + 1 :]
    else:
        whole, cents = digits, "0"
    try:
        return float(re.sub(r"[.,]", "", whole) + "." + cents)
    except ValueError:
        return None
