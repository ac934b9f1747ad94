"""Every create, update and delete is audited with fields before → after."""

from __future__ import annotations

from typing import Any


def test_update_records_who_when_and_each_field_before_and_after(world: Any, client: Any) -> None:
    from zhenxing.core import audit
    from zhenxing.enterprises import services

    area_user = world.users["area"]
    services.enterprise_update(
        user=area_user,
        enterprise=world.own_enterprise,
        address="鲅鱼圈区海星路 8 号",
        contact_name="周",
    )
    entry = audit.entries_for(world.own_enterprise).first()
    assert entry is not None
    assert entry.action == "update"
    assert entry.actor == area_user
    assert entry.area_id == world.own_area.pk
    changed = {c["field"]: (c["old"], c["new"]) for c in entry.changes}
    assert changed == {"address": ("", "鲅鱼圈区海星路 8 号"), "contact_name": ("", "周")}
    client.force_login(area_user)
    page = client.get(f"/enterprises/{world.own_enterprise.pk}/?tab=history").content.decode()
    assert "鲅鱼圈区海星路 8 号" in page and "area" in page


def test_create_and_delete_are_audited(world: Any) -> None:
    from zhenxing.core import audit
    from zhenxing.core.services import delete_audited
    from zhenxing.enterprises import services

    admin = world.users["admin"]
    enterprise = services.enterprise_create(
        user=admin, uscc="91350100M000100Y43", name="待删除企业", area=world.other_area
    )
    pk = enterprise.pk
    delete_audited(enterprise, user=admin, reason="重复登记")
    from django.contrib.contenttypes.models import ContentType

    from zhenxing.core.models import AuditEntry
    from zhenxing.enterprises.models import Enterprise

    entries = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Enterprise), object_id=str(pk)
    ).order_by("timestamp", "id")
    assert [e.action for e in entries] == ["create", "delete"]
    assert entries[1].reason == "重复登记"
    assert {c["field"]: c["old"] for c in entries[1].changes}["name"] == "待删除企业"
    assert audit is not None


def test_saving_an_unchanged_record_writes_no_audit_entry(world: Any) -> None:
    from zhenxing.core import audit
    from zhenxing.enterprises import services

    before = audit.entries_for(world.own_enterprise).count()
    services.enterprise_update(
        user=world.users["admin"], enterprise=world.own_enterprise, name=world.own_enterprise.name
    )
    assert audit.entries_for(world.own_enterprise).count() == before


def test_reloading_reference_data_leaves_the_audit_trail_alone(ref: Any) -> None:
    from zhenxing.core.models import AuditEntry
    from zhenxing.core.reference import load_reference

    before = AuditEntry.objects.count()
    load_reference()
    assert AuditEntry.objects.count() == before


def test_changes_beyond_the_records_fields_join_its_audit_entry(world: Any) -> None:
    """`save_audited(changes=...)`: what changed besides the record's own fields (a list's
    entries, say) is listed in the same entry, even when no field changed; and only in
    that save's entry."""
    from zhenxing.core import audit
    from zhenxing.core.services import save_audited

    enterprise = world.own_enterprise
    before = audit.entries_for(enterprise).count()
    line = {"field": "entries", "label": "名单条目", "old": "3 条", "new": "4 条"}
    save_audited(enterprise, user=world.users["admin"], reason="名单替换", changes=[line])
    assert audit.entries_for(enterprise).count() == before + 1
    entry = audit.entries_for(enterprise).order_by("-id").first()
    assert entry is not None
    assert entry.action == "update" and entry.reason == "名单替换"
    assert entry.changes == [line]
    enterprise.contact_name = "周"
    save_audited(enterprise, user=world.users["admin"])
    latest = audit.entries_for(enterprise).order_by("-id").first()
    assert latest is not None
    assert [c["field"] for c in latest.changes] == ["contact_name"]


def test_record_many_writes_the_entries_of_a_bulk_write_with_names_and_kinds(
    world: Any, django_assert_max_num_queries: Any
) -> None:
    """Writers that bypass save() (bulk_create / bulk_update) write their entries through
    `audit.record_many`: the same format as every other entry, the related records named
    with one query per related model, an unchanged record left out."""
    from zhenxing.core import audit
    from zhenxing.core.models import AuditAction
    from zhenxing.enterprises.models import Enterprise

    Enterprise.objects.bulk_create(
        [
            Enterprise(uscc="91210804MA0Q000019", name="批量甲", area=world.own_area),
            Enterprise(uscc="91210804MA0Q000027", name="批量乙", area=world.other_area),
        ]
    )
    made = list(Enterprise.objects.filter(name__startswith="批量").order_by("uscc"))
    # the areas' names, the audit chain's head locked, the INSERT, the head moved on
    with django_assert_max_num_queries(4):
        entries = audit.record_many(made, user=world.users["admin"], action=AuditAction.CREATE)
    assert [e.area_id for e in entries] == [world.own_area.pk, world.other_area.pk]
    first = {c["field"]: c for c in entries[0].changes}
    assert (first["name"]["old"], first["name"]["new"]) == (None, "批量甲")
    assert first["area"] == {
        "field": "area",
        "label": "所在区域",
        "old": None,
        "new": world.own_area.name,
        "kind": "ref",
    }
    assert "address" not in first  # blank on a new record: nothing to list

    before = {e.pk: audit.snapshot(e) for e in made}
    made[0].name = "批量甲（更名）"
    Enterprise.objects.bulk_update(made, ["name"])
    updated = audit.record_many(
        made, user=world.users["admin"], action=AuditAction.UPDATE, before=before, reason="更名"
    )
    assert len(updated) == 1  # the unchanged one writes nothing
    assert updated[0].changes == [
        {
            "field": "name",
            "label": "企业名称",
            "old": "批量甲",
            "new": "批量甲（更名）",
            "kind": "text",
        }
    ]
    assert updated[0].reason == "更名" and updated[0].actor == world.users["admin"]


