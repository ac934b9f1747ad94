"""The policies part's 首页 panels: a department's batches to review or approve, open
objections and this year's payouts; an enterprise user's entitlements and objections
(registered in `PoliciesConfig.ready`)."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext

from zhenxing.core import scoping
from zhenxing.core.models import Department
from zhenxing.core.panels import Figure, Panel, Severity, Todo, in_wan, in_yi
from zhenxing.core.roles import Action
from zhenxing.policies import queries
from zhenxing.policies.models import (
    LedgerEntry,
    Objection,
    ObjectionStatus,
    Policy,
    PolicyRun,
    PolicyStatus,
    RunStatus,
)

RUNS_LISTED = 5  # batches named one by one; the rest are counted in one line


def _url(name: str, *args: Any, **params: Any) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse(name, args=args) + (f"?{query}" if query else "")


def _run_todos(user: Any, runs: list[PolicyRun]) -> list[Todo]:
    """One line per batch: to approve (a head of its department, or the administrator, who
    did not prepare it), to review (its department's staff), failed (to run again)."""
    todos = []
    severity: Severity
    approvable = set(
        scoping.visible(
            user, PolicyRun.objects.filter(pk__in=[r.pk for r in runs]), Action.APPROVE
        ).values_list("pk", flat=True)
    )
    for run in runs:
        name = gettext("%(policy)s（%(period)s年）") % {
            "policy": run.policy.title,
            "period": run.period,
        }
        if run.status == RunStatus.FAILED:
            text, severity = gettext("测算失败：%(run)s") % {"run": name}, "danger"
        elif run.pk in approvable and user.pk not in (run.preparer_ids or []):
            text, severity = gettext("待您审批：%(run)s") % {"run": name}, "warn"
        else:
            text, severity = gettext("待审批：%(run)s") % {"run": name}, "info"
        todos.append(Todo(text=text, url=_url("policies:run", run.pk), severity=severity))
    return todos


def policies_panel(user: Any, today: datetime.date) -> Panel | None:
    """政策兑付 for department staff and heads (their departments), the administrator and
    city leaders (every department)."""
    followed = scoping.departments_followed(user)
    if followed is not None and not followed:
        return None
    departments = None if followed is None else sorted(followed)
    department = departments[0] if departments and len(departments) == 1 else None

    # A batch waiting for approval concerns everyone who follows the department; a failed
    # one only those who can run it again (for a city leader it is the department's work).
    waiting_approval = scoping.visible(user, PolicyRun.objects.filter(status=RunStatus.COMPUTED))
    to_rerun = scoping.visible(
        user, PolicyRun.objects.filter(status=RunStatus.FAILED), Action.CHANGE
    )
    runs = PolicyRun.objects.filter(
        Q(pk__in=waiting_approval.values("pk")) | Q(pk__in=to_rerun.values("pk"))
    ).select_related("policy")
    objections = scoping.visible(user, Objection.objects.filter(status=ObjectionStatus.OPEN))
    published = scoping.visible(user, Policy.objects.filter(status=PolicyStatus.PUBLISHED))
    year_start = datetime.date(today.year, 1, 1)
    ledger = scoping.visible(user, LedgerEntry.objects.filter(booked_on__gte=year_start))
    if departments is not None:
        runs = runs.filter(policy__department_id__in=departments)
        objections = objections.filter(policy__department_id__in=departments)
        published = published.filter(department_id__in=departments)
        ledger = ledger.filter(policy__department_id__in=departments)
    waiting = list(runs.order_by("policy__name", "-period", "pk"))
    paid = queries.payouts_total(until=today, entries=ledger)

    figures = [
        Figure(
            label=gettext("本年已兑付"),
            value=in_yi(paid.paid_total),
            unit=gettext("亿元"),
            url=_url("policies:ledger", year=today.year, department=department),
            caption=gettext("%(year)s年，%(policies)s 项政策")
            % {"year": today.year, "policies": paid.policies_paid},
        ),
        Figure(
            label=gettext("已发布政策"),
            value=published.count(),
            unit=gettext("项"),
            url=_url("policies:list", status=PolicyStatus.PUBLISHED.value, department=department),
            caption=gettext("免申即享"),
        ),
    ]
    todos = _run_todos(user, waiting[:RUNS_LISTED])
    if not waiting:
        todos.append(
            Todo(
                text=gettext("待审批的测算批次"),
                url=_url("policies:list", department=department),
                count=0,
            )
        )
    if len(waiting) > RUNS_LISTED:
        todos.append(
            Todo(
                text=gettext("其他测算批次"),
                url=_url("policies:list", department=department),
                count=len(waiting) - RUNS_LISTED,
            )
        )
    todos.append(
        Todo(
            text=gettext("待答复的异议"),
            url=_url(
                "policies:objections", status=ObjectionStatus.OPEN.value, department=department
            ),
            count=objections.count(),
            severity="warn",
        )
    )
    if departments is None:
        scope = gettext("全市")
    else:
        scope = "、".join(str(d) for d in Department.objects.filter(pk__in=departments))
    return Panel(
        title=gettext("政策兑付"),
        scope=scope,
        figures=figures,
        todos=todos,
        url=_url("policies:list", department=department),
    )


def my_policies_panel(user: Any, today: datetime.date) -> Panel | None:
    """An enterprise user's policies: what it qualified for, what the ledger paid it, and
    its objections still waiting for an answer."""
    grants = scoping.grants_for(user)
    if not grants.enterprise_ids or grants.is_city_wide_reader:
        return None
    totals = queries.entitlement_totals(sorted(grants.enterprise_ids))
    open_objections = scoping.visible(
        user, Objection.objects.filter(status=ObjectionStatus.OPEN)
    ).count()
    entitlements_url = _url("policies:entitlements")
    return Panel(
        title=gettext("我的政策兑付"),
        figures=[
            Figure(
                label=gettext("享受政策"),
                value=totals.count,
                unit=gettext("项"),
                url=entitlements_url,
                caption=gettext("已审批批次中符合条件的"),
            ),
            Figure(
                label=gettext("已兑付"),
                value=in_wan(totals.paid),
                unit=gettext("万元"),
                url=entitlements_url,
                caption=gettext("以兑付台账为准"),
            ),
        ],
        todos=[
            Todo(
                text=gettext("待答复的异议"),
                url=_url("policies:objections", status=ObjectionStatus.OPEN.value),
                count=open_objections,
                severity="warn",
            )
        ],
        url=entitlements_url,
    )
