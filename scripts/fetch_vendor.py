#!/usr/bin/env python3
"""Fetch the vendored front-end files from the npm registry, or check them.

Government networks are closed, so the platform never loads a script from a
CDN: htmx and ECharts are served from ``src/zhenxing/static/vendor/``. Those
files are the upstream release files, byte for byte, each next to the licence
files of its package, and ``vendor/MANIFEST.json`` records for each package
its version, where it came from, the sha256 of every file and the licence.

Usage::

    python scripts/fetch_vendor.py           # fetch the pinned versions (needs npm + network)
    python scripts/fetch_vendor.py --check   # verify the committed files (no network)

To upgrade a package, change its version in ``PINNED`` below, run the script,
read the upstream changelog, run the tests, and commit the files together with
the manifest. The script uses only the standard library and ``npm pack``; it
never runs package scripts.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR_DIR = ROOT / "src" / "zhenxing" / "static" / "vendor"
MANIFEST_NAME = "MANIFEST.json"
# Files in the vendor folder that are ours, not upstream's.
OWN_FILES = frozenset({MANIFEST_NAME, ".gitattributes"})


@dataclass(frozen=True)
class Pin:
    """One upstream package and the files we take from it."""

    name: str  # folder under vendor/
    package: str  # npm package name
    version: str  # exact version; never a range
    file: str  # path of the release file inside the package
    licence: str  # SPDX identifier, checked against the package's package.json
    licence_files: tuple[str, ...]  # paths inside the package, copied next to the file


PINNED: tuple[Pin, ...] = (
    Pin(
        name="htmx",
        package="htmx.org",
        version="2.0.11",
        file="dist/htmx.min.js",
        licence="0BSD",
        licence_files=("LICENSE",),
    ),
    Pin(
        name="echarts",
        package="echarts",
        version="6.1.0",
        file="dist/echarts.min.js",
        licence="Apache-2.0",
        # Apache-2.0 asks that NOTICE travel with the work; LICENSE names the
        # BSD-3-Clause subcomponent whose text is in licenses/LICENSE-d3.
        licence_files=("LICENSE", "NOTICE", "licenses/LICENSE-d3"),
    ),
)


class VendorError(Exception):
    """A fetch that cannot go on (npm failed, a file is missing, a pin does not match)."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_manifest(vendor_dir: Path) -> dict:
    with (vendor_dir / MANIFEST_NAME).open(encoding="utf-8") as fh:
        return json.load(fh)


# --------------------------------------------------------------------------
# check (no network)
# --------------------------------------------------------------------------


def check(vendor_dir: Path = VENDOR_DIR) -> list[str]:
    """Return the problems with the vendored files; an empty list means all is well.

    Checks that the manifest lists exactly the pinned packages and versions,
    that every listed file exists with the recorded sha256, that every package
    has at least one licence file, and that no unlisted file sits in vendor/.
    """
    problems: list[str] = []
    try:
        manifest = load_manifest(vendor_dir)
    except FileNotFoundError:
        return [f"{vendor_dir / MANIFEST_NAME} is missing; run scripts/fetch_vendor.py"]
    except (OSError, ValueError) as exc:
        return [f"{vendor_dir / MANIFEST_NAME} cannot be read: {exc}"]

    entries = manifest.get("packages")
    if not isinstance(entries, list) or not entries:
        return [f"{MANIFEST_NAME} lists no packages"]

    listed: set[str] = set()
    by_name: dict[str, dict] = {}
    for entry in entries:
        name = entry.get("name", "?")
        by_name[name] = entry
        for key in ("name", "version", "package", "file", "sha256", "licence"):
            if not entry.get(key):
                problems.append(f"{name}: the manifest entry has no {key!r}")
        files = [(entry.get("file"), entry.get("sha256"))]
        licence_files = entry.get("licence_files") or []
        if not licence_files:
            problems.append(f"{name}: no licence file is recorded")
        files += [(lf.get("file"), lf.get("sha256")) for lf in licence_files]
        for rel, expected in files:
            if not rel:
                continue
            listed.add(rel)
            path = vendor_dir / rel
            if not _inside(path, vendor_dir):
                problems.append(f"{name}: {rel} points outside the vendor folder")
            elif not path.is_file():
                problems.append(f"{name}: {rel} is missing")
            elif sha256_of(path) != expected:
                problems.append(
                    f"{name}: {rel} does not match its checksum "
                    f"(manifest {expected}, file {sha256_of(path)})"
                )

    for pin in PINNED:
        entry = by_name.get(pin.name)
        if entry is None:
            problems.append(f"{pin.name}: pinned in the script but not in {MANIFEST_NAME}")
        elif (entry.get("package"), entry.get("version")) != (pin.package, pin.version):
            problems.append(
                f"{pin.name}: the script pins {pin.package}@{pin.version} but the manifest "
                f"records {entry.get('package')}@{entry.get('version')}; run the script"
            )
    for name in sorted(set(by_name) - {pin.name for pin in PINNED}):
        problems.append(f"{name}: in {MANIFEST_NAME} but no longer pinned in the script")

    for path in sorted(vendor_dir.rglob("*")):
        rel = path.relative_to(vendor_dir).as_posix()
        if path.is_file() and rel not in listed and rel not in OWN_FILES:
            problems.append(f"{rel} is in the vendor folder but not in {MANIFEST_NAME}")
    return problems


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------
# fetch (npm registry)
# --------------------------------------------------------------------------


