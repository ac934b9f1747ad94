"""The disk full during an export (issue 9 item 3): the user reads a clear message, and
no partial file is left behind — an earlier export of the same name stays as it was."""

from __future__ import annotations

import errno
import io
import os
from typing import Any

import pytest

from zhenxing.core import excel, files


class _FillsUp(io.BytesIO):
    """A file on a disk with room for `room` bytes: the write past it fails (ENOSPC)
    after the part that fitted has been written."""

    def __init__(self, target: Any, room: int) -> None:
        super().__init__()
        self.target = target
        self.room = room

    def write(self, data: Any) -> int:
        self.target.write(bytes(data[: self.room]))
        self.target.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __exit__(self, *exc: Any) -> None:
        self.target.close()


@pytest.fixture
def disk_full(monkeypatch: Any) -> None:
    real_fdopen = os.fdopen
    monkeypatch.setattr(
        files.os, "fdopen", lambda fd, mode: _FillsUp(real_fdopen(fd, mode), room=100)
    )


def test_an_export_on_a_full_disk_says_so_and_leaves_no_partial_file(
    world: Any, tmp_path: Any, capsys: Any, disk_full: None
) -> None:
    from zhenxing.cli import main

    out = tmp_path / "企业名录.xlsx"
    assert main(["export", "enterprises", str(out), "--user", "area"]) == 2
    assert "磁盘空间不足" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # neither the file nor the temporary one


def test_an_earlier_file_of_the_same_name_is_kept_whole(tmp_path: Any, disk_full: None) -> None:
    earlier = tmp_path / "list.xlsx"
    earlier.write_bytes(excel.build_xlsx(["名称"], [["甲"]]))
    with pytest.raises(files.WriteFailed, match="磁盘空间不足"):
        files.write_atomically(earlier, b"x" * 10_000)
    assert excel.read_rows(earlier.read_bytes()) == [["名称"], ["甲"]]
    assert [p.name for p in tmp_path.iterdir()] == ["list.xlsx"]


def test_a_directory_that_cannot_be_written_is_named(tmp_path: Any) -> None:
    with pytest.raises(files.WriteFailed, match="无法写入"):
        files.write_atomically(tmp_path / "missing" / "list.xlsx", b"data")


def test_a_file_is_written_whole(tmp_path: Any) -> None:
    target = tmp_path / "out.bin"
    files.write_atomically(target, b"data")
    assert target.read_bytes() == b"data" and [p.name for p in tmp_path.iterdir()] == ["out.bin"]
