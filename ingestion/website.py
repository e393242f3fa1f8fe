"""Load a website, from a local folder or a polite same-site crawl, as PageRecords."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import logging
import os
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin
from urllib.robotparser import RobotFileParser

import httpx
from lxml import etree

from ingestion.html_extract import (
    blocks_text,
    canonical_url,
    content_root,
    crawlable,
    dom_blocks,
    extract_links,
    extract_page,
    normalize_url,
    parse_html,
    read_meta,
    same_site,
)
from ingestion.records import LoaderError, PageRecord

__all__ = [
    "CrawlResult",
    "crawl",
    "crawl_pages",
    "extract_page",
    "load_local_pages",
    "local_site_files",
]

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "SignpostBot/1.0 (+https://signpost.example/bot)"


# -- local folder --------------------------------------------------------------------------
def local_site_files(folder: Path, base_url: str) -> list[tuple[str, Path]]:
    """Return (URL, path) for every .html/.htm file under `folder`, in sorted order.

    `folder/index.html` maps to the base URL, `folder/pricing/index.html` to
    `BASE/pricing/`, `folder/about.html` to `BASE/about.html`; hidden files and folders
    are skipped.
    """
    base = base_url if base_url.endswith("/") else base_url + "/"
    files: list[Path] = []
    for directory, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        files.extend(
            Path(directory, n)
            for n in names
            if not n.startswith(".") and n.lower().endswith((".html", ".htm"))
        )
    ordered = sorted(files, key=lambda p: p.relative_to(folder).parts)
    return [(urljoin(base, _relative_url(p.relative_to(folder))), p) for p in ordered]


def _relative_url(relative: Path) -> str:
    parts = list(relative.parts)
    if parts[-1].lower() in ("index.html", "index.htm"):
        parts[-1] = ""
    return quote("/".join(parts))


# Extraction is CPU-bound Python; in the syncing process it would contend for the GIL with
# the embedding threads. From this many pages on, a child process extracts them.
PROCESS_MIN_PAGES = 64
_PROCESS_BATCH = 16


def _extract_file(url: str, path: Path) -> PageRecord | LoaderError | None:
    try:
        return extract_page(path.read_bytes(), url)
    except Exception as exc:  # one broken file must not stop the whole site
        log.warning("could not extract %s", url, exc_info=True)
        return LoaderError(f"{url}: could not read the page ({exc})")


def _extract_files(files: list[tuple[str, Path]]) -> list[PageRecord | LoaderError | None]:
    return [_extract_file(url, path) for url, path in files]


def _extracted_in_child(
    files: list[tuple[str, Path]],
) -> Iterator[PageRecord | LoaderError | None]:
    """Extract `files` in a child process, in order, two batches ahead of the consumer."""
    import multiprocessing
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor

    batches = [files[i : i + _PROCESS_BATCH] for i in range(0, len(files), _PROCESS_BATCH)]
    context = multiprocessing.get_context("spawn")  # never fork a process running threads
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        pending: deque[Future[list[PageRecord | LoaderError | None]]] = deque()
        try:
            for batch in batches:
                pending.append(pool.submit(_extract_files, batch))
                if len(pending) > 2:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def load_local_pages(folder: Path, base_url: str) -> Iterator[PageRecord | LoaderError]:
    """Extract every page of a local copy of a site; unreadable pages come back as LoaderError."""
    files = local_site_files(Path(folder), base_url)
    results = (
        _extracted_in_child(files)
        if len(files) >= PROCESS_MIN_PAGES
        else (_extract_file(url, path) for url, path in files)
    )
    dedupe = _Dedupe()
    for page in results:
        if isinstance(page, LoaderError):
            yield page
        elif page is not None and dedupe.is_new(page):
            yield page


class _Dedupe:
    """Drop a page already seen under the same URL or with the same text."""

    def __init__(self) -> None:
        self.urls: set[str] = set()
        self.texts: set[str] = set()

    def is_new(self, page: PageRecord) -> bool:
        digest = _text_hash(page.text)
        if page.url in self.urls or digest in self.texts:
            return False
        self.urls.add(page.url)
        self.texts.add(digest)
        return True


def _text_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).lower().encode()).hexdigest()


# -- crawling ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CrawlResult:
    """One URL of a crawl: the fetched HTML, or why it could not be fetched."""

    url: str
    """The URL as queued (normalised)."""
    final_url: str
    """Where it ended after same-site redirects."""
    status: int | None
    html: bytes | None
    error: str | None
    depth: int

    @property
    def ok(self) -> bool:
        """Tell whether the page was fetched."""
        return self.error is None and self.html is not None


class _FetchError(Exception):
    def __init__(self, message: str, status: int | None = None, final_url: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.final_url = final_url


class _Skip(Exception):
    """The URL is not a page to index (not HTML, a duplicate, redirected off-site)."""


@dataclass(frozen=True, slots=True)
class _Fetched:
    final_url: str
    status: int
    body: bytes


@dataclass(frozen=True, slots=True)
class _Limits:
    timeout: float
    max_bytes: int
    user_agent: str


_HTML_TYPES = ("text/html", "application/xhtml+xml")
_MAX_REDIRECTS = 5
_MAX_SITEMAPS = 20
_MAX_SITEMAP_URLS = 10_000


async def _fetch(
    client: httpx.AsyncClient,
    url: str,
    limits: _Limits,
    *,
    claim: Callable[[str], bool],
    html_only: bool = True,
) -> _Fetched:
    """GET `url`, following redirects only to URLs `claim` accepts; stop past the size cap."""
    try:
        async with asyncio.timeout(limits.timeout):
            return await _fetch_unbounded(client, url, limits, claim, html_only)
    except (TimeoutError, httpx.TimeoutException) as exc:
        raise _FetchError(f"timed out after {limits.timeout:g} s", final_url=url) from exc
    except httpx.HTTPError as exc:
        reason = str(exc) or type(exc).__name__
        raise _FetchError(f"could not fetch: {reason}", final_url=url) from exc


async def _fetch_unbounded(
    client: httpx.AsyncClient,
    url: str,
    limits: _Limits,
    claim: Callable[[str], bool],
    html_only: bool,
) -> _Fetched:
    headers = {
        "User-Agent": limits.user_agent,
        "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
    }
    current = url
    for _ in range(_MAX_REDIRECTS + 1):
        async with client.stream("GET", current, headers=headers, follow_redirects=False) as resp:
            location = resp.headers.get("location")
            if resp.is_redirect and location:
                target = normalize_url(urljoin(current, location))
                if not claim(target):
                    raise _Skip(f"{current} redirects to {target}, which is skipped")
                current = target
                continue
            if resp.status_code >= 400:
                message = f"HTTP {resp.status_code} {resp.reason_phrase}".strip()
                raise _FetchError(message, resp.status_code, current)
            content_type = resp.headers.get("content-type", "").split(";")[0].strip().lower()
            if html_only and content_type and content_type not in _HTML_TYPES:
                raise _Skip(f"{current} is {content_type}, not HTML")
            body = await _read_capped(resp, limits.max_bytes, current)
            return _Fetched(current, resp.status_code, body)
    raise _FetchError(f"more than {_MAX_REDIRECTS} redirects", final_url=current)


async def _read_capped(resp: httpx.Response, max_bytes: int, url: str) -> bytes:
    too_big = f"larger than the {max_bytes:,} byte limit"
    declared = resp.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _FetchError(too_big, resp.status_code, url)
    body = bytearray()
    async for piece in resp.aiter_bytes():
        body.extend(piece)
        if len(body) > max_bytes:
            raise _FetchError(too_big, resp.status_code, url)
    return bytes(body)


@dataclass(frozen=True, slots=True)
class _Inspection:
    links: list[str]
    canonical: str | None
    text_hash: str | None


def _inspect(html: bytes, url: str) -> _Inspection | None:
    """Parse a fetched page for the crawler: its links, canonical URL and a hash of its text."""
    doc = parse_html(html)
    if doc is None:
        return None
    meta = read_meta(doc)
    text = blocks_text(dom_blocks(content_root(doc)))  # cheap: no trafilatura
    nofollow = "nofollow" in meta.robots or "none" in meta.robots
    return _Inspection(
        links=[] if nofollow else extract_links(doc, url),
        canonical=canonical_url(meta, url) if meta.canonical else None,
        text_hash=_text_hash(text) if text.strip() else None,
    )


class _Crawler:
    """Breadth-first, same-site crawl state shared by the worker tasks."""

    def __init__(
        self,
        start_url: str,
        client: httpx.AsyncClient,
        limits: _Limits,
        *,
        max_pages: int,
        max_depth: int,
        concurrency: int,
    ) -> None:
        self.start = normalize_url(start_url)
        self.client = client
        self.limits = limits
        self.max_pages = max_pages
        self.max_depth = max_depth
        self.concurrency = max(1, concurrency)
        self.robots = RobotFileParser()
        self.robots.parse([])  # no rules yet: everything is allowed
        self.frontier: asyncio.PriorityQueue[tuple[int, int, str]] = asyncio.PriorityQueue()
        self.results: asyncio.Queue[CrawlResult | None] = asyncio.Queue(self.concurrency * 2)
        self.seen: set[str] = set()
        self.page_keys: set[str] = set()
        self.text_hashes: set[str] = set()
        self.pages = 0
        self.order = 0

    async def run(self) -> AsyncGenerator[CrawlResult, None]:
        """Yield results as workers produce them; stop the workers when the caller stops."""
        refusal = await self.load_robots()
        if refusal is not None:
            yield refusal
            return
        if not self.enqueue(self.start, 0):
            reason = (
                "the start URL does not look like an HTML page"
                if not crawlable(self.start)
                else "robots.txt does not allow crawling the start URL"
            )
            yield CrawlResult(self.start, self.start, None, None, reason, 0)
        if self.max_depth >= 1:
            for url in await self.sitemap_urls():
                self.enqueue(url, 1)
        tasks = [asyncio.create_task(self.work()) for _ in range(self.concurrency)]
        tasks.append(asyncio.create_task(self.finish_when_idle()))
        try:
            while (result := await self.results.get()) is not None:
                yield result
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    # robots.txt and sitemaps
    async def load_robots(self) -> CrawlResult | None:
        """Read robots.txt; a missing one allows all, an unreachable one stops the crawl."""
        url = urljoin(self.start, "/robots.txt")
        try:
            fetched = await _fetch(
                self.client, url, self.limits, claim=self.on_site, html_only=False
            )
        except _Skip:
            return None
        except _FetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                return None  # no robots.txt: everything is allowed
            # RFC 9309: if robots.txt cannot be read, assume the whole site is off limits.
            message = f"robots.txt could not be read ({exc}); the site was not crawled"
            return CrawlResult(self.start, self.start, exc.status, None, message, 0)
        self.robots.parse(fetched.body.decode("utf-8", errors="replace").splitlines())
        return None

    async def sitemap_urls(self) -> list[str]:
        """Return the page URLs of the sitemaps named in robots.txt, else of /sitemap.xml."""
        pending = [u for u in self.robots.site_maps() or [] if self.on_site(u)]
        guess = urljoin(self.start, "/sitemap.xml")
        if not pending and self.robots.can_fetch(self.limits.user_agent, guess):
            pending = [guess]  # sitemaps named in robots.txt are offered; a guess must be allowed
        visited: set[str] = set()
        pages: list[str] = []
        while pending and len(visited) < _MAX_SITEMAPS and len(pages) < _MAX_SITEMAP_URLS:
            sitemap = pending.pop(0)
            if sitemap in visited:
                continue
            visited.add(sitemap)
            try:
                fetched = await _fetch(
                    self.client, sitemap, self.limits, claim=self.on_site, html_only=False
                )
            except (_FetchError, _Skip) as exc:
                log.info("sitemap %s skipped: %s", sitemap, exc)
                continue
            children, urls = await asyncio.to_thread(_parse_sitemap, fetched.body)
            pending.extend(u for u in children if self.on_site(u))
            pages.extend(u for u in urls if self.on_site(u))
        return pages[:_MAX_SITEMAP_URLS]

    # the frontier
    def on_site(self, url: str) -> bool:
        """Tell whether `url` is on the crawled site."""
        return same_site(url, self.start)

    def allowed(self, url: str) -> bool:
        """Tell whether `url` may be fetched: on site, an HTML-looking link, robots permit it."""
        return (
            self.on_site(url)
            and crawlable(url)
            and self.robots.can_fetch(self.limits.user_agent, url)
        )

    def claim(self, url: str) -> bool:
        """Mark `url` as taken; False if it was already queued or may not be fetched."""
        if url in self.seen or not self.allowed(url):
            return False
        self.seen.add(url)
        return True

    def enqueue(self, url: str, depth: int) -> bool:
        """Queue `url` at `depth` unless it is off limits or already known; tell if queued."""
        url = normalize_url(url)
        if depth > self.max_depth or not self.claim(url):
            return False
        self.order += 1
        self.frontier.put_nowait((depth, self.order, url))
        return True

    # workers
    async def work(self) -> None:
        """Take URLs off the frontier, shallowest first, until cancelled."""
        while True:
            depth, _, url = await self.frontier.get()
            try:
                if self.pages < self.max_pages:
                    await self.visit(url, depth)
            except Exception as exc:  # a bug here must not hang the crawl or raise to the caller
                log.exception("crawl of %s failed", url)
                message = f"internal error: {exc}"
                await self.results.put(CrawlResult(url, url, None, None, message, depth))
            finally:
                self.frontier.task_done()

    async def finish_when_idle(self) -> None:
        """Signal the end once every queued URL has been handled."""
        await self.frontier.join()
        await self.results.put(None)

    async def visit(self, url: str, depth: int) -> None:
        """Fetch one URL, queue its links, and report it unless it duplicates a page."""
        try:
            fetched = await _fetch(self.client, url, self.limits, claim=self.claim)
        except _Skip as skip:
            log.debug("skipped: %s", skip)
            return
        except _FetchError as exc:
            await self.results.put(
                CrawlResult(url, exc.final_url or url, exc.status, None, str(exc), depth)
            )
            return
        page = await asyncio.to_thread(_inspect, fetched.body, fetched.final_url)
        if page is None or self.is_duplicate(fetched.final_url, page):
            return
        if self.pages >= self.max_pages:
            return
        self.pages += 1
        await self.results.put(
            CrawlResult(url, fetched.final_url, fetched.status, fetched.body, None, depth)
        )
        if depth < self.max_depth:
            for link in page.links:
                self.enqueue(link, depth + 1)

    def is_duplicate(self, final_url: str, page: _Inspection) -> bool:
        """Tell whether the page was already seen by final URL, canonical URL or text."""
        keys = {final_url} | ({page.canonical} if page.canonical else set())
        if keys & self.page_keys or (page.text_hash and page.text_hash in self.text_hashes):
            return True
        self.page_keys |= keys
        if page.text_hash:
            self.text_hashes.add(page.text_hash)
        return False


def _parse_sitemap(data: bytes) -> tuple[list[str], list[str]]:
    """Return (child sitemaps, page URLs) from a sitemap, sitemap index or plain URL list."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            return [], []
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        lines = data.decode("utf-8", errors="replace").split()
        return [], [line for line in lines if line.startswith(("http://", "https://"))]
    children = root.xpath("//*[local-name()='sitemap']/*[local-name()='loc']/text()")
    pages = root.xpath("//*[local-name()='url']/*[local-name()='loc']/text()")
    return [c.strip() for c in children], [p.strip() for p in pages]


