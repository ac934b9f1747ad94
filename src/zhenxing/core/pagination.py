"""API list routes: pagination and the optional filters.

Pagination: `limit` (1–1000, default 50) and `offset` (0–1,000,000,000). Bounding the
offset keeps a huge number from overflowing the database driver (SQLite refuses
integers beyond 64 bits) and turning bad input into a 500.
"""

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

MAX_OFFSET = 1_000_000_000

M = TypeVar("M", bound=Model)


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(50, ge=1, le=1000)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


def filter_given(queryset: "QuerySet[M]", **lookups: Any) -> "QuerySet[M]":
    """`queryset` filtered on each lookup whose query parameter was given: None or ""
    means not asked for; False and 0 are real values and filter."""
    given = {
        lookup: value for lookup, value in lookups.items() if value is not None and value != ""
    }
    return queryset.filter(**given) if given else queryset
