"""Codes the demo makes up for the records it creates (the loader and each demo part
use them; a module of its own so that the parts never import the loader)."""

from __future__ import annotations

import random

from zhenxing.core.codes import uscc as uscc_codes


def demo_uscc(rng: random.Random, area_code: str) -> str:
    """A valid 统一社会信用代码 for a demo enterprise registered in `area_code`."""
    digits = "0123456789"
    org_body = "".join(rng.choice(digits) for _ in range(8))
    org_code = org_body + uscc_codes.organisation_check_character(org_body)
    body = "91" + area_code + org_code
    return body + uscc_codes.check_character(body)