async def crawl(
    start_url: str,
    *,
    max_pages: int = 200,
    max_depth: int = 5,
    concurrency: int = 4,
    timeout: float = 10.0,
    max_bytes: int = 5_000_000,
    client: httpx.AsyncClient | None = None,
    user_agent: str = DEFAULT_USER_AGENT,
) -> AsyncIterator[CrawlResult]:
    """Crawl one site breadth-first and yield each HTML page or failure as a CrawlResult.

    Stays on the start URL's site (its www./apex twin included), obeys robots.txt, seeds
    from the sitemap, skips non-HTML links and duplicates (by final URL, canonical URL and
    text). Failures (HTTP errors, timeouts, oversized pages) are yielded, never raised.
    """
    own_client = client is None
    if client is None:
        client = httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=max(1, concurrency)),
        )
    limits = _Limits(timeout=timeout, max_bytes=max_bytes, user_agent=user_agent)
    crawler = _Crawler(
        start_url,
        client,
        limits,
        max_pages=max_pages,
        max_depth=max_depth,
        concurrency=concurrency,
    )
    try:
        async with contextlib.aclosing(crawler.run()) as results:
            async for result in results:
                yield result
    finally:
        if own_client:
            await client.aclose()


async def crawl_pages(
    start_url: str, *, max_pages: int = 200, max_depth: int = 5, **options: Any
) -> AsyncIterator[PageRecord | tuple[str, str]]:
    """Crawl a site and yield a PageRecord per page, or (url, error message) per failure.

    `options` are passed to `crawl` (concurrency, timeout, max_bytes, client, user_agent).
    """
    dedupe = _Dedupe()
    async for result in crawl(start_url, max_pages=max_pages, max_depth=max_depth, **options):
        if not result.ok:
            yield result.url, result.error or "could not fetch the page"
            continue
        try:
            page = await asyncio.to_thread(extract_page, result.html or b"", result.final_url)
        except Exception as exc:  # one broken page must not stop the crawl
            log.warning("could not extract %s", result.final_url, exc_info=True)
            yield result.url, f"{result.final_url}: could not read the page ({exc})"
            continue
        if page is not None and dedupe.is_new(page):
            yield page
