"""Text clean-up shared by the validators."""

from __future__ import annotations

import unicodedata

# Dashes people type or paste instead of "-" (NFKC already maps the full-width "－").
_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−﹘﹣"), "-")


def clean(value: str) -> str:
    """NFKC (full-width → half-width), strip surrounding white space, upper-case."""
    return unicodedata.normalize("NFKC", value).strip().upper()


def clean_dashes(value: str) -> str:
    """Like :func:`clean`, and every kind of dash becomes "-"."""
    return clean(value).translate(_DASHES)


def show_zh(char: str) -> str:
    """A character as it should appear in a Chinese message (white space made visible)."""
    if char == " ":
        return "空格"
    if not char.isprintable() or char.isspace():
        return f"U+{ord(char):04X}"
    return f"“{char}”"


def show_en(char: str) -> str:
    """A character as it should appear in an English message."""
    if char == " ":
        return "a space"
    if not char.isprintable() or char.isspace():
        return f"U+{ord(char):04X}"
    return f"'{char}'"
