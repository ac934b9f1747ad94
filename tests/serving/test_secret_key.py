"""The secret key nobody has to set: made once in the data directory, then shared."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from zhenxing.core.secret_key import SecretKeyUnavailable, key_path, load_or_create

RACE = (
    "import sys; from pathlib import Path; "
    "from zhenxing.core.secret_key import load_or_create; "
    "print(load_or_create(Path(sys.argv[1])))"
)


def test_the_first_call_writes_a_private_key_and_later_calls_read_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "new" / "var"  # not there yet
    key = load_or_create(data_dir)
    assert len(key) >= 50
    assert stat.S_IMODE(key_path(data_dir).stat().st_mode) == 0o600
    assert load_or_create(data_dir) == key
    assert [p.name for p in data_dir.iterdir()] == ["secret_key"]  # no temporary left


def test_processes_starting_at_the_same_moment_agree_on_one_key(tmp_path: Path) -> None:
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACE, str(tmp_path)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(8)
    ]
    keys = {racer.communicate(timeout=60)[0].strip() for racer in racers}
    assert len(keys) == 1
    assert keys == {key_path(tmp_path).read_text().strip()}


def test_a_data_directory_that_cannot_be_made_is_a_clear_message(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(SecretKeyUnavailable, match="ZHENXING_SECRET_KEY"):
        load_or_create(blocker / "var")


def test_an_emptied_key_file_is_refused_not_used(tmp_path: Path) -> None:
    key_path(tmp_path).write_text("\n")
    with pytest.raises(SecretKeyUnavailable, match="是空的"):
        load_or_create(tmp_path)
