"""The language of the command line: Chinese unless the environment asks for English.

The locale variables are read as gettext reads them (LANGUAGE, then LC_ALL,
LC_MESSAGES, LANG); the first one set decides. `en…` gives English, anything else
(unset, C, POSIX, zh_CN.UTF-8) Chinese. Messages are the project's own gettext strings
(zh-Hans source, English in locale/en), read here without Django so that a message can
be given even when the settings cannot load.
"""

from __future__ import annotations

import gettext as _gettext
import os
from functools import cache
from pathlib import Path
from typing import Literal

Language = Literal["zh", "en"]
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def cli_language() -> Language:
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "").strip()
        if value:
            first = value.split(":")[0].lower()
            return "en" if first.startswith("en") else "zh"
    return "zh"


def django_language() -> str:
    """The Django language code of `cli_language()` (to activate once Django is set up)."""
    return "en" if cli_language() == "en" else "zh-hans"


@cache
def _catalogue(language: Language) -> _gettext.NullTranslations:
    if language == "zh":
        return _gettext.NullTranslations()
    return _gettext.translation("django", str(LOCALE_DIR), ["en"], fallback=True)


def _(message: str) -> str:
    """`message` (zh-Hans) in the command line's language."""
    return _catalogue(cli_language()).gettext(message)