def test_record_with_a_reason_and_no_change_is_a_note(world: Any) -> None:
    from zhenxing.core import audit
    from zhenxing.core.models import AuditAction

    note = audit.record(
        world.own_enterprise, user=audit.SYSTEM, action=AuditAction.UPDATE, reason="复核"
    )
    assert note is not None and note.changes == [] and note.actor_name == "系统"
    silent = audit.record(world.own_enterprise, user=audit.SYSTEM, action=AuditAction.UPDATE)
    assert silent is None


def test_save_audited_checks_scope_as_delete_audited_does(world: Any) -> None:
    import pytest

    from zhenxing.core import audit, scoping
    from zhenxing.core.services import save_audited
    from zhenxing.enterprises.models import Enterprise

    area_user = world.users["area"]
    other = world.other_enterprise
    other.address = "越权地址"
    with pytest.raises(scoping.PermissionDenied):
        save_audited(other, user=area_user)
    other.refresh_from_db()
    assert other.address == ""
    new_elsewhere = Enterprise(uscc="91210881MA0Q000035", name="越权新建", area=world.other_area)
    with pytest.raises(scoping.PermissionDenied):
        save_audited(new_elsewhere, user=area_user)
    assert not Enterprise.objects.filter(name="越权新建").exists()
    own = world.own_enterprise
    own.address = "本区地址"
    save_audited(own, user=area_user)  # its own area: allowed
    with pytest.raises(TypeError):
        save_audited(own, user=None)  # nobody named: refused, not a silent bypass
    own.address = "系统地址"
    save_audited(own, user=audit.SYSTEM, reason="数据迁移")
    latest = audit.entries_for(own).first()
    assert latest is not None and latest.actor is None and latest.actor_name == "系统"


def test_old_entries_still_display_in_the_readers_language(world: Any) -> None:
    """Entries written before values were stored raw hold Chinese labels and UTC moments
    as text: they are shown through the model's field, or their label's translation."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import translation

    from zhenxing.core.audit_display import readable_changes
    from zhenxing.core.models import AuditEntry
    from zhenxing.enterprises.models import Enterprise

    entry = AuditEntry.objects.create(
        action="update",
        content_type=ContentType.objects.get_for_model(Enterprise),
        object_id=str(world.own_enterprise.pk),
        object_repr="x",
        changes=[
            {"field": "name", "label": "企业名称", "old": "甲", "new": "乙"},
            {"field": "entries", "label": "名单条目", "old": "3 条", "new": "4 条"},
            {"field": "seen", "label": "时间", "old": None, "new": "2024-06-30T02:00:00+00:00"},
        ],
    )
    assert readable_changes(entry) == [
        {"field": "name", "label": "企业名称", "old": "甲", "new": "乙"},
        {"field": "entries", "label": "名单条目", "old": "3 条", "new": "4 条"},
        {"field": "seen", "label": "时间", "old": None, "new": "2024-06-30 10:00"},
    ]
    with translation.override("en"):
        labels = [c["label"] for c in readable_changes(entry)]
    assert labels == ["Enterprise name", "List entry", "Time"]


def test_the_audit_list_and_the_api_show_the_same_readable_values(world: Any, client: Any) -> None:
    from zhenxing.core import audit
    from zhenxing.core.audit_display import changes_text, readable_changes
    from zhenxing.enterprises import services

    services.enterprise_update(
        user=world.users["admin"], enterprise=world.own_enterprise, address="海星路 8 号"
    )
    entry = audit.entries_for(world.own_enterprise).first()
    assert entry is not None
    client.force_login(world.users["admin"])
    item = next(i for i in client.get("/api/v1/audit").json()["items"] if i["id"] == entry.pk)
    assert item["changes"] == readable_changes(entry)
    assert item["changes"] == [
        {"field": "address", "label": "地址", "old": "", "new": "海星路 8 号"}
    ]
    assert item["timestamp"].endswith("+08:00")
    page = client.get("/system/audit/").content.decode()
    assert changes_text(entry) == "地址：- → 海星路 8 号" and "地址：- → 海星路 8 号" in page