def npm_pack(spec: str, workdir: Path) -> tuple[Path, dict]:
    """Download one package tarball with ``npm pack``; return its path and npm's report."""
    npm = shutil.which("npm")
    if npm is None:
        raise VendorError("npm is not on the PATH")
    cmd = [npm, "pack", spec, "--json", "--ignore-scripts", "--pack-destination", str(workdir)]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise VendorError(f"{' '.join(cmd)} failed:\n{proc.stderr.strip()}")
    try:
        (report,) = json.loads(proc.stdout)
    except ValueError as exc:
        raise VendorError(f"cannot read the output of npm pack {spec}: {exc}") from exc
    tarball = workdir / report["filename"]
    if not tarball.is_file():
        raise VendorError(f"npm pack {spec} did not leave {tarball.name}")
    return tarball, report


def sri_sha512(path: Path) -> str:
    """The Subresource-Integrity string npm records for a tarball."""
    digest = hashlib.sha512(path.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode("ascii")


def read_member(tar: tarfile.TarFile, inner: str, spec: str) -> bytes:
    try:
        member = tar.getmember(f"package/{inner}")
    except KeyError:
        raise VendorError(f"{spec} has no file {inner}") from None
    if not member.isfile():
        raise VendorError(f"{spec}: {inner} is not a regular file")
    fh = tar.extractfile(member)
    if fh is None:
        raise VendorError(f"{spec}: {inner} cannot be read")
    return fh.read()


def fetch_one(pin: Pin, workdir: Path, previous: dict | None) -> tuple[dict, dict[str, bytes]]:
    """Fetch one pinned package; return its manifest entry and the files to write."""
    spec = f"{pin.package}@{pin.version}"
    tarball, report = npm_pack(spec, workdir)
    if report.get("name") != pin.package or report.get("version") != pin.version:
        raise VendorError(f"npm pack {spec} returned {report.get('name')}@{report.get('version')}")
    integrity = sri_sha512(tarball)
    if report.get("integrity") and report["integrity"] != integrity:
        raise VendorError(f"{spec}: the tarball does not match npm's integrity")
    if previous and previous.get("version") == pin.version:
        recorded = previous.get("integrity")
        if recorded and recorded != integrity:
            raise VendorError(
                f"{spec}: the registry now serves a different tarball than the one "
                f"recorded in {MANIFEST_NAME} ({recorded}); refusing to continue"
            )

    with tarfile.open(tarball, "r:gz") as tar:
        package_json = json.loads(read_member(tar, "package.json", spec))
        if package_json.get("license") != pin.licence:
            raise VendorError(
                f"{spec} declares licence {package_json.get('license')!r}, "
                f"expected {pin.licence!r}; review before vendoring"
            )
        contents: dict[str, bytes] = {}
        main_rel = f"{pin.name}/{Path(pin.file).name}"
        contents[main_rel] = read_member(tar, pin.file, spec)
        licence_entries = []
        for inner in pin.licence_files:
            rel = f"{pin.name}/{Path(inner).name}"
            if rel in contents:
                raise VendorError(f"{spec}: two files would be written to {rel}")
            contents[rel] = read_member(tar, inner, spec)
            licence_entries.append(
                {"file": rel, "source": inner, "sha256": hashlib.sha256(contents[rel]).hexdigest()}
            )

    entry = {
        "name": pin.name,
        "version": pin.version,
        "package": pin.package,
        "source": f"npm:{spec}",
        "integrity": integrity,
        "file": main_rel,
        "file_source": pin.file,
        "sha256": hashlib.sha256(contents[main_rel]).hexdigest(),
        "size": len(contents[main_rel]),
        "licence": pin.licence,
        "licence_files": licence_entries,
    }
    return entry, contents


def fetch(vendor_dir: Path = VENDOR_DIR) -> dict:
    """Fetch every pinned package and rewrite the vendor folder and its manifest."""
    try:
        previous = {e["name"]: e for e in load_manifest(vendor_dir).get("packages", [])}
    except (OSError, ValueError):
        previous = {}

    entries: list[dict] = []
    files: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="zx-vendor-") as tmp:
        for pin in PINNED:
            print(f"fetching {pin.package}@{pin.version} ...", file=sys.stderr)
            entry, contents = fetch_one(pin, Path(tmp), previous.get(pin.name))
            entries.append(entry)
            files.update(contents)

    # Everything is fetched and verified; only now touch the tree.
    for pin in PINNED:
        folder = vendor_dir / pin.name
        if folder.exists():
            shutil.rmtree(folder)
    for rel, data in files.items():
        path = vendor_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    manifest = {
        "about": (
            "Upstream release files, unmodified, served locally (no CDN). "
            "Written by scripts/fetch_vendor.py; verify with "
            "`python scripts/fetch_vendor.py --check`. Do not edit by hand."
        ),
        "packages": entries,
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    (vendor_dir / MANIFEST_NAME).write_text(text, encoding="utf-8", newline="\n")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="verify the committed files against MANIFEST.json (no network) and exit",
    )
    parser.add_argument(
        "--vendor-dir",
        type=Path,
        default=VENDOR_DIR,
        help=f"the vendor folder (default: {VENDOR_DIR.relative_to(ROOT)})",
    )
    args = parser.parse_args(argv)

    if args.check:
        problems = check(args.vendor_dir)
        for problem in problems:
            print(f"vendor: {problem}", file=sys.stderr)
        if not problems:
            print(f"vendor: all files match {MANIFEST_NAME}")
        return 1 if problems else 0

    try:
        manifest = fetch(args.vendor_dir)
    except VendorError as exc:
        print(f"vendor: {exc}", file=sys.stderr)
        return 2
    for entry in manifest["packages"]:
        print(f"{entry['package']}@{entry['version']}  {entry['file']}  sha256 {entry['sha256']}")
    problems = check(args.vendor_dir)
    for problem in problems:
        print(f"vendor: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
