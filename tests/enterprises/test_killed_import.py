"""The server killed mid-import, for real (issue 9 item 3): a process SIGKILLed inside the
registry import's write transaction leaves no row of the sheet, no audit entry, nothing
in the way of importing the same sheet again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from zhenxing.core.models import AuditEntry
from zhenxing.enterprises.models import Enterprise

from ..faults import child, from_file, kill, on_sqlite_only, registry_sheet, to_file, wait_for_line

pytestmark = [pytest.mark.django_db(transaction=True), on_sqlite_only]


def test_a_server_killed_mid_import_leaves_no_partial_rows(world: Any, tmp_path: Path) -> None:
    data, codes = registry_sheet(200)
    sheet = tmp_path / "registry.xlsx"
    sheet.write_bytes(data)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    db_file = to_file(data_dir)
    audit_entries = AuditEntry.objects.count()

    importer = child(data_dir, "import", str(sheet), "area", "--pause")
    wait_for_line(importer, "WRITING")  # the rows are inserted, not yet committed
    kill(importer)
    from_file(db_file)
    assert not Enterprise.objects.filter(uscc__in=codes).exists()
    assert AuditEntry.objects.count() == audit_entries

    again = child(data_dir, "import", str(sheet), "area")
    assert again.wait(timeout=300) == 0
    from_file(db_file)
    assert Enterprise.objects.filter(uscc__in=codes).count() == len(codes)
