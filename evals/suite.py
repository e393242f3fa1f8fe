"""Load and validate an eval suite (shared/docs/eval-suite.md, v1) from its YAML file."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from services.provision import ProvisionSpec
from signpost.protocol import BUCKET_ACCEPTS, BUCKETS, INTENT_TOOL, INTENTS, SOURCE_TYPES

EXPECT_KEYS: tuple[str, ...] = (
    "intent",
    "tool",
    "urls_any",
    "urls_all",
    "contacts_any",
    "documents_any",
    "gated",
    "ui_blocks_any",
    "text_contains_any",
    "text_contains_all",
    "not_contains",
    "fallback",
)
"""Every expectation key of the v1 format, in the spec's order."""

UI_BLOCK_TYPES: tuple[str, ...] = ("links", "cards", "contacts", "lead_form", "documents")
TOOLS: tuple[str, ...] = tuple(sorted({t for t in INTENT_TOOL.values() if t is not None}))
_STRING_LIST_KEYS = (
    "urls_any",
    "urls_all",
    "contacts_any",
    "documents_any",
    "text_contains_any",
    "text_contains_all",
    "not_contains",
)
_TOP_KEYS = ("name", "bot", "sources", "buckets", "cases")
_CASE_KEYS = ("id", "turns", "description")
_TURN_KEYS = ("user", "lead", "expect")


class SuiteError(ValueError):
    """A suite file that cannot be run; the message names the file, case, turn and key."""


@dataclass(frozen=True)
class Turn:
    """One step of a case: a chat message or a lead form submission, and what to expect."""

    user: str | None
    lead: dict[str, str] | None
    expect: dict[str, Any]


@dataclass(frozen=True)
class Case:
    """A conversation run as one fresh thread."""

    id: str
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class Suite:
    """A validated suite: the provisioning spec, the cases and where its files live."""

    name: str
    path: Path
    base_dir: Path
    spec: ProvisionSpec
    cases: tuple[Case, ...]

    def select(self, only: Iterable[str]) -> Suite:
        """Return the suite restricted to the given case ids (all of them must exist)."""
        wanted = [i for i in dict.fromkeys(only) if i]
        if not wanted:
            return self
        known = {c.id for c in self.cases}
        missing = [i for i in wanted if i not in known]
        if missing:
            raise SuiteError(f"{self.path}: unknown case id(s) for --only: {', '.join(missing)}")
        keep = set(wanted)
        return replace(self, cases=tuple(c for c in self.cases if c.id in keep))


