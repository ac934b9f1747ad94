"""Identifier validators and national code tables (pure Python, no Django).

Modules:

- :mod:`.uscc` — 统一社会信用代码 (GB 32100-2015) with its check character;
- :mod:`.gb2260` — administrative-division codes (GB/T 2260);
- :mod:`.gb4754` — industry classification (GB/T 4754-2017);
- :mod:`.project_code` — the national investment-project code;
- :mod:`.registry` — ``validate(kind, value)`` over all of the above;
- :mod:`.errors` — :class:`~.errors.CodeError`, the one error they all raise.
"""

from zhenxing.core.codes.errors import CodeError, Notice

__all__ = ["CodeError", "Notice"]
