"""Prompt files and intent exemplars, loaded through one loader with names and versions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True)
class Prompt:
    """A prompt file: its name, version (declared or content hash) and text."""

    name: str
    version: str
    text: str

    def format(self, **values: Any) -> str:
        """Fill `{placeholders}` in the text."""
        return self.text.format(**values)


def _read(name: str) -> str:
    return resources.files("prompts").joinpath(name).read_text(encoding="utf-8")


def _version_of(text: str) -> str:
    for line in text.splitlines()[:5]:
        if line.lower().lstrip("#<!- ").startswith("version:"):
            return line.split(":", 1)[1].strip(" ->")
    return hashlib.sha256(text.encode()).hexdigest()[:10]


@lru_cache(maxsize=64)
def load_prompt(name: str) -> Prompt:
    """Load a text prompt (e.g. 'classify.md'); the version is its `version:` line or a hash."""
    text = _read(name)
    body = "\n".join(
        line
        for line in text.splitlines()
        if not line.lower().lstrip("#<!- ").startswith("version:")
    ).strip()
    return Prompt(name=name, version=_version_of(text), text=body)


@lru_cache(maxsize=64)
def load_data(name: str) -> dict[str, Any]:
    """Load a YAML data file (exemplars, templates) with its `version` key."""
    data = yaml.safe_load(_read(name))
    if not isinstance(data, dict):
        raise ValueError(f"prompts/{name} must be a mapping")
    data.setdefault("version", hashlib.sha256(_read(name).encode()).hexdigest()[:10])
    return data


def prompt_versions() -> dict[str, str]:
    """Return name → version of every prompt file (recorded on turns, traces and eval reports)."""
    versions = {}
    for entry in resources.files("prompts").iterdir():
        if entry.name.endswith((".md", ".yaml")):
            if entry.name.endswith(".yaml"):
                versions[entry.name] = str(load_data(entry.name)["version"])
            else:
                versions[entry.name] = load_prompt(entry.name).version
    return dict(sorted(versions.items()))
