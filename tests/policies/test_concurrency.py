"""Two department heads approve the same batch at the same moment, each on its own
database connection: the batch is paid once.

PostgreSQL: the approval locks the run row (SELECT … FOR UPDATE); the second waits, then
finds the batch approved. SQLite: every transaction begins IMMEDIATE (settings), so the
second waits for the first to commit (the test database is SQLite's shared in-memory
database, whose lock reports "database table is locked" at once instead of waiting like a
database file with busy_timeout does; the test retries then, as the file would wait).
Under both, the ledger's partial unique index would
refuse a second payment even if both got through.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import OperationalError, connection, connections

from zhenxing.core.services import DomainError
from zhenxing.policies import services
from zhenxing.policies.models import LedgerEntry, PolicyRun


@pytest.mark.django_db(transaction=True)
def test_no_double_payment_under_two_concurrent_approvals(world: Any, computed_run: Any) -> None:
    from zhenxing.core.models import Department, RoleAssignment
    from zhenxing.core.roles import Role

    # a second head of 工信局, so that both approvers are entitled to approve
    second = world.users["admin"]
    RoleAssignment.objects.create(
        user=second, role=Role.DEPT_HEAD, department=Department.objects.get(code="gxj")
    )
    approvers = [world.users["dept_head"], second]
    barrier = threading.Barrier(len(approvers))
    outcomes: list[str] = []
    lock = threading.Lock()

    def approve(user: Any) -> None:
        try:
            run = PolicyRun.objects.get(pk=computed_run.pk)
            barrier.wait(timeout=10)
            for attempt in range(200):
                try:
                    services.run_approve(user=user, run=run)
                    break
                except OperationalError as exc:
                    if "locked" not in str(exc) or attempt == 199:
                        raise
                    time.sleep(0.02)
            outcome = "approved"
        except DomainError as exc:
            outcome = f"refused: {exc.message}"
        except Exception as exc:  # a lock timeout would also be "not paid twice"
            outcome = f"error: {type(exc).__name__}: {exc}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=approve, args=(user,)) for user in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes)[0] == "approved", outcomes
    assert outcomes.count("approved") == 1, outcomes
    assert any("已审批" in o for o in outcomes), outcomes
    payments = LedgerEntry.objects.filter(kind="payment")
    assert payments.count() == 2  # the batch's two beneficiaries, once each
    assert payments.values("beneficiary_id").distinct().count() == payments.count(), (
        "a beneficiary was paid twice"
    )
    assert connection.vendor in ("sqlite", "postgresql")
