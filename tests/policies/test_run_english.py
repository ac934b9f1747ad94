"""A run's page in English (issue 8, item 7): its progress note, its per-area table and
its results' payout notes read in English, though they are stored in Chinese."""

from __future__ import annotations

from typing import Any

from django.utils import translation

from zhenxing.policies import services
from zhenxing.policies.models import PolicyRun, RunResult


def test_progress_notes_read_in_the_readers_language(computed_run: Any, client: Any) -> None:
    PolicyRun.objects.filter(pk=computed_run.pk).update(
        status="queued", progress=0, progress_note="排队等待测算"
    )
    run = PolicyRun.objects.get(pk=computed_run.pk)
    with translation.override("en"):
        assert run.progress_text == "Queued"
    with translation.override("zh-hans"):
        assert run.progress_text == "排队等待测算"
    run.progress_note = "测算完成，待审批"
    with translation.override("en"):
        assert run.progress_text == "Run complete, awaiting approval"


def test_the_progress_fragment_in_english(world: Any, computed_run: Any, client: Any) -> None:
    PolicyRun.objects.filter(pk=computed_run.pk).update(
        status="running", progress=35, progress_note="规则测算"
    )
    client.force_login(world.users["dept"])
    page = client.get(
        f"/policies/runs/{computed_run.pk}/progress/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "35% · Evaluating the rule" in page and "规则测算" not in page


def test_the_per_area_table_names_areas_in_english(
    world: Any, computed_run: Any, client: Any
) -> None:
    services.run_approve(user=world.users["dept_head"], run=computed_run)
    client.force_login(world.users["dept"])
    english = client.get(
        f"/policies/runs/{computed_run.pk}/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "<td>Bayuquan District</td>" in english and "鲅鱼圈区" not in english
    chinese = client.get(
        f"/policies/runs/{computed_run.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "<td>鲅鱼圈区</td>" in chinese


def test_a_results_payout_note_in_english(world: Any, computed_run: Any, client: Any) -> None:
    result = RunResult.objects.get(run=computed_run, enterprise=world.own_enterprise)
    RunResult.objects.filter(pk=result.pk).update(note="预算不足：按应兑付金额同比例分配")
    client.force_login(world.users["dept"])
    page = client.get(f"/policies/results/{result.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Budget short: Pro rata to amounts due" in page and "预算不足" not in page


def test_a_ledger_corrections_reason_in_english() -> None:
    from zhenxing.policies.models import LedgerEntry

    entry = LedgerEntry(reason="冲正：发票金额有误")
    with translation.override("en"):
        assert entry.reason_text == "Reversal: 发票金额有误"
        assert LedgerEntry(reason="调整：按核定价").reason_text == "Adjustment: 按核定价"
    with translation.override("zh-hans"):
        assert entry.reason_text == "冲正：发票金额有误"


def test_a_runs_audit_entry_reads_in_english(computed_run: Any) -> None:
    """The run's creation lists its progress note (the platform's text) and its amounts
    (with their unit) in the reader's language."""
    from django.contrib.contenttypes.models import ContentType

    from zhenxing.core.audit_display import readable_changes
    from zhenxing.core.models import AuditEntry

    entry = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(PolicyRun),
        object_id=str(computed_run.pk),
        action="create",
    ).get()
    with translation.override("en"):
        changes = {c["field"]: c for c in readable_changes(entry)}
        assert changes["progress_note"]["new"] == "Queued"
        assert changes["payable_total"]["new"] == "0.00 yuan"
    with translation.override("zh-hans"):
        changes = {c["field"]: c for c in readable_changes(entry)}
        assert changes["progress_note"]["new"] == "排队等待测算"
        assert changes["payable_total"]["new"] == "0.00 元"


def test_a_lists_entry_count_in_its_audit_entry_reads_in_english(db: Any) -> None:
    from django.contrib.contenttypes.models import ContentType

    from zhenxing.core.audit_display import readable_changes
    from zhenxing.core.models import AuditEntry
    from zhenxing.policies.models import FactList

    entry = AuditEntry(
        content_type=ContentType.objects.get_for_model(FactList),
        changes=[{"field": "entries", "label": "名单条目", "old": "2 条", "new": "3 条"}],
    )
    with translation.override("en"):
        [line] = readable_changes(entry)
        assert (line["old"], line["new"]) == ("2 entries", "3 entries")
    with translation.override("zh-hans"):
        [line] = readable_changes(entry)
        assert (line["old"], line["new"]) == ("2 条", "3 条")


def test_a_batch_named_in_an_objections_audit_entry_reads_in_english(db: Any) -> None:
    """A related record is stored by its name at the time ("政策 · 2023年"); the year's
    年 is the platform's word."""
    from django.contrib.contenttypes.models import ContentType

    from zhenxing.core.audit_display import readable_changes
    from zhenxing.core.models import AuditEntry
    from zhenxing.policies.models import Objection

    entry = AuditEntry(
        content_type=ContentType.objects.get_for_model(Objection),
        changes=[
            {"field": "run", "old": None, "new": "展位费补助 · 2023年", "kind": "ref"},
            {
                "field": "result",
                "old": None,
                "new": "展位费补助 · 2023年 · 营口钢铁",
                "kind": "ref",
            },
        ],
    )
    with translation.override("en"):
        run, result = readable_changes(entry)
        assert run["new"] == "展位费补助 · 2023"
        assert result["new"] == "展位费补助 · 2023 · 营口钢铁"
    with translation.override("zh-hans"):
        assert readable_changes(entry)[0]["new"] == "展位费补助 · 2023年"
