"""The enterprises part's 首页 panels: tier counts and the pool for city and area staff,
and an enterprise user's own tiers (registered in `EnterprisesConfig.ready`)."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext, pgettext

from zhenxing.core import scoping
from zhenxing.core.panels import Figure, Panel, Todo, scope_label
from zhenxing.enterprises import domain, queries
from zhenxing.enterprises.models import Enterprise, PoolEntry, Tier


def _url(name: str, *args: Any, **params: Any) -> str:
    query = urlencode(params)
    return reverse(name, args=args) + (f"?{query}" if query else "")


def pool_size(entries: Any, *, year: int) -> int:
    """Enterprises in the cultivation pool of `year` that have not left it (退出)."""
    return int(
        entries.filter(year=year)
        .exclude(stage=domain.Stage.EXITED)
        .order_by()
        .values("enterprise_id")
        .distinct()
        .count()
    )


def enterprises_panel(user: Any, today: datetime.date) -> Panel | None:
    """梯度培育: enterprises holding the headline tiers today, the year's pool, and the
    certificates that expire in the next 90 days without a renewal."""
    grants = scoping.grants_for(user)
    if not (grants.is_city_wide_reader or grants.area_ids):
        return None
    tiers = scoping.visible(user, Tier.objects.all())
    counts = queries.tier_counts(on=today, tiers=tiers)
    as_at = gettext("截至 %(day)s") % {"day": today.isoformat()}
    figures = [
        Figure(
            label=gettext("高新技术企业"),
            value=counts[domain.TierCode.HIGH_TECH],
            unit=gettext("家"),
            url=_url("enterprises:tiers", code=domain.TierCode.HIGH_TECH.value, state="held"),
            caption=as_at,
        ),
        Figure(
            label=gettext("科技型中小企业"),
            value=counts[domain.TierCode.TECH_SME],
            unit=gettext("家"),
            url=_url("enterprises:tiers", code=domain.TierCode.TECH_SME.value, state="held"),
            caption=as_at,
        ),
        Figure(
            label=gettext("专精特新企业"),
            value=counts[domain.SPECIALISED_NEW_ALL],
            unit=gettext("家"),
            url=_url("enterprises:tiers"),
            caption=gettext("国家级小巨人与省级专精特新"),
        ),
        Figure(
            label=gettext("培育库"),
            value=pool_size(scoping.visible(user, PoolEntry.objects.all()), year=today.year),
            unit=gettext("家"),
            url=_url("enterprises:pool", year=today.year, in_pool="1"),
            caption=gettext("%(year)s年度，不含已退出") % {"year": today.year},
        ),
    ]
    todos = [
        Todo(
            text=gettext("90 天内到期、尚未复审的资质"),
            url=_url("enterprises:expiring"),
            count=queries.expiring(tiers, today=today).count(),
            severity="warn",
        )
    ]
    return Panel(
        title=gettext("梯度培育"),
        scope=scope_label(user),
        figures=figures,
        todos=todos,
        url=_url("enterprises:tiers"),
    )


def my_enterprise_panel(user: Any, today: datetime.date) -> Panel | None:
    """An enterprise user's own enterprise: the tiers it holds today and those expiring."""
    grants = scoping.grants_for(user)
    if not grants.enterprise_ids or grants.is_city_wide_reader:
        return None
    enterprises = list(
        scoping.visible(user, Enterprise.objects.filter(pk__in=grants.enterprise_ids))
    )
    if not enterprises:
        return None
    tiers = scoping.visible(user, Tier.objects.filter(enterprise__in=enterprises))
    held = list(tiers.filter(queries.held_q(today)).order_by("code", "-issued_on"))
    names = sorted({h.get_code_display() for h in held})
    tiers_url = (
        _url("enterprises:detail", enterprises[0].pk, tab="tiers")
        if len(enterprises) == 1
        else _url("enterprises:tiers", state="held")
    )
    figures = [
        Figure(
            label=gettext("持有资质称号"),
            value=len(names),
            unit=pgettext("资质称号", "项"),
            url=tiers_url,
            caption="、".join(names) if names else gettext("暂无有效资质"),
        )
    ]
    todos = [
        Todo(
            text=gettext("90 天内到期、尚未复审的资质"),
            url=tiers_url,
            count=queries.expiring(tiers, today=today).count(),
            severity="warn",
        )
    ]
    return Panel(
        title=gettext("我的企业"),
        scope="、".join(e.name for e in enterprises),
        figures=figures,
        todos=todos,
        url=_url("enterprises:detail", enterprises[0].pk),
    )
