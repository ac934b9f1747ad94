"""Policies paid without application (惠企政策 · 免申即享): the catalogue, runs (测算) and
their results, the payout ledger (兑付台账), objections (异议) and department lists (名单).

A policy names one rule of a rule catalogue (`policies.catalogues`). A run evaluates that
rule for one period over the whole registry in one vectorised pass and stores one result
row per beneficiary; the head of the issuing department approves the run, which turns it
into a payout batch: one `LedgerEntry` of kind payment per paid beneficiary.

The ledger is append-only (see `LedgerEntry`): rows are never updated or deleted; a
correction is a reversal of the entry plus one linked adjustment; a partial unique index
refuses a second payment for the same policy, beneficiary and period.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Round
from django.db.models.lookups import Exact
from django.utils.translation import get_language, gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from zhenxing.core import clock
from zhenxing.core.models import Area, Department, ScopeSpec
from zhenxing.core.roles import Role
from zhenxing.core.stored_text import StoredTexts
from zhenxing.policies import catalogues

MONEY: dict[str, Any] = {"max_digits": 18, "decimal_places": 2}
DEPARTMENT_WRITERS = frozenset({Role.ADMIN, Role.DEPT_STAFF, Role.DEPT_HEAD})


class Beneficiary(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    PROJECT = "project", _("项目")


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    RETIRED = "retired", _("已废止")


class Stacking(models.TextChoices):
    BOTH = "both", _("可与其他政策叠加享受")
    HIGHER = "higher", _("与同组政策不叠加，从高享受一次")


class Allocation(models.TextChoices):
    PRO_RATA = "pro_rata", _("按应兑付金额同比例分配")
    SMALL_FIRST = "small_first", _("按应兑付金额从小到大依次足额兑付，额满为止")
    LARGE_FIRST = "large_first", _("按应兑付金额从大到小依次足额兑付，额满为止")


class Policy(models.Model):
    """One policy of the catalogue: a rule of a rule catalogue, and how it is paid."""

    #: its name reads in English from its rule's `title_en` (the audit log names it so)
    named_in_reader_language = True
    code = models.SlugField(_("政策编码"), max_length=64, unique=True)
    name = models.CharField(_("政策名称"), max_length=200)
    catalogue = models.CharField(_("规则目录"), max_length=32, default="yingkou")
    rule_file = models.CharField(_("规则文件"), max_length=255, help_text=_("相对于规则目录的路径"))
    rule_id = models.CharField(_("规则标识"), max_length=64)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, verbose_name=_("发文部门"), related_name="+"
    )
    beneficiary = models.CharField(
        _("兑付对象"), max_length=16, choices=Beneficiary.choices, default=Beneficiary.ENTERPRISE
    )
    annual_budget = models.DecimalField(_("年度预算（元）"), **MONEY)
    city_share_pct = models.DecimalField(
        _("市级承担比例（%）"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(50),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    stacking = models.CharField(
        _("叠加规则"), max_length=16, choices=Stacking.choices, default=Stacking.BOTH
    )
    stacking_group = models.SlugField(
        _("不叠加分组"),
        max_length=64,
        blank=True,
        help_text=_("同组且“从高享受一次”的政策，同一对象同一期间只按最高额兑付一次"),
    )
    allocation = models.CharField(
        _("预算不足时的分配规则"),
        max_length=16,
        choices=Allocation.choices,
        default=Allocation.PRO_RATA,
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=PolicyStatus.choices, default=PolicyStatus.DRAFT
    )
    time_limit = models.CharField(_("兑付时限"), max_length=255, blank=True)
    contact = models.CharField(_("咨询联系"), max_length=255, blank=True)
    note = models.TextField(_("备注"), blank=True)
    published_on = models.DateField(_("发布日期"), null=True, blank=True)
    retired_on = models.DateField(_("废止日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=clock.now)
    history = HistoricalRecords()

    scope = ScopeSpec(department="department", writers=DEPARTMENT_WRITERS)

    class Meta:
        ordering = ["department__sort_order", "code"]
        verbose_name = _("政策")
        verbose_name_plural = _("政策")
        constraints = [
            models.CheckConstraint(
                condition=Q(annual_budget__gte=0), name="policy_budget_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(city_share_pct__gte=0, city_share_pct__lte=100),
                name="policy_city_share_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("policies:detail", args=[self.pk])

    @property
    def title(self) -> str:
        """The policy's name as its reader reads it: in English, its rule's `title_en`."""
        if (get_language() or "").startswith("en"):
            return catalogues.english_title(self.catalogue, self.rule_id) or self.name
        return self.name

    @property
    def county_share_pct(self) -> Decimal:
        return Decimal(100) - self.city_share_pct

    @property
    def is_example(self) -> bool:
        return "示例" in self.name


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("测算中")
    COMPUTED = "computed", _("待审批")
    APPROVED = "approved", _("已审批")
    FAILED = "failed", _("测算失败")


OPEN_RUN_STATUSES = [RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.COMPUTED, RunStatus.FAILED]


#: The progress notes `services` stores as a run advances (Chinese, as written);
#: `PolicyRun.progress_text` shows them in the reader's language.
RUN_PROGRESS_NOTES = StoredTexts(
    (
        pgettext_lazy("run progress", "排队等待测算"),
        pgettext_lazy("run progress", "读取规则"),
        pgettext_lazy("run progress", "读取事实数据"),
        pgettext_lazy("run progress", "规则测算"),
        pgettext_lazy("run progress", "预算分配与叠加核对"),
        pgettext_lazy("run progress", "写入测算结果"),
        pgettext_lazy("run progress", "测算失败"),
        pgettext_lazy("run progress", "测算完成，待审批"),
    ),
)
#: The payout notes `services` stores on a result (why it is paid less than its amount);
#: `RunResult.note_text` shows them in the reader's language. The budget rule is the
#: label of an `Allocation`, translated too.
RESULT_NOTES = StoredTexts(
    (
        pgettext_lazy("result note", "审核排除"),
        pgettext_lazy("result note", "预算不足：%(rule)s"),
        pgettext_lazy("result note", "与同组政策不叠加，从高享受：补足差额"),
        pgettext_lazy("result note", "与同组政策不叠加，已按更高标准享受"),
    ),
    translated=("rule",),
)


#: A batch or a result as the audit trail stored its name when it was linked (a related
#: record is stored by name): the year's "年" reads in the reader's language.
RUN_NAMES = StoredTexts(
    (
        pgettext_lazy("run name", "%(policy)s · %(year)s年 · %(beneficiary)s"),
        pgettext_lazy("run name", "%(policy)s · %(year)s年"),
    )
)


class PolicyRun(models.Model):
    """测算: one policy evaluated for one period over the whole registry; once approved,
    a payout batch (批次)."""

    #: named after its policy and period, both in the reader's language (audit log)
    named_in_reader_language = True
    #: the progress note is the platform's text: translated in the audit trail
    stored_texts = {"progress_note": RUN_PROGRESS_NOTES}

    policy = models.ForeignKey(
        Policy, on_delete=models.PROTECT, related_name="runs", verbose_name=_("政策")
    )
    period = models.CharField(_("期间"), max_length=7)
    status = models.CharField(
        _("状态"), max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    progress_note = models.CharField(_("进度说明"), max_length=255, blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("测算人"),
    )
    # Everyone who started or re-ran this run: none of them may approve it.
    preparer_ids = models.JSONField(_("测算人员"), default=list, blank=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    # Beaten by the worker while the run executes: a running run whose heartbeat is older
    # than settings.RUN_STALE_SECONDS lost its worker (`services.fail_stale_runs`).
    heartbeat_at = models.DateTimeField(_("心跳时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    rule_version = models.CharField(_("规则版本"), max_length=64, blank=True)
    rule_digest = models.CharField(_("规则文件摘要"), max_length=64, blank=True)
    condition_names = models.JSONField(_("条件"), default=list, blank=True)
    condition_labels = models.JSONField(_("条件名称"), default=list, blank=True)
    population = models.PositiveIntegerField(_("测算对象数"), default=0)
    eligible_count = models.PositiveIntegerField(_("符合条件数"), default=0)
    eligible_total = models.DecimalField(_("应兑付合计（元）"), default=Decimal(0), **MONEY)
    excluded_count = models.PositiveIntegerField(_("排除数"), default=0)
    payable_count = models.PositiveIntegerField(_("拟兑付数"), default=0)
    payable_total = models.DecimalField(_("拟兑付合计（元）"), default=Decimal(0), **MONEY)
    budget_available = models.DecimalField(_("可用预算（元）"), null=True, blank=True, **MONEY)
    allocation_note = models.TextField(_("分配说明"), blank=True)
    seconds = models.DecimalField(
        _("用时（秒）"), max_digits=9, decimal_places=3, null=True, blank=True
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("审批人"),
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    booked_on = models.DateField(_("兑付日期"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)
    history = HistoricalRecords(excluded_fields=["progress", "progress_note", "heartbeat_at"])

    scope = ScopeSpec(department="policy__department", writers=DEPARTMENT_WRITERS)

    class Meta:
        ordering = ["-period", "-id"]
        verbose_name = _("测算批次")
        verbose_name_plural = _("测算批次")
        constraints = [
            # At most one run of a policy and period is open (not yet approved):
            # running it again recomputes that run instead of starting another.
            models.UniqueConstraint(
                fields=["policy", "period"],
                condition=Q(status__in=["queued", "running", "computed", "failed"]),
                name="policy_run_one_open_per_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy.title} · " + gettext("%(year)s年") % {"year": self.period}

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("policies:run", args=[self.pk])

    @property
    def is_approved(self) -> bool:
        return self.status == RunStatus.APPROVED

    @property
    def progress_text(self) -> str:
        """The stored progress note in the reader's language."""
        return RUN_PROGRESS_NOTES.show(self.progress_note)


