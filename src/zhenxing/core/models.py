"""Areas, departments, users and their roles, API tokens, the audit index, industries."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from zhenxing.core import clock
from zhenxing.core.roles import Role


@dataclass(frozen=True)
class ScopeSpec:
    """How a model relates to the things `core.scoping` decides by.

    Each attribute is an ORM path from the model to the related key (or None):
    `area` to an Area, `enterprise` to an Enterprise, `department` to a Department,
    `project` to a Project. `reference` models are visible to every signed-in user
    and changed only by administrators. `writers` are the roles that may write at all;
    `restricted` narrows them for records holding certain values (a leader's visit is
    recorded by the city and the stewards, not by an area). `released_when` is the state
    a record must be in before the roles with a local scope (area staff, stewards,
    enterprise users) see it: a department's working figures stay the department's
    until approved. `admin_only_when` marks the records only administrators see.
    """

    area: str | None = None
    enterprise: str | None = None
    department: str | None = None
    project: str | None = None
    reference: bool = False
    system: bool = False
    writers: frozenset[str] = frozenset({Role.ADMIN})
    restricted: tuple[ValueWriters, ...] = ()
    released_when: Q | None = None
    # records holding this are seen by administrators only (users' and roles' audit entries)
    admin_only_when: Q | None = None


@dataclass(frozen=True)
class ValueWriters:
    """Only `roles` (of the model's writers) write a record whose `field` is in `values`."""

    field: str
    values: frozenset[str]
    roles: frozenset[str]


class AreaKind(models.TextChoices):
    CITY = "city", _("市")
    DISTRICT = "district", _("市辖区")
    COUNTY_CITY = "county_city", _("县级市")
    COUNTY = "county", _("县")
    PARK = "park", _("园区")


def in_reader_language(chinese: str, english: str) -> str:
    """A reference name as its reader reads it: the English name when the page is in
    English and the record has one, the Chinese name otherwise."""
    if english and (get_language() or "").startswith("en"):
        return english
    return chinese


class Area(models.Model):
    """Any unit the city ranks or scopes by: the city, a county-level area or a park."""

    code = models.CharField(_("代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=128, blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=AreaKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级/所在县区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    valid_from = models.DateField(_("启用日期"), null=True, blank=True)
    valid_to = models.DateField(_("停用日期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=255, blank=True)
    history = HistoricalRecords()

    scope = ScopeSpec(reference=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("区域")
        verbose_name_plural = _("区域")

    def __str__(self) -> str:
        return in_reader_language(self.name, self.name_en)

    @property
    def is_park(self) -> bool:
        return self.kind == AreaKind.PARK

    @property
    def gb2260_code(self) -> str | None:
        """Parks have no GB/T 2260 code of their own; counties and the city do."""
        return None if self.is_park else self.code


class Department(models.Model):
    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    short_name = models.CharField(_("简称"), max_length=32)
    name_en = models.CharField(_("英文名称"), max_length=128, blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    history = HistoricalRecords()

    scope = ScopeSpec(reference=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("部门")
        verbose_name_plural = _("部门")

    def __str__(self) -> str:
        return in_reader_language(self.short_name or self.name, self.name_en)

    @property
    def full_name(self) -> str:
        """The full name in the reader's language (工信局 is 营口市工业和信息化局)."""
        return in_reader_language(self.name, self.name_en)


class IndustryLevel(models.TextChoices):
    SECTION = "section", _("门类")
    DIVISION = "division", _("大类")
    GROUP = "group", _("中类")
    CLASS = "class", _("小类")


class Industry(models.Model):
    """GB/T 4754-2017 国民经济行业分类: a section letter or a 2/3/4-digit code."""

    code = models.CharField(_("代码"), max_length=8, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    level = models.CharField(_("层级"), max_length=16, choices=IndustryLevel.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    edition = models.CharField(_("版本"), max_length=16, default="2017")

    scope = ScopeSpec(reference=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("国民经济行业")
        verbose_name_plural = _("国民经济行业")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class User(AbstractUser):
    # stamped by the platform's clock (the demo's today), not by Django's
    date_joined = models.DateTimeField(_("date joined"), default=clock.now)
    display_name = models.CharField(_("姓名"), max_length=64, blank=True)
    title = models.CharField(_("职务"), max_length=64, blank=True)
    phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    scope = ScopeSpec(system=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username

    # A new password is marked so that saving the user records the change and revokes the
    # user's API tokens (`core.security_events`); Django re-hashing the same password at
    # sign-in (a stronger hasher) is no change.
    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        if not getattr(self, "_rehashing", False):
            self._password_changed = True

    def check_password(self, raw_password: str) -> bool:
        self._rehashing = True
        try:
            return super().check_password(raw_password)
        finally:
            self._rehashing = False


class RoleAssignment(models.Model):
    """One role a user holds, with the department, area or enterprise it is held for."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="role_assignments",
        verbose_name=_("用户"),
    )
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("部门")
    )
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("区域")
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        verbose_name=_("企业"),
    )
    history = HistoricalRecords()

    scope = ScopeSpec(system=True)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        constraints = [
            models.CheckConstraint(
                name="role_department_required",
                condition=~models.Q(role__in=["dept_staff", "dept_head"])
                | models.Q(department__isnull=False),
            ),
            models.CheckConstraint(
                name="role_area_required",
                condition=~models.Q(role="area_staff") | models.Q(area__isnull=False),
            ),
            models.CheckConstraint(
                name="role_enterprise_required",
                condition=~models.Q(role="enterprise") | models.Q(enterprise__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "department", "area", "enterprise"],
                name="role_assignment_unique",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        scope = self.department or self.area or self.enterprise
        label = Role(self.role).label
        return f"{label}（{scope}）" if scope else str(label)


class ApiToken(models.Model):
    """A bearer token for the API. Only a hash is stored; the token is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("名称"), max_length=64, blank=True)
    prefix = models.CharField(_("前缀"), max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), default=clock.now)
    # None: never expires (only tokens made before expiry existed; new ones always carry one)
    expires_at = models.DateTimeField(_("到期时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    scope = ScopeSpec(system=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    TOKEN_PREFIX = "zx_"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def new_key(cls) -> str:
        return cls.TOKEN_PREFIX + secrets.token_urlsafe(32)

    @property
    def active(self) -> bool:
        return self.revoked_at is None and not self.expired

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= clock.now()


class AuditAction(models.TextChoices):
    CREATE = "create", _("新建")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")
    # security events (`core.security_events`): who signed in, out, failed, exported…
    SIGN_IN = "sign_in", _("登录")
    SIGN_IN_FAILED = "sign_in_failed", _("登录失败")
    LOCKED_OUT = "locked_out", _("账号锁定")
    SIGN_OUT = "sign_out", _("退出登录")
    SESSION_EXPIRED = "session_expired", _("会话超时")
    PASSWORD_CHANGED = "password_changed", _("修改密码")
    PASSWORD_RESET = "password_reset", _("重设密码")
    TOKEN_CREATED = "token_created", _("创建令牌")
    TOKEN_REVOKED = "token_revoked", _("吊销令牌")
    EXPORTED = "exported", _("导出个人信息")
    BACKED_UP = "backed_up", _("备份")
    RESTORED = "restored", _("恢复备份")


# Events about accounts and the system, not about a record of the city's work: for
# administrators' eyes only, as are the changes to system records (users, roles, tokens).
SECURITY_ACTIONS = frozenset(AuditAction.values) - {"create", "update", "delete"}


class AuditEntry(models.Model):
    """One change to one record: who, when, which fields from what to what.

    Written for every historical record django-simple-history makes, so that one
    table can be listed, filtered and scoped across all parts of the platform.
    `area` and `enterprise` copy the record's scope so area staff see only theirs.
    """

    timestamp = models.DateTimeField(_("时间"), default=clock.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("操作人"),
        related_name="+",
    )
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=16, choices=AuditAction.choices)
    # None: an event about no one record (a backup, a failed sign-in of an unknown name)
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("记录类型")
    )
    object_id = models.CharField(_("记录编号"), max_length=64)
    object_repr = models.CharField(_("记录"), max_length=255)
    # Scope copies. No database constraint: the log outlives the records it speaks of.
    area = models.ForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("区域"),
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("企业"),
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("部门"),
    )
    changes = models.JSONField(_("变更"), default=list)
    reason = models.CharField(_("原因"), max_length=255, blank=True)
    # the client's address when the change came through a request (`core.client_address`)
    address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    # users, roles, tokens and security events: administrators only (`admin_only_when`)
    admin_only = models.BooleanField(_("仅管理员可见"), default=False)
    # Tamper evidence (`core.audit_chain`): each entry's hash covers its content and the
    # previous entry's hash. Entries written before the chain began have neither.
    prev_hash = models.CharField(_("前一条哈希"), max_length=64, blank=True)
    entry_hash = models.CharField(_("哈希"), max_length=64, blank=True)

    scope = ScopeSpec(
        area="area",
        enterprise="enterprise",
        department="department",
        admin_only_when=Q(admin_only=True),
    )

    class Meta:
        ordering = ["-timestamp", "-id"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        indexes = [
            models.Index(fields=["-timestamp", "-id"], name="audit_time"),
            models.Index(fields=["area", "-timestamp", "-id"], name="audit_area_time"),
            models.Index(fields=["content_type", "object_id"], name="audit_object"),
        ]

    def __str__(self) -> str:
        return f"{self.timestamp:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"

    # Which page shows a record of each audited model (model label → URL name taking the
    # pk), filled by the parts through `core.audit.register_record_url`. Kept here so that
    # the model needs nothing from `core.audit` (which imports the model).
    record_url_names: ClassVar[dict[str, str]] = {}

    def get_absolute_url(self) -> str | None:
        """The page of the record this entry speaks of, where it has one (not for a
        deleted record)."""
        if self.content_type_id is None:
            return None
        content_type = ContentType.objects.get_for_id(self.content_type_id)
        url_name = self.record_url_names.get(f"{content_type.app_label}.{content_type.model}")
        if url_name is None or self.action == AuditAction.DELETE:
            return None
        try:
            return reverse(url_name, args=[self.object_id])
        except NoReverseMatch:
            return None


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已导入")
    REFUSED = "refused", _("有错误，未导入")
    FAILED = "failed", _("导入失败")


class ImportJob(models.Model):
    """A large upload imported by the background worker (`core.import_jobs`): the file
    waits in `settings.IMPORT_DIR` under `stored_name` and is deleted once imported. Its
    page (for the user who uploaded it) shows the progress, then the outcome or the same
    row errors a small file shows at once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs"
    )
    kind = models.CharField(_("导入类型"), max_length=64)
    file_name = models.CharField(_("文件名"), max_length=255)
    stored_name = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("文件大小"), default=0)
    rows_estimate = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    progress_note = models.CharField(max_length=200, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    summary = models.CharField(_("结果"), max_length=500, blank=True)
    # [[row, column, value, reason], …] as the error report shows them (the first ones).
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("上传时间"), default=clock.now)
    started_at = models.DateTimeField(null=True, blank=True)
    # beaten while the worker imports (`import_jobs.fail_stale_jobs` fails a job whose
    # worker died: it would otherwise say "running" for ever)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # Read by its own user only (`import_jobs.job_for`); written by the worker.
    scope = ScopeSpec(system=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("后台导入")
        verbose_name_plural = _("后台导入")

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING)


class AuditChainHead(models.Model):
    """The newest link of the audit chain, in one row: writers lock it (`select_for_update`
    on PostgreSQL; SQLite's write lock does the same) so that two never extend the chain
    from the same entry. See `core.audit_chain`."""

    entry_id = models.BigIntegerField(null=True, blank=True)
    entry_hash = models.CharField(max_length=64, blank=True)

    scope = ScopeSpec(system=True)

    class Meta:
        verbose_name = _("审计链")
        verbose_name_plural = _("审计链")

    def __str__(self) -> str:
        return f"{self.entry_id}: {self.entry_hash[:12]}"


class WorkerHeartbeat(models.Model):
    """The background worker says it is alive (`core.heartbeat`): one row per worker
    process, its `beat_at` moved on every few seconds while it runs. `/readyz` and
    `zhenxing check` read it. Machine time, not the demo's day (`clock.machine_now`)."""

    worker_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    scope = ScopeSpec(system=True)

    class Meta:
        verbose_name = _("后台任务进程心跳")
        verbose_name_plural = _("后台任务进程心跳")

    def __str__(self) -> str:
        return f"{self.host}:{self.pid} {self.beat_at:%Y-%m-%d %H:%M:%S}"
