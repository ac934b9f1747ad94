"""The demo's payouts add up, from ledger entries, to the published totals
(`shared/docs/domain.md` §6): 32 m yuan by 2023-12-31, over 49 m (under 50 m) by
2024-05-31 — asserted through `GET /api/v1/policies/payouts/total`.

The demo is loaded once for the module, inside a transaction rolled back at the end.
The published figures are written out here, not taken from the generator.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

AS_AT = datetime.date(2024, 6, 30)


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Any:
    from django.db import transaction

    from zhenxing.demo import loader
    from zhenxing.demo.policies import load_policy_demo

    with django_db_blocker.unblock(), transaction.atomic():
        loader.load_demo(password="Demo-Passw0rd-1", today=AS_AT)
        try:
            from zhenxing.demo.enterprises import load_enterprise_demo
        except ImportError:
            pass
        else:
            load_enterprise_demo(today=AS_AT)
        load_policy_demo(today=AS_AT)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def loaded(demo: Any, db: Any) -> None:
    return None


def test_demo_totals_through_the_endpoint(loaded: None, client: Any) -> None:
    end_2023 = client.get("/api/v1/policies/payouts/total?until=2023-12-31").json()
    assert end_2023["until"] == "2023-12-31"
    assert end_2023["paid_total"] == "32000000.00"
    may_2024 = client.get("/api/v1/policies/payouts/total?until=2024-05-31").json()
    assert Decimal("49000000") < Decimal(may_2024["paid_total"]) < Decimal("50000000")
    assert may_2024["policies_paid"] > end_2023["policies_paid"] > 0


def test_the_totals_are_the_sum_of_ledger_entries_from_approved_runs(loaded: None) -> None:
    from django.db.models import Sum

    from zhenxing.policies.models import LedgerEntry

    payments = LedgerEntry.objects.filter(kind="payment")
    assert payments.exists()
    assert not payments.exclude(run__status="approved").exists()
    assert not payments.filter(result__isnull=True).exists()
    assert not payments.exclude(result__run=models_F("run")).exists()
    until = LedgerEntry.objects.filter(booked_on__lte=datetime.date(2023, 12, 31))
    assert until.aggregate(total=Sum("amount"))["total"] == Decimal("32000000.00")
    # a correction (reversal + adjustment) is part of the demo and of the total
    assert LedgerEntry.objects.filter(kind="reversal").count() == 1
    assert LedgerEntry.objects.filter(kind="adjustment").count() == 1


def models_F(name: str) -> Any:
    from django.db.models import F

    return F(name)


def test_the_catalogue_has_27_policies_2019_rules_and_marked_examples(loaded: None) -> None:
    from zhenxing.policies import catalogues
    from zhenxing.policies.models import Policy

    policies = list(Policy.objects.all())
    assert len(policies) == 27
    real = [p for p in policies if p.catalogue == "yingkou"]
    examples = [p for p in policies if p.catalogue == "examples"]
    assert sorted(p.rule_id for p in real) == sorted(
        [
            "emerging_industry_project",
            "green_manufacturing_project",
            "smart_manufacturing_project",
            "first_set_equipment",
            "specialized_new_sme_award",
            "newly_above_size",
            "exhibition_booth",
            "high_tech_recognition_award",
        ]
    )
    for p in real:
        version = catalogues.resolve(p.catalogue, p.rule_file, p.rule_id).version
        assert p.rule_file.startswith("subsidies-2019/")
        assert p.name == version.title and "示例" not in p.name
        assert version.article and version.source  # the real reference, from the rule file
    assert len(examples) == 19
    for p in examples:
        version = catalogues.resolve(p.catalogue, p.rule_file, p.rule_id).version
        assert "示例" in p.name and "示例" in version.title
        assert version.document == ""  # no invented document numbers
    statuses = {p.status for p in policies}
    assert statuses == {"draft", "published", "retired"}


def test_the_demo_shows_review_work(loaded: None) -> None:
    from zhenxing.policies.models import Objection, PolicyRun

    assert PolicyRun.objects.filter(status="computed").count() >= 1  # waiting for dept_head
    assert Objection.objects.filter(status="closed").exists()
    assert Objection.objects.filter(status="open").exists()
    notes = " ".join(PolicyRun.objects.values_list("allocation_note", flat=True))
    assert "按应兑付金额同比例分配" in notes and "从高享受" in notes


def test_loading_twice_changes_nothing(loaded: None) -> None:
    from zhenxing.demo.policies import load_policy_demo
    from zhenxing.policies.models import FactList, LedgerEntry, PolicyRun

    before = (LedgerEntry.objects.count(), PolicyRun.objects.count(), FactList.objects.count())
    load_policy_demo(today=AS_AT)
    assert (
        LedgerEntry.objects.count(),
        PolicyRun.objects.count(),
        FactList.objects.count(),
    ) == before
