"""The code validators are pure Python: these tests need no database and no Django.

The project-wide autouse fixture adjusts Django settings; it is replaced here by a
no-op so that this directory also runs with ``-p no:django``.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _immediate_tasks() -> None:
    return None
