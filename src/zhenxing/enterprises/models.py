"""The enterprise registry (一企一档): registration, yearly facts per source, tiers, the pool.

- `Enterprise`: the registration record (USCC, names, area, industry, clusters, contacts).
- `FactDefinition`: one row per fact id of the rule catalogue's `facts.yaml` (plus a few the
  registry keeps), with its type and the declared source priority.
- `FactValue`: one value of one fact for one enterprise, year and source, with its as-of
  date. `effective` marks the value the rules read (the highest-priority source); services
  keep it up to date (`services.resolve_effective`).
- `FactSubmission`: what one source said for one enterprise and year (the audited record).
- `Tier` (one certificate: a grant or a renewal) and `TierEvent` (granted, renewed, lost).
- `PoolEntry` (an enterprise targeted for a tier in a year) and `FollowUp` (its log).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from zhenxing.core import clock
from zhenxing.core.models import Area, Industry, ScopeSpec, ValueWriters, in_reader_language
from zhenxing.core.roles import Role
from zhenxing.enterprises import domain

REGISTRY_WRITERS = frozenset({Role.ADMIN, Role.DEPT_STAFF, Role.DEPT_HEAD, Role.AREA_STAFF})
# Tiers are recognised by the city's departments (科技局, 工信局, 统计局) from official lists.
TIER_WRITERS = frozenset({Role.ADMIN, Role.DEPT_STAFF, Role.DEPT_HEAD})
# Enterprises may report their own figures, under the source 企业自报 only: what the tax
# office, statistics or the market regulator said is recorded by the city's staff.
FACT_WRITERS = frozenset(
    {Role.ADMIN, Role.DEPT_STAFF, Role.DEPT_HEAD, Role.AREA_STAFF, Role.ENTERPRISE}
)
OFFICIAL_SOURCES = ValueWriters(
    field="source",
    values=frozenset(s.value for s in domain.Source if s != domain.Source.SELF_REPORTED),
    roles=REGISTRY_WRITERS,
)

SOURCE_CHOICES = [(s.value, _(domain.SOURCE_LABELS[s])) for s in domain.Source]
TIER_CHOICES = [(t.value, _(domain.TIER_LABELS[t])) for t in domain.TierCode]
LEVEL_CHOICES = [(lv.value, _(domain.LEVEL_LABELS[lv])) for lv in domain.Level]
EVENT_CHOICES = [(k.value, _(domain.EVENT_LABELS[k])) for k in domain.EventKind]
STAGE_CHOICES = [
    (s.value, pgettext_lazy(domain.STAGE_CONTEXT, domain.STAGE_LABELS[s])) for s in domain.Stage
]
VALUE_TYPE_CHOICES = [(t.value, t.value) for t in domain.ValueType]
DERIVATION_CHOICES = [
    ("", _("按来源报送")),
    ("tier", _("由资质称号推出")),
    ("registry", _("由登记信息推出")),
    ("registry_default", _("默认由登记信息推出，有报送值时以报送值为准")),
    ("sum_3y", _("默认为三个年度之和，有报送值时以报送值为准")),
]


class Ownership(models.TextChoices):
    PRIVATE = "private", _("民营")
    STATE = "state", _("国有")
    FOREIGN = "foreign", _("外资")
    MIXED = "mixed", _("混合所有制")


class SizeClass(models.TextChoices):
    LARGE = "large", _("大型")
    MEDIUM = "medium", _("中型")
    SMALL = "small", _("小型")
    MICRO = "micro", _("微型")


class Enterprise(models.Model):
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("企业名称"), max_length=128)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, verbose_name=_("所在区域"))
    industry = models.ForeignKey(
        Industry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("所属行业"),
        to_field="code",
    )
    clusters = models.ManyToManyField(
        "clusters.Cluster", blank=True, related_name="enterprises", verbose_name=_("产业集群")
    )
    address = models.CharField(_("地址"), max_length=255, blank=True)
    ownership = models.CharField(
        _("所有制"), max_length=16, choices=Ownership.choices, default=Ownership.PRIVATE
    )
    size_class = models.CharField(
        _("企业规模"), max_length=8, choices=SizeClass.choices, default=SizeClass.SMALL
    )
    registration_date = models.DateField(_("成立日期"), null=True, blank=True)
    above_size_since = models.DateField(_("首次纳入规上日期"), null=True, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    history = HistoricalRecords()

    scope = ScopeSpec(area="area", enterprise="pk", writers=REGISTRY_WRITERS)

    class Meta:
        ordering = ["area__sort_order", "name"]
        verbose_name = _("企业")
        verbose_name_plural = _("企业")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("enterprises:detail", args=[self.pk])


class FormerName(models.Model):
    """A name the enterprise had until `until` (recorded when the name changes)."""

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="former_names", verbose_name=_("企业")
    )
    name = models.CharField(_("曾用名"), max_length=128)
    until = models.DateField(_("使用至"))

    scope = ScopeSpec(area="enterprise__area", enterprise="enterprise", writers=REGISTRY_WRITERS)

    class Meta:
        ordering = ["-until", "-id"]
        verbose_name = _("曾用名")
        verbose_name_plural = _("曾用名")

    def __str__(self) -> str:
        return self.name


# --------------------------------------------------------------------------------------
# Yearly facts
# --------------------------------------------------------------------------------------


class FactDefinition(models.Model):
    """One fact the registry keeps per enterprise and year; `code` is the rule catalogue's
    fact id (`facts.yaml`), so that rules read it under the same name."""

    code = models.CharField(_("事实标识"), max_length=64, unique=True)
    label = models.CharField(_("名称"), max_length=255)
    label_en = models.CharField(_("英文名称"), max_length=255, blank=True)
    value_type = models.CharField(_("类型"), max_length=16, choices=VALUE_TYPE_CHOICES)
    unit = models.CharField(_("单位"), max_length=16, default="none")
    scale = models.PositiveSmallIntegerField(_("小数位数"), default=0)
    source_priority = models.CharField(
        _("来源优先级"),
        max_length=128,
        blank=True,
        help_text=_(
            "逗号分隔，如 statistics,tax,self_reported；空为默认：税务>统计>市场监管>企业自报"
        ),
    )
    derivation = models.CharField(
        _("取值方式"), max_length=16, choices=DERIVATION_CHOICES, blank=True, default=""
    )
    in_catalogue = models.BooleanField(_("规则目录声明"), default=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    # The domain (domain.ValueDomain): every write of a value is checked against it.
    minimum = models.DecimalField(
        _("最小值"),
        max_digits=26,
        decimal_places=6,
        null=True,
        blank=True,
        help_text=_("空为不限；金额与人数默认为 0（不能为负数）"),
    )
    maximum = models.DecimalField(
        _("最大值"),
        max_digits=26,
        decimal_places=6,
        null=True,
        blank=True,
        help_text=_("空为不限"),
    )
    members = models.CharField(
        _("可选值"), max_length=255, blank=True, help_text=_("枚举类事实的可选值，逗号分隔")
    )
    history = HistoricalRecords()

    scope = ScopeSpec(reference=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("事实定义")
        verbose_name_plural = _("事实定义")

    def __str__(self) -> str:
        english = in_reader_language("", self.label_en)
        return f"{english} ({self.code})" if english else f"{self.label}（{self.code}）"

    @property
    def priority(self) -> tuple[domain.Source, ...]:
        """The full order in which sources are read (declared, then the rest)."""
        try:
            declared = domain.parse_priority(self.source_priority)
        except domain.Invalid:
            declared = ()
        return domain.full_priority(declared)

    def clean(self) -> None:
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValidationError({"maximum": _("最大值不能小于最小值")})

    @property
    def domain(self) -> domain.ValueDomain:
        members = tuple(m.strip() for m in self.members.replace("，", ",").split(",") if m.strip())
        return domain.ValueDomain(self.minimum, self.maximum, members)

    def clean_value(self, raw: object) -> str:
        """The stored text of `raw`: its type, scale and domain checked (raises
        domain.Invalid with a Chinese message that does not name the fact)."""
        text = domain.canonical(raw, self.value_type, self.scale)
        self.domain.check(text, self.value_type)
        return text

    @property
    def importable(self) -> bool:
        return domain.Derivation(self.derivation) in domain.IMPORTABLE_DERIVATIONS

    @property
    def short_label(self) -> str:
        """The label without its parenthesised explanation (for table headers)."""
        return self.label.split("（")[0]


class FactSubmission(models.Model):
    """What one source said for one enterprise and year: the audited record of a write.

    The values themselves are `FactValue` rows; `summary` repeats the facts written by the
    last change so that the audit trail shows them."""

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="fact_submissions"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    source = models.CharField(_("来源"), max_length=16, choices=SOURCE_CHOICES)
    as_of = models.DateField(_("数据日期"))
    summary = models.TextField(_("报送内容"), blank=True)
    recorded_at = models.DateTimeField(_("记录时间"), default=clock.now)
    history = HistoricalRecords()

    scope = ScopeSpec(
        area="enterprise__area",
        enterprise="enterprise",
        writers=FACT_WRITERS,
        restricted=(OFFICIAL_SOURCES,),
    )

    class Meta:
        ordering = ["-year", "source"]
        verbose_name = _("年度数据报送")
        verbose_name_plural = _("年度数据报送")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "year", "source"], name="fact_submission_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} 年度数据（{self.get_source_display()}）"


class FactValue(models.Model):
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="facts")
    year = models.PositiveSmallIntegerField(_("年度"))
    fact = models.ForeignKey(FactDefinition, on_delete=models.PROTECT, verbose_name=_("事实"))
    source = models.CharField(_("来源"), max_length=16, choices=SOURCE_CHOICES)
    # The exact text of the value (domain.canonical): decimals with the fact's scale, ISO
    # dates, "true"/"false". Text keeps decimals exact on SQLite as on PostgreSQL.
    value = models.CharField(_("值"), max_length=255)
    as_of = models.DateField(_("数据日期"))
    effective = models.BooleanField(_("采用"), default=False)

    scope = ScopeSpec(
        area="enterprise__area",
        enterprise="enterprise",
        writers=FACT_WRITERS,
        restricted=(OFFICIAL_SOURCES,),
    )

    class Meta:
        ordering = ["enterprise", "-year", "fact", "source"]
        verbose_name = _("年度数据")
        verbose_name_plural = _("年度数据")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "year", "fact", "source"], name="fact_value_unique"
            )
        ]
        indexes = [
            # facts_frame reads only this index (fact, year → enterprise, value).
            models.Index(
                fields=["fact", "year", "enterprise", "value"],
                condition=Q(effective=True),
                name="fact_value_effective",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.fact_id} {self.source}={self.value}"


# --------------------------------------------------------------------------------------
# Tiers
# --------------------------------------------------------------------------------------


class Tier(models.Model):
    """One certificate (or listing) of a tier: a grant or a renewal, with its dates.

    Held on a day D when issued_on ≤ D, expires_on ≥ D (or none) and not ended by D.
    """

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="tiers", verbose_name=_("企业")
    )
    code = models.CharField(_("资质称号"), max_length=32, choices=TIER_CHOICES)
    level = models.CharField(_("级别"), max_length=16, choices=LEVEL_CHOICES)
    certificate_no = models.CharField(_("证书编号"), max_length=64, blank=True)
    issuer = models.CharField(_("认定机关"), max_length=128, blank=True)
    batch = models.CharField(_("公告批次"), max_length=128, blank=True)
    issued_on = models.DateField(_("发证日期"))
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)
    ended_on = models.DateField(_("撤销/取消日期"), null=True, blank=True)
    end_reason = models.CharField(_("撤销/取消原因"), max_length=255, blank=True)
    renewal_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="renewals",
        verbose_name=_("接续的证书"),
    )
    history = HistoricalRecords()

    scope = ScopeSpec(area="enterprise__area", enterprise="enterprise", writers=TIER_WRITERS)

    class Meta:
        ordering = ["enterprise", "code", "-issued_on"]
        verbose_name = _("资质称号")
        verbose_name_plural = _("资质称号")
        indexes = [
            models.Index(fields=["code", "issued_on"], name="tier_code_issued"),
            models.Index(fields=["expires_on"], name="tier_expires"),
        ]
        constraints = [
            models.CheckConstraint(
                name="tier_expiry_after_issue",
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=models.F("issued_on")),
            ),
            models.CheckConstraint(
                name="tier_end_after_issue",
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("issued_on")),
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("enterprises:detail", args=[self.enterprise_id]) + "?tab=tiers"

    @property
    def level_label(self) -> str:
        """规上 is a statistical status, not a title conferred at a level."""
        return "" if self.code == domain.TierCode.ABOVE_SIZE else str(self.get_level_display())

    @property
    def label(self) -> str:
        # 国家级高新技术企业 / National high-tech enterprise: the join is the language's
        joined = gettext("%(level)s%(tier)s") % {
            "level": self.level_label,
            "tier": self.get_code_display(),
        }
        return joined.strip()

    def held_on(self, day: datetime.date) -> bool:
        return domain.held_on(day, self.issued_on, self.expires_on, self.ended_on)


class TierEvent(models.Model):
    """A tier gained (granted), continued (renewed) or lost, on a date."""

    tier = models.ForeignKey(Tier, on_delete=models.CASCADE, related_name="events")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(_("资质称号"), max_length=32, choices=TIER_CHOICES)
    level = models.CharField(_("级别"), max_length=16, choices=LEVEL_CHOICES)
    kind = models.CharField(_("事件"), max_length=16, choices=EVENT_CHOICES)
    date = models.DateField(_("日期"))
    note = models.CharField(_("说明"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("登记人"),
    )

    scope = ScopeSpec(area="enterprise__area", enterprise="enterprise", writers=TIER_WRITERS)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("资质事件")
        verbose_name_plural = _("资质事件")
        indexes = [models.Index(fields=["code", "kind", "date"], name="tier_event_kind_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.get_code_display()}"


# --------------------------------------------------------------------------------------
# Cultivation pool
# --------------------------------------------------------------------------------------


class PoolEntry(models.Model):
    """An enterprise in the cultivation pool, targeted for a tier in a year."""

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="pool_entries", verbose_name=_("企业")
    )
    target = models.CharField(_("培育目标"), max_length=32, choices=TIER_CHOICES)
    year = models.PositiveSmallIntegerField(_("培育年度"))
    stage = models.CharField(_("阶段"), max_length=16, choices=STAGE_CHOICES, default="entered")
    stage_since = models.DateField(_("进入本阶段日期"))
    furthest = models.PositiveSmallIntegerField(_("到达的最远阶段"), default=1)
    entered_on = models.DateField(_("入库日期"))
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("责任人"),
    )
    exit_reason = models.CharField(_("退出原因"), max_length=255, blank=True)
    note = models.CharField(_("备注"), max_length=255, blank=True)
    history = HistoricalRecords()

    scope = ScopeSpec(area="enterprise__area", enterprise="enterprise", writers=REGISTRY_WRITERS)

    class Meta:
        ordering = ["-year", "target", "enterprise"]
        verbose_name = _("培育库企业")
        verbose_name_plural = _("培育库企业")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "target", "year"], name="pool_entry_unique"
            )
        ]
        indexes = [models.Index(fields=["year", "target", "stage"], name="pool_year_target")]

    def __str__(self) -> str:
        return f"{self.year} {self.get_target_display()} · {self.enterprise}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("enterprises:detail", args=[self.enterprise_id]) + "?tab=pool"


class FollowUpKind(models.TextChoices):
    VISIT = "visit", _("走访")
    PHONE = "phone", _("电话")
    MEETING = "meeting", _("座谈/培训")
    SERVICE = "service", _("政策与服务推送")
    STAGE = "stage", _("阶段变更")


class FollowUp(models.Model):
    """One line of a pool entry's follow-up log. Staff notes: enterprises do not see them
    (the scope names no enterprise path)."""

    entry = models.ForeignKey(PoolEntry, on_delete=models.CASCADE, related_name="follow_ups")
    date = models.DateField(_("日期"))
    kind = models.CharField(_("方式"), max_length=16, choices=FollowUpKind.choices)
    note = models.TextField(_("情况"))
    next_step = models.CharField(_("下一步"), max_length=255, blank=True)
    stage_from = models.CharField(_("原阶段"), max_length=16, choices=STAGE_CHOICES, blank=True)
    stage_to = models.CharField(_("新阶段"), max_length=16, choices=STAGE_CHOICES, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("记录人"),
    )
    history = HistoricalRecords()

    scope = ScopeSpec(area="entry__enterprise__area", writers=REGISTRY_WRITERS)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("跟踪记录")
        verbose_name_plural = _("跟踪记录")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"
