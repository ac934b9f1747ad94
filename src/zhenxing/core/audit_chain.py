"""Tamper evidence for the audit log: each entry carries the hash of the one before.

`entry_hash = sha256(prev_hash + "\\n" + the entry's content as canonical JSON)`, the
entries in the order of their ids. Changing an entry breaks its own hash; deleting or
inserting one breaks the link of the next; cutting off the newest ones disagrees with
the chain's head (`AuditChainHead`, one row). `zhenxing audit verify` walks the chain and
names the first broken link.

Two writers must not extend the chain from the same entry (the chain would fork), so
`append` locks the head row for the rest of the writer's transaction: `SELECT … FOR
UPDATE` on PostgreSQL; on SQLite every transaction already begins IMMEDIATE (settings),
holding the database's write lock, so writers are serialised there before they get here.
The cost is one locked read and one update of that row per batch of entries.

The hash covers what a reader is shown, not the actor's key (`actor` is set to NULL when
a user is deleted, which is no tampering): the actor's name at the time is covered.
Someone with write access to the database can still rewrite the whole chain from the
tampered entry onwards; note the head hash (`verify` prints it) somewhere else, e.g.
with each backup, to catch that too.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from zhenxing.core import clock
from zhenxing.core.models import AuditChainHead, AuditEntry

HASHED_FIELDS = (
    "timestamp",
    "actor_name",
    "action",
    "content_type_id",
    "object_id",
    "object_repr",
    "area_id",
    "enterprise_id",
    "department_id",
    "changes",
    "reason",
    "address",
    "admin_only",
)
_VERSION = 1


def _moment(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC)
        return str(value.isoformat())
    return str(value)


def _content_type_label(content_type_id: int | None) -> str | None:
    if content_type_id is None:
        return None
    content_type = ContentType.objects.get_for_id(content_type_id)
    return f"{content_type.app_label}.{content_type.model}"


def content_of(row: Mapping[str, Any]) -> bytes:
    """The entry's content as canonical JSON (row: its field values by attname)."""
    data = {
        "v": _VERSION,
        "timestamp": _moment(row["timestamp"]),
        "actor_name": row["actor_name"] or "",
        "action": row["action"],
        "record_type": _content_type_label(row["content_type_id"]),
        "object_id": row["object_id"] or "",
        "object_repr": row["object_repr"] or "",
        "area": row["area_id"],
        "enterprise": row["enterprise_id"],
        "department": row["department_id"],
        "changes": row["changes"],
        "reason": row["reason"] or "",
        "address": row["address"] or None,
        "admin_only": bool(row["admin_only"]),
    }
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def link_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + content_of(row)).hexdigest()


def _row(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in HASHED_FIELDS}


def _locked_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    return head


def append(entries: Sequence[AuditEntry], *, batch_size: int = 500) -> list[AuditEntry]:
    """Write `entries` at the end of the chain, in their order (the one way audit
    entries are inserted: `core.audit` calls it)."""
    if not entries:
        return []
    # no savepoint inside a caller's transaction: a failed audit write fails the write
    with transaction.atomic(savepoint=False):
        head = _locked_head()
        previous = head.entry_hash
        for entry in entries:
            entry.prev_hash = previous
            entry.entry_hash = previous = link_hash(previous, _row(entry))
        written = AuditEntry.objects.bulk_create(list(entries), batch_size=batch_size)
        head.entry_hash = previous
        head.entry_id = written[-1].pk
        head.save(update_fields=["entry_hash", "entry_id"])
    return written


@dataclass(frozen=True)
class BrokenLink:
    entry_id: int | None
    timestamp: datetime.datetime | None
    reason: str


@dataclass(frozen=True)
class ChainReport:
    checked: int  # entries whose hash was checked
    before_chain: int  # entries written before the chain began (no hash)
    head_hash: str
    broken: BrokenLink | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def _rows(chunk_size: int) -> Iterator[dict[str, Any]]:
    fields = ("id", "prev_hash", "entry_hash", *HASHED_FIELDS)
    yield from AuditEntry.objects.order_by("id").values(*fields).iterator(chunk_size=chunk_size)


def verify(*, chunk_size: int = 5000) -> ChainReport:
    """Walk the whole log in id order and report the first broken link, if any."""
    previous = ""
    checked = before_chain = 0
    last_id: int | None = None
    for row in _rows(chunk_size):
        if not row["entry_hash"]:
            if checked == 0:
                before_chain += 1
                continue
            return _report(checked, before_chain, previous, row, "条目没有哈希（在链开始之后写入）")
        if row["prev_hash"] != previous:
            return _report(
                checked, before_chain, previous, row, "与前一条的链接断开（此前有条目被删除或插入）"
            )
        if link_hash(previous, row) != row["entry_hash"]:
            return _report(checked, before_chain, previous, row, "内容与哈希不符（条目被改动）")
        previous = row["entry_hash"]
        last_id = row["id"]
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    head_hash = head.entry_hash if head is not None else ""
    head_id = head.entry_id if head is not None else None
    if (head_hash, head_id) != (previous, last_id) and (checked or head_hash):
        broken = BrokenLink(last_id, None, "链头与最后一条不符（最新的条目被删除）")
        return ChainReport(checked, before_chain, head_hash, broken)
    return ChainReport(checked, before_chain, previous, None)


def _report(
    checked: int, before_chain: int, previous: str, row: Mapping[str, Any], reason: str
) -> ChainReport:
    broken = BrokenLink(row["id"], row["timestamp"], reason)
    return ChainReport(checked, before_chain, previous, broken)


def describe(report: ChainReport) -> str:
    """The verification's outcome, for the command line."""
    lines = [f"已校验 {report.checked} 条审计记录。"]
    if report.before_chain:
        lines.append(f"另有 {report.before_chain} 条写于哈希链启用之前，未纳入校验。")
    if report.broken is None:
        lines.append(f"哈希链完整。链头：{report.head_hash or '（空）'}")
    else:
        where = f"第 {report.broken.entry_id} 号记录" if report.broken.entry_id else "链头"
        moment = report.broken.timestamp
        when = f"（{clock.local(moment):%Y-%m-%d %H:%M:%S}）" if moment else ""
        lines.append(f"哈希链在{where}{when}处断开：{report.broken.reason}")
    return "\n".join(lines)
