"""The audit log's hash chain: every entry linked to the one before; tampering found."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

import pytest
from django.db import OperationalError, connections


def _write_some(world: Any, count: int = 3) -> None:
    from zhenxing.enterprises import services

    for i in range(count):
        services.enterprise_update(
            user=world.users["admin"], enterprise=world.own_enterprise, address=f"地址 {i}"
        )


def test_every_entry_links_to_the_one_before_and_verify_passes(world: Any) -> None:
    from zhenxing.core import audit_chain
    from zhenxing.core.models import AuditChainHead, AuditEntry

    _write_some(world)
    entries = list(AuditEntry.objects.order_by("id"))
    assert entries and all(e.entry_hash for e in entries)
    assert entries[0].prev_hash == ""
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.entry_hash
    head = AuditChainHead.objects.get()
    assert (head.entry_id, head.entry_hash) == (entries[-1].pk, entries[-1].entry_hash)
    report = audit_chain.verify(chunk_size=2)
    assert report.ok and report.checked == len(entries)


def test_a_changed_entry_is_named(world: Any) -> None:
    from zhenxing.core import audit_chain
    from zhenxing.core.models import AuditEntry

    _write_some(world)
    victim = AuditEntry.objects.order_by("id")[2]
    AuditEntry.objects.filter(pk=victim.pk).update(actor_name="别人")
    report = audit_chain.verify()
    assert report.broken is not None
    assert report.broken.entry_id == victim.pk and "改动" in report.broken.reason
    assert report.checked == 2


def test_a_deleted_entry_breaks_the_link_of_the_next(world: Any) -> None:
    from zhenxing.core import audit_chain
    from zhenxing.core.models import AuditEntry

    _write_some(world)
    ids = list(AuditEntry.objects.order_by("id").values_list("id", flat=True))
    AuditEntry.objects.filter(pk=ids[3]).delete()
    report = audit_chain.verify()
    assert report.broken is not None and report.broken.entry_id == ids[4]
    assert "删除或插入" in report.broken.reason


def test_cutting_off_the_newest_entries_disagrees_with_the_head(world: Any) -> None:
    from zhenxing.core import audit_chain
    from zhenxing.core.models import AuditEntry

    _write_some(world)
    AuditEntry.objects.order_by("-id")[0].delete()
    report = audit_chain.verify()
    assert report.broken is not None and "链头" in report.broken.reason


def test_entries_written_before_the_chain_are_counted_not_failed(world: Any) -> None:
    from zhenxing.core import audit_chain
    from zhenxing.core.models import AuditChainHead, AuditEntry

    _write_some(world, 1)
    AuditEntry.objects.update(prev_hash="", entry_hash="")  # as after the upgrade
    AuditChainHead.objects.all().delete()
    _write_some(world, 2)
    report = audit_chain.verify()
    assert report.ok, report
    assert report.before_chain > 0 and report.checked > 0


def test_the_command_verifies_and_fails_on_a_broken_chain(world: Any, capsys: Any) -> None:
    from zhenxing.cli import main
    from zhenxing.core.models import AuditEntry

    _write_some(world)
    assert main(["audit", "verify"]) == 0
    assert "哈希链完整" in capsys.readouterr().out
    first = AuditEntry.objects.order_by("id").first()
    assert first is not None
    AuditEntry.objects.filter(pk=first.pk).update(reason="改过")
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"第 {first.pk} 号记录" in out and "被改动" in out


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_do_not_fork_the_chain(world: Any) -> None:
    """Four threads, each on its own connection, write audited changes at once: every
    entry still links to the one before it (no two extend the chain from one entry).

    SQLite's shared in-memory test database reports its lock at once ("database table is
    locked") instead of waiting as a file with busy_timeout does; the writers retry then."""
    from zhenxing.core import audit_chain
    from zhenxing.core.models import AuditEntry
    from zhenxing.enterprises import services
    from zhenxing.enterprises.models import Enterprise

    barrier = threading.Barrier(4)
    errors: list[str] = []

    def write(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            for i in range(5):
                for attempt in range(300):
                    try:
                        enterprise = Enterprise.objects.get(pk=world.own_enterprise.pk)
                        services.enterprise_update(
                            user=world.users["admin"], enterprise=enterprise, address=f"{n}-{i}"
                        )
                        break
                    except OperationalError as exc:
                        if "locked" not in str(exc) or attempt == 299:
                            raise
                        time.sleep(0.01)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    before = AuditEntry.objects.count()
    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert AuditEntry.objects.count() == before + 20
    hashes = list(AuditEntry.objects.values_list("prev_hash", flat=True))
    assert len(set(hashes)) == len(hashes), "two entries extend the chain from the same one"
    assert audit_chain.verify().ok
