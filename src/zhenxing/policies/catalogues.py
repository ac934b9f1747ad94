"""The rule catalogues a policy can name, loaded once and reloaded when a file changes.

- `yingkou`: the city's catalogue (`rules/catalogue/yingkou`: the 2019 subsidies and the
  recognition criteria).
- `examples`: example rules of this app (`policies/rule_examples`) for the demo's example
  policies (their titles say 示例; no document numbers).

A policy stores the catalogue's name, the rule file's path relative to the catalogue's
folder and the rule id; `resolve()` checks that the three agree.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from zhenxing.rules import Catalogue, RuleSet, RuleVersion, load_catalogue
from zhenxing.rules.schema import Period

RULES_DIR = Path(__file__).resolve().parent.parent / "rules" / "catalogue"

CATALOGUES: dict[str, tuple[Any, Path]] = {
    "yingkou": (_("营口市政策规则目录"), RULES_DIR / "yingkou"),
    "examples": (_("示例规则目录"), Path(__file__).resolve().parent / "rule_examples"),
}

_cache: dict[str, tuple[tuple[tuple[str, float], ...], Catalogue]] = {}


class CatalogueError(ValueError):
    """The policy's rule cannot be found or does not match (message in Chinese)."""


def choices() -> list[tuple[str, str]]:
    return [(key, str(label)) for key, (label, _path) in CATALOGUES.items()]


def root(name: str) -> Path:
    try:
        return CATALOGUES[name][1]
    except KeyError:
        raise CatalogueError(f"未知的规则目录：{name}") from None


def _signature(folder: Path) -> tuple[tuple[str, float], ...]:
    return tuple(sorted((str(p), p.stat().st_mtime) for p in folder.rglob("*.yaml")))


def catalogue(name: str) -> Catalogue:
    """The loaded catalogue (cached until one of its files changes)."""
    folder = root(name)
    signature = _signature(folder)
    cached = _cache.get(name)
    if cached is not None and cached[0] == signature:
        return cached[1]
    loaded = load_catalogue(folder)
    _cache[name] = (signature, loaded)
    return loaded


@dataclass(frozen=True)
class ResolvedRule:
    catalogue: str
    rule_id: str
    version: RuleVersion
    relative_file: str

    @property
    def verified(self) -> bool:
        return self.version.verified

    @property
    def entity(self) -> str:
        return self.version.entity

    def digest(self) -> str:
        return hashlib.sha256(self.version.file.read_bytes()).hexdigest()[:16]


def period_of(period: str | int) -> Period:
    return Period.parse(str(period))


def resolve(
    name: str, rule_file: str, rule_id: str, period: str | int | None = None
) -> ResolvedRule:
    """The rule version a policy names, in force in `period` (or the latest one)."""
    cat = catalogue(name)
    rule = cat.rules.get(rule_id)
    if rule is None:
        raise CatalogueError(f"规则目录“{CATALOGUES[name][0]}”中没有规则 {rule_id}")
    version = rule.version_for(period_of(period)) if period is not None else rule.latest
    if version is None:
        raise CatalogueError(f"规则 {rule_id} 在 {period} 年没有有效版本")
    folder = root(name)
    files = {str(v.file.resolve().relative_to(folder.resolve())) for v in rule.versions}
    if rule_file not in files:
        raise CatalogueError(
            f"规则 {rule_id} 不在文件 {rule_file} 中（在：{'、'.join(sorted(files))}）"
        )
    relative = str(version.file.resolve().relative_to(folder.resolve()))
    return ResolvedRule(name, rule_id, version, relative)


def ruleset(name: str, rule_id: str, period: str | int, *, verified_only: bool = True) -> RuleSet:
    """The checked rule set of one rule (and the rules it refers to) for one period."""
    return catalogue(name).select(
        period=str(period), verified_only=verified_only, rule_ids=[rule_id]
    )


def rule_file_of(name: str, rule_id: str) -> str:
    """The file (relative to the catalogue) of the latest version of a rule."""
    cat = catalogue(name)
    rule = cat.rules[rule_id]
    return str(rule.latest.file.resolve().relative_to(root(name).resolve()))


def english_title(name: str, rule_id: str) -> str:
    """The rule's `title_en` (latest version), or "" when it has none or cannot be found."""
    try:
        rule = catalogue(name).rules.get(rule_id)
    except CatalogueError:
        return ""
    return rule.latest.title_en if rule is not None else ""


def label_of(thing: Any) -> str:
    """A rule's fact, parameter or condition as its reader reads it: `label_en` on an
    English page when the catalogue gives one, else the Chinese `label`, else its id."""
    english = getattr(thing, "label_en", "") if (get_language() or "").startswith("en") else ""
    return english or getattr(thing, "label", "") or getattr(thing, "id", "") or thing.name


def english_condition_labels(name: str, rule_id: str, period: str) -> dict[str, str]:
    """The `label_en` of each condition of the rule version in force in `period` (a run
    stores its condition labels in Chinese; an English page shows these instead)."""
    try:
        rule = catalogue(name).rules.get(rule_id)
        version = rule.version_for(period_of(period)) if rule is not None else None
    except (CatalogueError, ValueError):
        return {}
    if version is None:
        return {}
    return {c.name: c.label_en for c in version.conditions if c.label_en}
