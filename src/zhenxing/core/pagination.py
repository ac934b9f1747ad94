"""API list pagination: `limit` (1–1000, default 50) and `offset` (0–1,000,000,000).

Bounding the offset keeps a huge number from overflowing the database driver
(SQLite refuses integers beyond 64 bits) and turning bad input into a 500.
"""

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

MAX_OFFSET = 1_000_000_000


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(50, ge=1, le=1000)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
