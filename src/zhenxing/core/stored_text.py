"""Texts the platform itself stores in Chinese, shown in the reader's language.

Some texts are written by the platform into the database as plain Chinese: audit
reasons ("提出异议"), a run's progress note ("排队等待测算"), a result's payout note
("预算不足：按应兑付金额同比例分配"). They are kept as written (old rows included) and
translated when shown: a `StoredTexts` lists the templates one part of the platform
writes, and `show()` finds the template a stored text was made from and gives it in the
reader's language. A placeholder stands for what was filled in (a number, a date, what a
person typed), which is shown as it is, unless it is itself one of the platform's
wordings (`translated` names such placeholders; their values go through gettext).

Each family has its own gettext context, so the same Chinese words can read differently
as a button ("Raise objection") and as what happened ("Objection raised").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.utils import translation
from django.utils.translation import gettext

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _pattern(template: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(template)  # text, name, text, name, …, text
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$", re.DOTALL)


class StoredTexts:
    """The templates of one family of stored texts, each marked
    `pgettext_lazy(context, "…")` so that makemessages finds it."""

    def __init__(self, templates: Iterable[Any], *, translated: Iterable[str] = ()) -> None:
        self.templates = tuple(templates)
        self.translated = frozenset(translated)
        self._patterns: list[tuple[Any, re.Pattern[str]]] | None = None

    def patterns(self) -> list[tuple[Any, re.Pattern[str]]]:
        """Each template with the pattern of its Chinese text (built on first use, when
        translations can be read)."""
        if self._patterns is None:
            with translation.override(None):  # no catalogue: the Chinese source text
                self._patterns = [(t, _pattern(str(t))) for t in self.templates]
        return self._patterns

    def show(self, text: str) -> str:
        """`text` in the reader's language when it was made from one of the templates;
        anything else (what a person typed) as it is."""
        for template, pattern in self.patterns():
            match = pattern.match(text or "")
            if match:
                values = {
                    name: gettext(value) if name in self.translated else value
                    for name, value in match.groupdict().items()
                }
                return str(template) % values
        return text
