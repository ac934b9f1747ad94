"""Public policy pages and the 申兑指南 show only public text, in the reader's language
(issue 8, items 6 and 7)."""

from __future__ import annotations

import re
from typing import Any

HAN = re.compile(r"[\u4e00-\u9fff]")


def test_the_public_guide_shows_no_internal_source_note(client: Any, policy: Any) -> None:
    page = client.get("/policies/public/first-set/").content.decode()
    assert "申兑指南" in page and "对列入首台（套）重大技术装备产品名单的制造企业" in page
    for internal in ("种子资料", "兑付前须以原文核对", "No document number", "confirm against"):
        assert internal not in page


def test_the_public_guide_in_english(client: Any, policy: Any) -> None:
    page = client.get("/policies/public/first-set/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "How-to-claim guide" in page
    assert "Award for first-set major technical equipment" in page
    assert "种子资料" not in page and "兑付前须" not in page
    # the English guide's own wording: who may claim, the amount
    assert "No application is needed" in page
    assert "rounded half up to the fen" in page


def test_the_policy_title_is_the_rule_english_title_for_english_readers(policy: Any) -> None:
    from django.utils import translation

    with translation.override("en"):
        assert not HAN.search(policy.title) and str(policy) == policy.title
    with translation.override("zh-hans"):
        assert policy.title == "首台（套）重大技术装备奖励"
