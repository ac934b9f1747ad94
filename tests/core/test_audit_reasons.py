"""Reasons the platform writes into the audit trail are stored in Chinese; the audit
page shows them in the reader's language (issue 8, item 7). What a person typed
stays as typed."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext

from zhenxing.core.audit_display import actor_text, reason_text


def test_platform_reasons_read_in_english() -> None:
    with translation.override("en"):
        assert reason_text("审批兑付 12 户") == "Approved for payout: 12 beneficiaries"
        assert reason_text("名单新建：共 3 条") == "List created: 3 entries"
        assert reason_text("更正台账 7：100.00 → 80.00 元；合同价调减") == (
            "Ledger entry 7 corrected: 100.00 → 80.00 yuan; 合同价调减"
        )
        # the same Chinese words as the button, but as a reason it says what happened
        assert reason_text("提出异议") == "Objection raised"
        assert gettext("提出异议") == "Raise objection"
        assert reason_text("重新测算") == "Run again"
        assert reason_text("冲正：发票有误") == "Reversal: 发票有误"
        assert actor_text("系统") == "System"
        assert reason_text("按合同原件核对") == "按合同原件核对"  # typed by a person


def test_platform_reasons_stay_as_stored_in_chinese() -> None:
    with translation.override("zh-hans"):
        assert reason_text("审批兑付 12 户") == "审批兑付 12 户"
        assert reason_text("提出异议") == "提出异议"
        assert actor_text("系统") == "系统"
