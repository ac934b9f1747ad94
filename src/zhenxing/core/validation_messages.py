"""API validation errors in the reader's language, naming the field.

Pydantic describes a refused value in English ("Input should be a valid integer");
the API answers in Chinese by default and in English for `Accept-Language: en`
(LocaleMiddleware activates the language). Every pydantic error type the API's
schemas can raise has its own message here; an unknown type gets a plain "无效"
rather than pydantic's English text.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

#: pydantic error type → message; `%(…)s` are filled from the error's `ctx`.
MESSAGES: dict[str, Any] = {
    "missing": _("必填"),
    # core.money.Money and NonNegativeMoney
    "money_parsing": _("应为金额（元）：数字或 “1234.50” 这样的字符串"),
    "money_places": _("金额最多保留两位小数（单位：元，到分）"),
    "money_range": _("金额超出范围（绝对值应小于 10 万亿元）"),
    "money_negative": _("金额不能为负数"),
    # core.validation
    "date_out_of_range": _("日期应在 %(earliest)s 至 %(latest)s 之间"),
    "control_characters": _("不能含有控制字符（如 NUL）"),
    "none_required": _("应为空"),
    "int_parsing": _("应为整数"),
    "int_type": _("应为整数"),
    "int_from_float": _("应为整数，不能有小数"),
    "float_parsing": _("应为数字"),
    "float_type": _("应为数字"),
    "finite_number": _("应为有限的数字"),
    "decimal_parsing": _("应为数字"),
    "decimal_type": _("应为数字"),
    "decimal_max_digits": _("数字太长，最多 %(max_digits)s 位"),
    "decimal_max_places": _("小数最多 %(decimal_places)s 位"),
    "decimal_whole_digits": _("整数部分最多 %(whole_digits)s 位"),
    "greater_than": _("应大于 %(gt)s"),
    "greater_than_equal": _("应不小于 %(ge)s"),
    "less_than": _("应小于 %(lt)s"),
    "less_than_equal": _("应不大于 %(le)s"),
    "multiple_of": _("应为 %(multiple_of)s 的倍数"),
    "string_type": _("应为文本"),
    "string_too_short": _("太短，至少 %(min_length)s 个字符"),
    "string_too_long": _("太长，最多 %(max_length)s 个字符"),
    "string_pattern_mismatch": _("格式不对"),
    "too_short": _("太少，至少 %(min_length)s 项"),
    "too_long": _("太多，最多 %(max_length)s 项"),
    "list_type": _("应为列表"),
    "bool_parsing": _("应为 true 或 false"),
    "bool_type": _("应为 true 或 false"),
    "date_parsing": _("应为日期（如 2024-05-31）"),
    "date_type": _("应为日期（如 2024-05-31）"),
    "date_from_datetime_parsing": _("应为日期（如 2024-05-31）"),
    "date_from_datetime_inexact": _("应为日期，不带时间"),
    "datetime_parsing": _("应为日期时间（如 2024-05-31T09:30:00+08:00）"),
    "datetime_type": _("应为日期时间（如 2024-05-31T09:30:00+08:00）"),
    "datetime_from_date_parsing": _("应为日期时间（如 2024-05-31T09:30:00+08:00）"),
    "enum": _("不是可选值，可选：%(expected)s"),
    "literal_error": _("不是可选值，可选：%(expected)s"),
    "json_invalid": _("JSON 格式错误"),
    "json_type": _("应为 JSON"),
    "model_attributes_type": _("应为 JSON 对象"),
    "model_type": _("应为 JSON 对象"),
    "dict_type": _("应为 JSON 对象"),
    "extra_forbidden": _("不是可用的字段"),
    "uuid_parsing": _("应为 UUID"),
    "url_parsing": _("应为网址"),
    "url_type": _("应为网址"),
}
UNKNOWN = gettext_lazy("无效")


def describe(error: dict[str, Any]) -> str:
    """`字段：消息` for one pydantic error, in the active language."""
    field = field_name(error.get("loc", ()))
    kind = str(error.get("type", ""))
    ctx = {k: str(v) for k, v in (error.get("ctx") or {}).items()}
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        # The platform's own validators word their refusals themselves.
        message = ctx["error"]
    else:
        template = MESSAGES.get(kind, UNKNOWN)
        try:
            message = str(template) % ctx if "%(" in str(template) else str(template)
        except KeyError:
            message = str(template).split("%(")[0].rstrip("，, ")
    return gettext("%(field)s：%(message)s") % {"field": field, "message": message}


def field_name(loc: Any) -> str:
    """`body.payload.total_investment` → `total_investment`; `items.0.amount` kept."""
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "header")]
    return ".".join(parts) or "request"
