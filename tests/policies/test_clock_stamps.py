"""Stamps of the policy part come from the one clock (`core.clock`): an objection and an
approval made on the demo's "today" both carry that day, whatever the machine's date."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _shanghai_day(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(SHANGHAI).date()


DEMO_DAY = datetime.date(2024, 6, 30)


@time_machine.travel(datetime.datetime(2026, 3, 5, 2, 0, tzinfo=datetime.UTC), tick=False)
def test_an_objection_and_an_approval_made_on_the_demo_day_both_carry_it(
    settings: Any, world: Any, computed_run: Any
) -> None:
    from zhenxing.core import audit
    from zhenxing.policies import services
    from zhenxing.policies.models import LedgerEntry

    settings.TODAY_OVERRIDE = DEMO_DAY.isoformat()
    run = services.run_approve(user=world.users["dept_head"], run=computed_run)
    assert _shanghai_day(run.approved_at) == DEMO_DAY
    entry = LedgerEntry.objects.filter(run=run).first()
    assert entry is not None and _shanghai_day(entry.created_at) == DEMO_DAY
    result = run.results.get(enterprise=world.own_enterprise)
    objection = services.objection_file(
        user=world.users["enterprise"],
        enterprise=world.own_enterprise,
        policy=run.policy,
        result=result,
        reason="合同金额计算有误，请复核",
    )
    assert _shanghai_day(objection.created_at) == DEMO_DAY
    # its historical copy and its audit entry carry the same day
    assert _shanghai_day(objection.history.latest().history_date) == DEMO_DAY
    latest = audit.entries_for(objection).first()
    assert latest is not None and _shanghai_day(latest.timestamp) == DEMO_DAY
    reply = services.objection_reply(
        user=world.users["dept_head"], objection=objection, text="已复核，维持", close=True
    )
    objection.refresh_from_db()
    assert _shanghai_day(reply.created_at) == DEMO_DAY
    assert objection.closed_at is not None and _shanghai_day(objection.closed_at) == DEMO_DAY