class RunResult(models.Model):
    """One beneficiary's result in a run: stored for the whole registry in bulk.

    `conditions` is the engine's bit mask (bit i: the run's i-th condition held), `status`
    0 ok, 1 missing fact → not eligible, 2 missing fact → to be reported; `facts` is the
    JSON of the facts the rule read (lagged ones as `fact@year-1`), so the explanation
    shown later is the one of the run, whatever the registry says today.
    """

    #: named after its policy (and kind, period) in the reader's language (audit log)
    named_in_reader_language = True
    stored_texts = {"note": RESULT_NOTES}

    run = models.ForeignKey(
        PolicyRun, on_delete=models.CASCADE, related_name="results", db_index=False
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
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name=_("项目"),
    )
    area = models.ForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name=_("所在区域"),
    )
    eligible = models.BooleanField(_("符合条件"))
    status = models.PositiveSmallIntegerField(_("判定状态"), default=0)
    conditions = models.BigIntegerField(_("条件记录"), default=0)
    amount = models.DecimalField(_("应兑付金额（元）"), **MONEY)
    payable = models.DecimalField(_("拟兑付金额（元）"), default=Decimal(0), **MONEY)
    facts = models.TextField(_("事实"), blank=True)
    # Defaults in the database too: the bulk insert of a run leaves these columns out.
    excluded = models.BooleanField(_("已排除"), default=False, db_default=False)
    exclusion_reason = models.CharField(
        _("排除原因"), max_length=255, blank=True, default="", db_default=""
    )
    excluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
        related_name="+",
    )
    note = models.CharField(_("说明"), max_length=255, blank=True)

    scope = ScopeSpec(
        area="area",
        enterprise="enterprise",
        department="run__policy__department",
        writers=DEPARTMENT_WRITERS,
        # A batch is the department's working figures until its head approves it.
        released_when=Q(run__status=RunStatus.APPROVED),
    )

    class Meta:
        verbose_name = _("测算结果")
        verbose_name_plural = _("测算结果")
        indexes = [
            models.Index(fields=["run", "eligible"], name="run_result_run_eligible"),
            models.Index(fields=["enterprise", "run"], name="run_result_enterprise"),
        ]

    def __str__(self) -> str:
        who = self.project or self.enterprise
        return f"{self.run} · {who}"

    @property
    def beneficiary_id(self) -> int | None:
        return self.project_id if self.project_id is not None else self.enterprise_id

    @property
    def note_text(self) -> str:
        """The stored payout note in the reader's language."""
        return RESULT_NOTES.show(self.note)

    def facts_dict(self) -> dict[str, Any]:
        return json.loads(self.facts) if self.facts else {}

    def condition_marks(self) -> list[tuple[str, bool]]:
        """(label, held) for each of the run's conditions."""
        labels = list(self.run.condition_labels or self.run.condition_names)
        if (get_language() or "").startswith("en"):
            policy = self.run.policy
            english = catalogues.english_condition_labels(
                policy.catalogue, policy.rule_id, self.run.period
            )
            names = self.run.condition_names or []
            labels = [english.get(n, label) for n, label in zip(names, labels, strict=False)]
        return [(label, bool(self.conditions >> i & 1)) for i, label in enumerate(labels)]


