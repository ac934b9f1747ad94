"""The one sanctioned way to empty append-only tables: `wiping()`.

The payout ledger refuses UPDATE and DELETE in the database itself (triggers on SQLite
and PostgreSQL, `policies` migrations 0002 and 0007). Two operations must still empty
it: the test runner's flush between transactional tests and a restore from a backup,
which replaces every row. On PostgreSQL both use TRUNCATE, which fires no row trigger.
On SQLite they DELETE, so the DELETE trigger asks the connection whether it is wiping:
`zhenxing_wiping()`, a function our SQLite backend (`core/sqlite`) registers on every
connection, answers 1 only inside `wiping()` on the same thread. Anything else — the
ORM's `_base_manager.delete()`, a raw DELETE, the sqlite3 shell (where the function
does not even exist) — is refused.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_state = threading.local()

# The name of the SQL function the SQLite DELETE trigger calls.
WIPING_FUNCTION = "zhenxing_wiping"


@contextmanager
def wiping() -> Iterator[None]:
    """Inside: this thread may empty append-only tables (a flush, a restore)."""
    depth = getattr(_state, "depth", 0)
    _state.depth = depth + 1
    try:
        yield
    finally:
        _state.depth = depth


def is_wiping() -> int:
    """1 inside `wiping()` on this thread, else 0 (SQLite calls it from the trigger)."""
    return 1 if getattr(_state, "depth", 0) > 0 else 0
