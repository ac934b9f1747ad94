"""Reference names and stored texts in the reader's language (issue 8, item 7): cluster
schemes and tiers have English names, the audit log names a record whose type has an
English name by it, and a stored text the platform wrote reads in English while what a
person typed stays as typed."""

from __future__ import annotations

import html
import re
from typing import Any

from django.utils import translation
from django.utils.translation import pgettext_lazy

from zhenxing.core.stored_text import StoredTexts

IDEOGRAPH = re.compile(r"[\u3400-\u9fff]")


def test_every_cluster_scheme_and_tier_has_an_english_name(ref: None) -> None:
    from zhenxing.clusters.models import ClusterScheme, ClusterTier

    assert ClusterScheme.objects.exists()
    assert not ClusterScheme.objects.filter(name_en="").exists()
    assert not ClusterScheme.objects.filter(short_name_en="").exists()
    assert not ClusterTier.objects.filter(name_en="").exists()
    for scheme in ClusterScheme.objects.all():
        assert not IDEOGRAPH.search(scheme.name_en + scheme.short_name_en), scheme.code


def test_cluster_scheme_names_follow_the_reader(ref: None) -> None:
    from zhenxing.clusters.models import ClusterScheme, ClusterTier

    tier = ClusterTier.objects.get(scheme__code="2025-4-4-N", code="50bn")
    with translation.override("en"):
        assert str(tier) == "4+4(50 bn)+N 50-billion-yuan class"
        assert str(tier.scheme).startswith('"4+4+N" industrial clusters')
    with translation.override("zh-hans"):
        assert str(tier) == "4+4(五百亿)+N 五百亿级"
        assert str(ClusterScheme.objects.get(code="2019-4-3-2")) == "“4+3+2”工业产业体系"


def test_the_cluster_schemes_page_in_english(world: Any, client: Any) -> None:
    client.force_login(world.users["dept"])
    page = html.unescape(
        client.get("/system/clusters/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    assert '"4+4+N" industrial clusters (4 of 100 bn yuan, 4 of 50 bn yuan)' in page
    assert "100-billion-yuan class" in page and "Strategic emerging industries" in page
    assert "千亿级" not in page and "产业集群（" not in page


def test_the_audit_log_names_a_fact_definition_in_the_readers_language(
    world: Any, client: Any
) -> None:
    from zhenxing.core import audit
    from zhenxing.core.models import AuditAction
    from zhenxing.enterprises.models import FactDefinition

    with translation.override("zh-hans"):
        fact = FactDefinition.objects.create(
            code="staff_total",
            label="职工总数",
            label_en="Number of employees",
            value_type="integer",
        )
        audit.record(fact, user=world.users["admin"], action=AuditAction.CREATE, reason="新建")
    client.force_login(world.users["admin"])
    english = client.get("/system/audit/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">Number of employees (staff_total)<" in english
    assert "职工总数（staff_total）" not in english
    chinese = client.get("/system/audit/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "职工总数（staff_total）" in chinese


def test_the_history_tab_shows_platform_reasons_in_english(world: Any, client: Any) -> None:
    from zhenxing.core import audit
    from zhenxing.core.models import AuditAction, AuditEntry

    enterprise = world.own_enterprise
    entry = audit.record(
        enterprise, user=world.users["admin"], action=AuditAction.UPDATE, reason="作废：重复登记"
    )
    assert entry is not None
    AuditEntry.objects.filter(pk=entry.pk).update(actor_name="系统")  # written by no one
    client.force_login(world.users["admin"])
    page = client.get(
        f"/enterprises/{enterprise.pk}/?tab=history", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Voided: 重复登记" in page and ">System<" in page
    assert "作废：" not in page and ">系统<" not in page


def test_stored_texts_translate_what_the_platform_wrote_only() -> None:
    notes = StoredTexts(
        (
            pgettext_lazy("result note", "审核排除"),
            pgettext_lazy("result note", "预算不足：%(rule)s"),
        ),
        translated=("rule",),
    )
    with translation.override("en"):
        assert notes.show("审核排除") == "Excluded on review"
        assert notes.show("预算不足：按应兑付金额同比例分配") == (
            "Budget short: Pro rata to amounts due"
        )
        assert notes.show("企业已迁出") == "企业已迁出"
        assert notes.show("") == ""
    with translation.override("zh-hans"):
        assert notes.show("审核排除") == "审核排除"


def test_the_api_gives_scheme_and_tier_names_in_both_languages(world: Any, client: Any) -> None:
    client.force_login(world.users["dept"])
    scheme = client.get("/api/v1/clusters/schemes?date=2026-01-01").json()[0]
    assert scheme["short_name"] == "4+4(五百亿)+N" and scheme["short_name_en"] == "4+4(50 bn)+N"
    assert scheme["name_en"].startswith('"4+4+N" industrial clusters')
    magnesium = next(c for c in scheme["clusters"] if c["code"] == "magnesium")
    assert (magnesium["tier"], magnesium["tier_en"]) == ("五百亿级", "50-billion-yuan class")