class EntryKind(models.TextChoices):
    PAYMENT = "payment", _("兑付")
    REVERSAL = "reversal", _("冲正")
    ADJUSTMENT = "adjustment", _("调整")


class LedgerQuerySet(models.QuerySet["LedgerEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise LedgerIsAppendOnly("兑付台账只能追加，不能修改")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise LedgerIsAppendOnly("兑付台账只能追加，不能删除")


class LedgerIsAppendOnly(Exception):
    pass


#: The reasons `services.ledger_correct` stores on a reversal and its adjustment: the
#: platform's word, then what the person typed; `LedgerEntry.reason_text` shows them.
LEDGER_REASONS = StoredTexts(
    (
        pgettext_lazy("ledger reason", "冲正：%(reason)s"),
        pgettext_lazy("ledger reason", "调整：%(reason)s"),
    )
)


class LedgerEntry(models.Model):
    """兑付台账: one payment, reversal (冲正) or adjustment (调整). Append-only.

    Guarantees (each enforced where it cannot be bypassed by the layer above):
    - no update, no delete: `save()` refuses an existing row, `delete()` and the queryset's
      `update()`/`delete()` raise; the database refuses UPDATE and DELETE with triggers on
      SQLite and PostgreSQL alike (migrations 0002 and 0007; a test flush and a restore
      empty the table through `core.db.wiping`);
    - one payment per policy, beneficiary and period: a partial unique index on
      kind = 'payment' (`ledger_one_payment_per_beneficiary_period`);
    - a payment comes from an approved run (`run` and `result` are required for payments,
      and only `services.run_approve` writes them — there is no form or API to add one);
    - a correction is a reversal of one entry (at most once: `reverses` is one-to-one) plus
      one adjustment linked to that reversal (`corrects` is one-to-one);
    - signs: payment > 0, reversal ≤ 0 (the reversal of a zero adjustment is 0), adjustment
      ≥ 0; city + county = amount.
    """

    #: named after its policy (and kind, period) in the reader's language (audit log)
    named_in_reader_language = True
    stored_texts = {"reason": LEDGER_REASONS, "run": RUN_NAMES, "result": RUN_NAMES}

    kind = models.CharField(_("类型"), max_length=16, choices=EntryKind.choices)
    policy = models.ForeignKey(
        Policy, on_delete=models.PROTECT, related_name="ledger", verbose_name=_("政策")
    )
    run = models.ForeignKey(
        PolicyRun, on_delete=models.PROTECT, related_name="ledger", verbose_name=_("批次")
    )
    # No database constraint: results of an approved run never change (a re-run refuses an
    # approved run), and a re-run of an open run deletes its results in bulk without paying
    # a referential check per row.
    result = models.ForeignKey(
        RunResult,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,
        verbose_name=_("测算结果"),
    )
    beneficiary_kind = models.CharField(
        _("兑付对象类型"), max_length=16, choices=Beneficiary.choices
    )
    beneficiary_id = models.BigIntegerField(_("兑付对象编号"))
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("企业"),
    )
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("项目"),
    )
    area = models.ForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("所在区域"),
    )
    period = models.CharField(_("期间"), max_length=7)
    amount = models.DecimalField(_("金额（元）"), **MONEY)
    city_amount = models.DecimalField(_("市级承担（元）"), **MONEY)
    county_amount = models.DecimalField(_("县区承担（元）"), **MONEY)
    city_share_pct = models.DecimalField(_("市级承担比例（%）"), max_digits=5, decimal_places=2)
    booked_on = models.DateField(_("记账日期"))
    created_at = models.DateTimeField(_("登记时间"), default=clock.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("登记人"),
    )
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        verbose_name=_("冲正的记录"),
    )
    corrects = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="adjustment",
        verbose_name=_("对应的冲正记录"),
    )
    reason = models.CharField(_("说明"), max_length=255, blank=True)

    objects = LedgerQuerySet.as_manager()

    scope = ScopeSpec(
        area="area",
        enterprise="enterprise",
        department="policy__department",
        writers=frozenset(),  # nobody writes a ledger row by hand
    )

    class Meta:
        ordering = ["-booked_on", "-id"]
        verbose_name = _("兑付台账")
        verbose_name_plural = _("兑付台账")
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "beneficiary_kind", "beneficiary_id", "period"],
                condition=Q(kind="payment"),
                name="ledger_one_payment_per_beneficiary_period",
            ),
            models.CheckConstraint(
                condition=~Q(kind="payment") | Q(amount__gt=0, result__isnull=False),
                name="ledger_payment_positive_from_result",
            ),
            # ≤ 0, not < 0: an adjustment that brought an entry to zero can itself be
            # corrected, and its reversal is then of 0.00
            models.CheckConstraint(
                condition=~Q(kind="reversal") | Q(amount__lte=0, reverses__isnull=False),
                name="ledger_reversal_not_positive_linked",
            ),
            models.CheckConstraint(
                condition=~Q(kind="adjustment") | Q(amount__gte=0, corrects__isnull=False),
                name="ledger_adjustment_linked",
            ),
            # in fen, so that SQLite (which keeps decimals as floats) compares exactly
            models.CheckConstraint(
                condition=Exact(
                    Round(models.F("city_amount") * 100) + Round(models.F("county_amount") * 100),
                    Round(models.F("amount") * 100),
                ),
                name="ledger_split_adds_up",
            ),
        ]
        indexes = [
            models.Index(fields=["booked_on"], name="ledger_booked_on"),
            models.Index(
                fields=["beneficiary_kind", "beneficiary_id", "period"], name="ledger_beneficiary"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {gettext('元')} · {self.policy}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise LedgerIsAppendOnly("兑付台账只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise LedgerIsAppendOnly("兑付台账只能追加，不能删除")

    @property
    def reason_text(self) -> str:
        """The stored reason in the reader's language (what was typed stays as typed)."""
        return LEDGER_REASONS.show(self.reason)

    @property
    def beneficiary_name(self) -> str:
        if self.project_id is not None and self.project is not None:
            return self.project.name
        return self.enterprise.name if self.enterprise is not None else "-"


class ObjectionStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    ANSWERED = "answered", _("已答复")
    CLOSED = "closed", _("已办结")


class Objection(models.Model):
    """异议: an enterprise disputes its result or payment under a policy; a case for the
    issuing department (list, respond, close)."""

    #: named after its policy (and kind, period) in the reader's language (audit log)
    named_in_reader_language = True
    stored_texts = {"run": RUN_NAMES, "result": RUN_NAMES}

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("企业"),
    )
    policy = models.ForeignKey(
        Policy, on_delete=models.PROTECT, related_name="objections", verbose_name=_("政策")
    )
    run = models.ForeignKey(
        PolicyRun,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="objections",
        verbose_name=_("批次"),
    )
    result = models.ForeignKey(
        RunResult,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("测算结果"),
    )
    period = models.CharField(_("期间"), max_length=7, blank=True)
    reason = models.TextField(_("异议理由"))
    status = models.CharField(
        _("状态"), max_length=16, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("提出人"),
    )
    created_at = models.DateTimeField(_("提出时间"), default=clock.now)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    history = HistoricalRecords()

    scope = ScopeSpec(
        enterprise="enterprise",
        department="policy__department",
        writers=frozenset({Role.ADMIN, Role.ENTERPRISE, Role.DEPT_STAFF, Role.DEPT_HEAD}),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        constraints = [
            # one case at a time on a result: a further objection waits until it is closed
            models.UniqueConstraint(
                fields=["result"],
                condition=Q(result__isnull=False) & ~Q(status="closed"),
                name="objection_one_open_per_result",
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.policy}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("policies:objection", args=[self.pk])


class ObjectionReply(models.Model):
    """The department's answer to an objection (and the closing note)."""

    objection = models.ForeignKey(
        Objection, on_delete=models.CASCADE, related_name="replies", verbose_name=_("异议")
    )
    text = models.TextField(_("答复内容"))
    closes = models.BooleanField(_("办结"), default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("答复人"),
    )
    created_at = models.DateTimeField(_("答复时间"), default=clock.now)
    history = HistoricalRecords()

    scope = ScopeSpec(
        enterprise="objection__enterprise",
        department="objection__policy__department",
        writers=DEPARTMENT_WRITERS,
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("异议答复")
        verbose_name_plural = _("异议答复")

    def __str__(self) -> str:
        return f"{self.objection} · {self.created_at:%Y-%m-%d}"


#: The count `services` stores as the "名单条目" line of a list's audit entry.
LIST_ENTRY_COUNTS = StoredTexts((pgettext_lazy("list audit", "%(count)s 条"),))


class FactList(models.Model):
    """名单: a department's list of one fact's values for one period (the science bureau's
    newly recognised high-tech enterprises, the commerce bureau's booth fees, …).

    For the facts it covers, a list takes precedence over the registry's facts for that
    period: beneficiaries not on the list have no value (the fact's missing policy applies).
    """

    #: the count line of its audit entries is the platform's text (`services`)
    stored_texts = {"entries": LIST_ENTRY_COUNTS}

    name = models.CharField(_("名单名称"), max_length=200)
    fact_id = models.CharField(_("事实"), max_length=64)
    beneficiary = models.CharField(
        _("对象类型"), max_length=16, choices=Beneficiary.choices, default=Beneficiary.ENTERPRISE
    )
    period = models.CharField(_("期间"), max_length=7)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("提供部门")
    )
    as_of = models.DateField(_("截至日期"))
    source_note = models.CharField(_("来源说明"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("登记人"),
    )
    created_at = models.DateTimeField(_("登记时间"), default=clock.now)
    history = HistoricalRecords()

    scope = ScopeSpec(department="department", writers=DEPARTMENT_WRITERS)

    class Meta:
        ordering = ["-period", "fact_id"]
        verbose_name = _("名单")
        verbose_name_plural = _("名单")
        constraints = [
            models.UniqueConstraint(
                fields=["fact_id", "beneficiary", "period"], name="fact_list_one_per_period"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("policies:list_detail", args=[self.pk])


class FactListEntry(models.Model):
    """One beneficiary's value on a list (text; typed by the fact's declaration)."""

    fact_list = models.ForeignKey(
        FactList, on_delete=models.CASCADE, related_name="entries", db_index=False
    )
    beneficiary_id = models.BigIntegerField(_("对象编号"))
    value = models.CharField(_("值"), max_length=64)

    scope = ScopeSpec(department="fact_list__department", writers=DEPARTMENT_WRITERS)

    class Meta:
        verbose_name = _("名单条目")
        verbose_name_plural = _("名单条目")
        constraints = [
            models.UniqueConstraint(
                fields=["fact_list", "beneficiary_id"], name="fact_list_entry_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fact_list} · {self.beneficiary_id} = {self.value}"
