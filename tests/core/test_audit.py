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
