"""The catalogue: the rules of a folder, with selecting and checking.

`load_catalogue(path)` reads the folder (`document.read_rule_folder`) and returns a
`Catalogue`. It sits above the checker and the test runner because `select` and
`check` use them; the modules below see the same object as a `document.RuleFolder`,
so nothing in the engine imports upwards (the import-linter contract in
pyproject.toml keeps it so).
"""

from __future__ import annotations

from pathlib import Path

from .check import RuleSet, check_catalogue, select_rules
from .diagnostics import Diagnostic
from .document import RuleFolder, read_rule_folder
from .schema import Period
from .testing import check_cases


class Catalogue(RuleFolder):
    """The rules read from a folder (`rules`, `diagnostics`), ready to select and check."""

    def select(
        self,
        entity: str | None = None,
        period: Period | str | int | None = None,
        *,
        verified_only: bool = False,
        rule_ids: list[str] | None = None,
    ) -> RuleSet:
        """The checked rules in force for `period` (and `entity`), ready to evaluate.

        Raises RulesError if a selected rule has errors.
        """
        return select_rules(
            self, entity=entity, period=period, verified_only=verified_only, rule_ids=rule_ids
        )

    def check(self, *, tests: bool = True) -> list[Diagnostic]:
        """All diagnostics: loading problems, then per-version checks, then (unless
        `tests` is false) the problems of the YAML test cases themselves, such as a
        fact name that is not in the schema."""
        diags = check_catalogue(self)
        if tests:
            diags.extend(check_cases(self))
        return diags


def load_catalogue(path: str | Path) -> Catalogue:
    """Load every rule under `path` (a folder, searched recursively, or one file).

    Loading never raises for problems in the files: they are collected in
    `catalogue.diagnostics` (and `catalogue.check()` adds the semantic checks).
    """
    return read_rule_folder(path, Catalogue)


__all__ = ["Catalogue", "load_catalogue"]
