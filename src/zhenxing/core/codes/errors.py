"""The error every validator raises, with a Chinese and an English message."""

from __future__ import annotations

from dataclasses import dataclass


class CodeError(ValueError):
    """An identifier is malformed or unknown.

    ``str(error)`` is the Chinese message; ``message_en`` is the English one.
    ``kind`` names the identifier (``"uscc"``, ``"gb2260"``, ``"gb4754"``,
    ``"project_code"``), ``reason`` is a stable machine-readable key
    (``"length"``, ``"check_character"``, …), ``position`` the 1-based
    character and ``segment`` the 1-based segment the message is about, when
    there is one.
    """

    def __init__(
        self,
        message_zh: str,
        message_en: str,
        *,
        kind: str,
        reason: str,
        position: int | None = None,
        segment: int | None = None,
    ) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh
        self.message_en = message_en
        self.kind = kind
        self.reason = reason
        self.position = position
        self.segment = segment

    def __str__(self) -> str:
        return self.message_zh

    def __repr__(self) -> str:
        return f"CodeError({self.kind}/{self.reason}: {self.message_en!r})"


@dataclass(frozen=True)
class Notice:
    """Something worth telling the user about a *valid* code (a soft check)."""

    message_zh: str
    message_en: str
    reason: str
