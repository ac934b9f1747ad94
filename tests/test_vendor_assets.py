"""The vendored front-end files are the upstream ones, recorded and licensed.

No database and no network: runs ``scripts/fetch_vendor.py --check``.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "fetch_vendor.py"
VENDOR = ROOT / "src" / "zhenxing" / "static" / "vendor"


def load_script():
    spec = importlib.util.spec_from_file_location("fetch_vendor", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fetch_vendor():
    return load_script()


@pytest.fixture(scope="module")
def manifest():
    return json.loads((VENDOR / "MANIFEST.json").read_text(encoding="utf-8"))


def test_check_mode_passes_on_the_committed_files():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_vendored_file_matches_its_checksum_and_has_a_licence(fetch_vendor, manifest):
    assert fetch_vendor.check(VENDOR) == []
    names = {entry["name"] for entry in manifest["packages"]}
    assert {"htmx", "echarts"} <= names
    for entry in manifest["packages"]:
        main = VENDOR / entry["file"]
        assert main.is_file(), entry["file"]
        assert fetch_vendor.sha256_of(main) == entry["sha256"]
        assert entry["licence"], entry["name"]
        assert entry["licence_files"], f"{entry['name']} has no licence file"
        for licence in entry["licence_files"]:
            path = VENDOR / licence["file"]
            assert path.is_file(), licence["file"]
            assert path.parent == main.parent, "the licence sits next to the file"
            assert path.stat().st_size > 0
            assert fetch_vendor.sha256_of(path) == licence["sha256"]


def test_manifest_records_the_pinned_versions(fetch_vendor, manifest):
    recorded = {e["name"]: (e["package"], e["version"]) for e in manifest["packages"]}
    pinned = {p.name: (p.package, p.version) for p in fetch_vendor.PINNED}
    assert recorded == pinned
    assert pinned["htmx"][1].startswith("2.")
    assert pinned["echarts"][1].split(".")[0] in {"5", "6"}


def test_check_mode_notices_a_changed_file(fetch_vendor, manifest, tmp_path):
    copy = tmp_path / "vendor"
    shutil.copytree(VENDOR, copy)
    target = copy / manifest["packages"][0]["file"]
    target.write_bytes(target.read_bytes() + b"\n// edited")
    problems = fetch_vendor.check(copy)
    assert any("does not match its checksum" in p for p in problems), problems

    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check", "--vendor-dir", str(copy)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode != 0


def test_check_mode_notices_a_missing_licence_and_a_stray_file(fetch_vendor, manifest, tmp_path):
    copy = tmp_path / "vendor"
    shutil.copytree(VENDOR, copy)
    licence = manifest["packages"][0]["licence_files"][0]["file"]
    (copy / licence).unlink()
    (copy / "htmx" / "extra.js").write_text("// not from upstream\n", encoding="utf-8")
    problems = fetch_vendor.check(copy)
    assert any(licence in p and "missing" in p for p in problems), problems
    assert any("extra.js" in p for p in problems), problems


def test_check_mode_notices_a_manifest_without_licences(fetch_vendor, manifest, tmp_path):
    copy = tmp_path / "vendor"
    shutil.copytree(VENDOR, copy)
    edited = json.loads(json.dumps(manifest))
    edited["packages"][0]["licence_files"] = []
    (copy / "MANIFEST.json").write_text(json.dumps(edited), encoding="utf-8")
    problems = fetch_vendor.check(copy)
    assert any("no licence file" in p for p in problems), problems