def load_suite(path: str | Path) -> Suite:
    """Read, validate and return the suite at `path`; raise SuiteError on any problem."""
    path = Path(path)
    if not path.is_file():
        raise SuiteError(f"{path}: no such suite file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SuiteError(f"{path}: not valid YAML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise SuiteError(f"{path}: not UTF-8 text: {exc}") from exc
    return parse_suite(data, path=path)


def parse_suite(data: Any, *, path: Path) -> Suite:
    """Validate an already parsed suite document; `path` locates the files it names."""
    where = str(path)
    _require_mapping(data, where)
    _reject_unknown(data, _TOP_KEYS, where)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SuiteError(f"{where}: 'name' is required (a non-empty string)")
    base_dir = path.resolve().parent
    spec = _parse_spec(data, where, base_dir)
    cases_raw = data.get("cases")
    if not isinstance(cases_raw, list) or not cases_raw:
        raise SuiteError(f"{where}: 'cases' is required (a non-empty list)")
    cases: list[Case] = []
    seen: set[str] = set()
    for index, raw in enumerate(cases_raw):
        case = _parse_case(raw, f"{where}: cases[{index}]")
        if case.id in seen:
            raise SuiteError(f"{where}: cases[{index}]: duplicate case id {case.id!r}")
        seen.add(case.id)
        cases.append(case)
    return Suite(name=name, path=path, base_dir=base_dir, spec=spec, cases=tuple(cases))


# -- bot, sources, buckets --------------------------------------------------------------------
def _parse_spec(data: Mapping[str, Any], where: str, base_dir: Path) -> ProvisionSpec:
    if not isinstance(data.get("bot"), dict):
        raise SuiteError(f"{where}: 'bot' is required (a mapping with at least 'name')")
    sources = data.get("sources") or []
    if not isinstance(sources, list):
        raise SuiteError(f"{where}: 'sources' must be a list")
    buckets = data.get("buckets") or {}
    if not isinstance(buckets, dict):
        raise SuiteError(f"{where}: 'buckets' must be a mapping of bucket → list of source ids")
    try:
        spec = ProvisionSpec.model_validate(
            {"name": data.get("name"), "bot": data["bot"], "sources": sources, "buckets": buckets}
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise SuiteError(f"{where}: {loc}: {first['msg']}") from exc

    types: dict[str, str] = {}
    for index, src in enumerate(spec.sources):
        at = f"{where}: sources[{index}] (id {src.id!r})"
        if src.id in types:
            raise SuiteError(f"{at}: duplicate source id")
        if src.type not in SOURCE_TYPES:
            raise SuiteError(f"{at}: type {src.type!r} is not one of {', '.join(SOURCE_TYPES)}")
        if src.path is not None:
            target = base_dir / src.path
            if not target.exists():
                raise SuiteError(f"{at}: path {src.path!r} does not exist (looked in {target})")
            if src.type == "website" and not src.base_url:
                raise SuiteError(f"{at}: a website folder needs a base_url")
        elif not (src.url or src.text):
            raise SuiteError(f"{at}: give a path (relative to the suite file)")
        types[src.id] = src.type

    for bucket, refs in spec.buckets.items():
        at = f"{where}: buckets.{bucket}"
        if bucket not in BUCKETS:
            raise SuiteError(f"{at}: unknown bucket; buckets are {', '.join(BUCKETS)}")
        for ref in refs:
            if ref not in types:
                raise SuiteError(f"{at}: names unknown source {ref!r}")
            accepts = BUCKET_ACCEPTS[bucket]  # type: ignore[index]
            if types[ref] not in accepts:
                raise SuiteError(
                    f"{at}: source {ref!r} is a {types[ref]} source; "
                    f"{bucket} accepts {', '.join(accepts)}"
                )
    return spec


# -- cases and turns --------------------------------------------------------------------------
def _parse_case(raw: Any, where: str) -> Case:
    _require_mapping(raw, where)
    case_id = raw.get("id")
    if not isinstance(case_id, str) or not case_id.strip():
        raise SuiteError(f"{where}: 'id' is required (a non-empty string)")
    where = f"{where} (id {case_id!r})"
    _reject_unknown(raw, _CASE_KEYS, where)
    turns_raw = raw.get("turns")
    if not isinstance(turns_raw, list) or not turns_raw:
        raise SuiteError(f"{where}: 'turns' is required (a non-empty list)")
    turns = tuple(_parse_turn(t, f"{where} turns[{i}]") for i, t in enumerate(turns_raw))
    return Case(id=case_id, turns=turns)


def _parse_turn(raw: Any, where: str) -> Turn:
    _require_mapping(raw, where)
    _reject_unknown(raw, _TURN_KEYS, where)
    has_user, has_lead = "user" in raw, "lead" in raw
    if has_user == has_lead:
        raise SuiteError(f"{where}: give exactly one of 'user' (a message) or 'lead' (form fields)")
    user: str | None = None
    lead: dict[str, str] | None = None
    if has_user:
        user = raw["user"]
        if not isinstance(user, str) or not user.strip():
            raise SuiteError(f"{where}: 'user' must be a non-empty string")
    else:
        lead = _parse_lead(raw["lead"], f"{where}: lead")
    expect_raw = raw.get("expect")
    expect = {} if expect_raw is None else _parse_expect(expect_raw, f"{where}: expect")
    return Turn(user=user, lead=lead, expect=expect)


def _parse_lead(raw: Any, where: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not raw:
        raise SuiteError(f"{where} must be a non-empty mapping of field → value")
    lead: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            raise SuiteError(f"{where}: field name {key!r} must be a string")
        if isinstance(value, (dict, list)) or value is None:
            raise SuiteError(f"{where}.{key}: must be a text value")
        # YAML reads `phone: 5035550199` as a number; the form sends text.
        lead[key] = value if isinstance(value, str) else str(value)
    return lead


def _parse_expect(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise SuiteError(f"{where} must be a mapping")
    expect: dict[str, Any] = {}
    for key, value in raw.items():
        at = f"{where}.{key}"
        if key not in EXPECT_KEYS:
            raise SuiteError(f"{where}: unknown key {key!r}; keys are {', '.join(EXPECT_KEYS)}")
        if key == "intent":
            expect[key] = _intent(value, at)
        elif key == "tool":
            if value is not None and value not in TOOLS:
                raise SuiteError(
                    f"{at}: {value!r} is not a tool; tools are {', '.join(TOOLS)} or null for none"
                )
            expect[key] = value
        elif key in ("gated", "fallback"):
            if not isinstance(value, bool):
                raise SuiteError(f"{at}: must be true or false, got {value!r}")
            expect[key] = value
        elif key == "ui_blocks_any":
            items = _string_list(value, at)
            bad = [v for v in items if v not in UI_BLOCK_TYPES]
            if bad:
                raise SuiteError(
                    f"{at}: unknown block type(s) {', '.join(map(repr, bad))}; "
                    f"types are {', '.join(UI_BLOCK_TYPES)}"
                )
            expect[key] = items
        else:
            assert key in _STRING_LIST_KEYS
            expect[key] = _string_list(value, at)
    return expect


def _intent(value: Any, where: str) -> str | list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise SuiteError(f"{where}: must be an intent or a non-empty list of intents")
    bad = [v for v in items if v not in INTENTS]
    if bad:
        raise SuiteError(
            f"{where}: unknown intent(s) {', '.join(map(repr, bad))}; "
            f"intents are {', '.join(INTENTS)}"
        )
    return value if isinstance(value, str) else list(items)


def _string_list(value: Any, where: str) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise SuiteError(f"{where}: must be a non-empty list of strings")
    if not all(isinstance(v, str) and v for v in items):
        raise SuiteError(f"{where}: every item must be a non-empty string, got {items!r}")
    return list(items)


def _require_mapping(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise SuiteError(f"{where}: must be a mapping, got {type(value).__name__}")


def _reject_unknown(value: Mapping[str, Any], known: Sequence[str], where: str) -> None:
    unknown = [k for k in value if k not in known]
    if unknown:
        raise SuiteError(
            f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; expected {', '.join(known)}"
        )
