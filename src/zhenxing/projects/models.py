"""Investment projects: libraries and key lists, status history, annual plans, monthly
reports, reporting windows, and the steward's team, visits and problems.

Every figure a report shows is computed in `projects/queries.py` from these item-level
records (status changes, library memberships, monthly reports), never from stored totals.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from zhenxing.core.models import Area, Department, Industry, ScopeSpec, ValueWriters
from zhenxing.core.roles import Role
from zhenxing.projects.domain import STATUS_LABELS, Status

MONEY: dict[str, Any] = {"max_digits": 18, "decimal_places": 2}
STATUS_CHOICES = [(s.value, _(STATUS_LABELS[s])) for s in Status]
PROJECT_WRITERS = frozenset({Role.ADMIN, Role.DEPT_STAFF, Role.DEPT_HEAD, Role.AREA_STAFF})


class PolicyCategory(models.TextChoices):
    EMERGING = "emerging", _("战略性新兴产业")
    GREEN = "green", _("绿色制造")
    SMART = "smart", _("智能制造")
    OTHER = "other", _("其他")


class Library(models.TextChoices):
    RESERVE = "reserve", _("储备项目库")
    CONSTRUCTION = "construction", _("建设项目库")
    KEY = "key", _("重点项目库")


class Project(models.Model):
    code = models.CharField(_("项目代码"), max_length=24, blank=True, default="")
    name = models.CharField(_("项目名称"), max_length=200)
    owner_enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
        verbose_name=_("项目单位"),
    )
    owner_name = models.CharField(_("项目单位名称"), max_length=128, blank=True)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, verbose_name=_("所在区域"))
    cluster = models.ForeignKey(
        "clusters.Cluster",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("产业集群"),
    )
    industry = models.ForeignKey(
        Industry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        to_field="code",
        verbose_name=_("所属行业"),
    )
    policy_category = models.CharField(
        _("政策类别"),
        max_length=16,
        choices=PolicyCategory.choices,
        default=PolicyCategory.OTHER,
    )
    location = models.CharField(_("建设地点"), max_length=255, blank=True)
    total_investment = models.DecimalField(_("总投资（元）"), **MONEY)
    planned_start = models.DateField(_("计划开工"), null=True, blank=True)
    planned_finish = models.DateField(_("计划竣工"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=STATUS_CHOICES)
    status_since = models.DateField(_("状态日期"))
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("责任部门"),
    )
    description = models.TextField(_("建设内容"), blank=True)
    # A project entered by mistake is voided (作废), not deleted: it is kept with its
    # history, and left out of every figure and list unless they ask for voided ones.
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("作废人"),
    )
    void_reason = models.CharField(_("作废原因"), max_length=500, blank=True)
    history = HistoricalRecords()

    scope = ScopeSpec(area="area", project="pk", writers=PROJECT_WRITERS)

    class Meta:
        ordering = ["area__sort_order", "name"]
        verbose_name = _("项目")
        verbose_name_plural = _("项目")
        constraints = [
            # a voided project keeps its code; the project entered again may carry it
            models.UniqueConstraint(
                fields=["code"],
                condition=~Q(code="") & Q(voided_at__isnull=True),
                name="project_code_unique",
            ),
            models.CheckConstraint(
                condition=Q(total_investment__gte=0), name="project_investment_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["area", "status"], name="project_area_status")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("projects:detail", args=[self.pk])

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None


class StatusChange(models.Model):
    """One dated lifecycle step. 开复工 is counted from these, not from `Project.status`."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(_("状态"), max_length=16, choices=STATUS_CHOICES)
    date = models.DateField(_("日期"))
    note = models.CharField(_("说明"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords()

    scope = ScopeSpec(area="project__area", project="project", writers=PROJECT_WRITERS)

    class Meta:
        ordering = ["project", "date", "id"]
        verbose_name = _("状态变更")
        verbose_name_plural = _("状态变更")
        indexes = [models.Index(fields=["status", "date"], name="status_change_status_date")]

    def __str__(self) -> str:
        return f"{self.project} {self.get_status_display()} {self.date:%Y-%m-%d}"


class LibraryMembership(models.Model):
    """A project's stay in one library: from `entered_on` until `left_on` (open = still in)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="libraries")
    library = models.CharField(_("项目库"), max_length=16, choices=Library.choices)
    entered_on = models.DateField(_("入库日期"))
    left_on = models.DateField(_("出库日期"), null=True, blank=True)
    history = HistoricalRecords()

    scope = ScopeSpec(area="project__area", project="project", writers=PROJECT_WRITERS)

    class Meta:
        ordering = ["project", "entered_on"]
        verbose_name = _("入库记录")
        verbose_name_plural = _("入库记录")
        constraints = [
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("entered_on")),
                name="library_stay_in_order",
            ),
        ]
        indexes = [models.Index(fields=["library", "entered_on"], name="library_entered")]

    def __str__(self) -> str:
        return f"{self.project} · {self.get_library_display()}"


class KeyList(models.Model):
    """A list of key projects (省重大工程, 央地合作, 港产城 …); a project may be on several."""

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("上级清单"),
    )
    sort_order = models.PositiveIntegerField(default=0)
    history = HistoricalRecords()

    scope = ScopeSpec(reference=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("重点项目清单")
        verbose_name_plural = _("重点项目清单")

    def __str__(self) -> str:
        return self.name


class KeyListEntry(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="key_lists")
    key_list = models.ForeignKey(KeyList, on_delete=models.PROTECT, related_name="entries")
    entered_on = models.DateField(_("列入日期"))
    left_on = models.DateField(_("移出日期"), null=True, blank=True)
    history = HistoricalRecords()

    scope = ScopeSpec(area="project__area", project="project", writers=PROJECT_WRITERS)

    class Meta:
        ordering = ["key_list", "project"]
        verbose_name = _("清单项目")
        verbose_name_plural = _("清单项目")

    def __str__(self) -> str:
        return f"{self.key_list} · {self.project}"


class AnnualPlan(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="annual_plans")
    year = models.PositiveIntegerField(_("年度"))
    planned_investment = models.DecimalField(_("年度计划投资（元）"), **MONEY)
    history = HistoricalRecords()

    scope = ScopeSpec(area="project__area", project="project", writers=PROJECT_WRITERS)

    class Meta:
        ordering = ["project", "year"]
        verbose_name = _("年度计划")
        verbose_name_plural = _("年度计划")
        constraints = [
            models.UniqueConstraint(fields=["project", "year"], name="annual_plan_unique"),
            models.CheckConstraint(
                condition=Q(planned_investment__gte=0), name="annual_plan_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} {self.year}"


class ReportingWindow(models.Model):
    """When a month may be filed. Without a row, the deadline is the 10th of the next month."""

    year = models.PositiveIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"))
    opens_on = models.DateField(_("开始填报"))
    deadline = models.DateField(_("截止日期"))
    history = HistoricalRecords()

    scope = ScopeSpec(reference=True)

    class Meta:
        ordering = ["-year", "-month"]
        verbose_name = _("填报窗口")
        verbose_name_plural = _("填报窗口")
        constraints = [
            models.UniqueConstraint(fields=["year", "month"], name="reporting_window_unique"),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="reporting_window_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"


class MonthlyReport(models.Model):
    """Investment completed in one month, physical progress (形象进度) and problems met."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reports")
    year = models.PositiveIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"))
    investment = models.DecimalField(_("当月完成投资（元）"), **MONEY)
    progress_pct = models.DecimalField(
        _("形象进度（%）"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    progress_text = models.CharField(_("形象进度说明"), max_length=500, blank=True)
    problems = models.TextField(_("存在问题"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("填报人"),
    )
    submitted_at = models.DateTimeField(_("填报时间"), null=True, blank=True)
    # A figure above the project's remaining investment or far above its usual month is
    # filed only when confirmed; the mark (why, and who confirmed) stays with the report.
    unusual_note = models.CharField(_("超常说明"), max_length=255, blank=True)
    unusual_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("超常确认人"),
    )
    history = HistoricalRecords()

    scope = ScopeSpec(area="project__area", project="project", writers=PROJECT_WRITERS)

    class Meta:
        ordering = ["project", "year", "month"]
        verbose_name = _("月度填报")
        verbose_name_plural = _("月度填报")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "year", "month"], name="monthly_report_unique"
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="monthly_report_month"
            ),
            models.CheckConstraint(
                condition=Q(investment__gte=0), name="monthly_report_investment_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(progress_pct__isnull=True)
                | Q(progress_pct__gte=0, progress_pct__lte=100),
                name="monthly_report_progress_range",
            ),
        ]
        indexes = [models.Index(fields=["year", "month"], name="monthly_report_period")]

    def __str__(self) -> str:
        return f"{self.project} {self.year}-{self.month:02d}"


class Stewardship(models.Model):
    """项目管家: one leader (a user) for a key project, from a date."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="stewardship")
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="stewarded_projects",
        verbose_name=_("包保领导"),
    )
    since = models.DateField(_("开始日期"))
    history = HistoricalRecords()

    scope = ScopeSpec(
        area="project__area",
        project="project",
        writers=frozenset({Role.ADMIN, Role.DEPT_STAFF, Role.DEPT_HEAD}),
    )

    class Meta:
        verbose_name = _("项目管家")
        verbose_name_plural = _("项目管家")

    def __str__(self) -> str:
        return f"{self.project} · {self.leader}"


class TeamMember(models.Model):
    """A member of a steward's support team (帮办团队): a user, or a named person."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="project_teams",
    )
    name = models.CharField(_("姓名"), max_length=64)
    duty = models.CharField(_("职责"), max_length=128, blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("部门")
    )
    history = HistoricalRecords()

    scope = ScopeSpec(
        area="project__area",
        project="project",
        writers=frozenset({Role.ADMIN, Role.DEPT_STAFF, Role.DEPT_HEAD, Role.STEWARD}),
    )

    class Meta:
        ordering = ["project", "id"]
        verbose_name = _("帮办团队成员")
        verbose_name_plural = _("帮办团队成员")

    def __str__(self) -> str:
        return self.name


class VisitKind(models.TextChoices):
    SITE = "site", _("领导现场调研")
    PHONE = "phone", _("领导电话调研")
    CITY_TEAM = "city_team", _("市帮办团队现场调研")
    COUNTY_TEAM = "county_team", _("县区团队现场调研")


LEADER_VISIT_KINDS = frozenset({VisitKind.SITE.value, VisitKind.PHONE.value})


class Visit(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="visits")
    kind = models.CharField(_("类型"), max_length=16, choices=VisitKind.choices)
    date = models.DateField(_("日期"))
    visitors = models.CharField(_("参加人员"), max_length=255)
    notes = models.TextField(_("情况记录"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    scope = ScopeSpec(
        area="project__area",
        project="project",
        writers=frozenset(
            {Role.ADMIN, Role.DEPT_STAFF, Role.DEPT_HEAD, Role.AREA_STAFF, Role.STEWARD}
        ),
        # A city leader's visit is recorded by the city and the project's stewards, not by
        # the area whose project was visited.
        restricted=(
            ValueWriters(
                field="kind",
                values=LEADER_VISIT_KINDS,
                roles=frozenset({Role.ADMIN, Role.DEPT_STAFF, Role.DEPT_HEAD, Role.STEWARD}),
            ),
        ),
    )

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        indexes = [models.Index(fields=["kind", "date"], name="visit_kind_date")]

    def __str__(self) -> str:
        return f"{self.project} {self.get_kind_display()} {self.date:%Y-%m-%d}"


class VisitPhoto(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("照片"), upload_to="visits/%Y/%m/")
    caption = models.CharField(_("说明"), max_length=128, blank=True)
    history = HistoricalRecords()

    scope = ScopeSpec(
        area="visit__project__area",
        project="visit__project",
        writers=frozenset(
            {Role.ADMIN, Role.DEPT_STAFF, Role.DEPT_HEAD, Role.AREA_STAFF, Role.STEWARD}
        ),
    )

    class Meta:
        verbose_name = _("走访照片")
        verbose_name_plural = _("走访照片")

    def __str__(self) -> str:
        return self.caption or self.file.name


class ProblemStatus(models.TextChoices):
    OPEN = "open", _("未销号")
    CLOSED = "closed", _("已销号")


class Problem(models.Model):
    """A problem a project meets, owned by a department, closed one by one (销号)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="problem_items")
    title = models.CharField(_("问题"), max_length=200)
    description = models.TextField(_("具体情况"), blank=True)
    owner_department = models.ForeignKey(
        Department, on_delete=models.PROTECT, verbose_name=_("责任部门")
    )
    raised_on = models.DateField(_("提出日期"))
    due_date = models.DateField(_("办结时限"))
    status = models.CharField(
        _("状态"), max_length=8, choices=ProblemStatus.choices, default=ProblemStatus.OPEN
    )
    closed_on = models.DateField(_("销号日期"), null=True, blank=True)
    resolution = models.TextField(_("解决情况"), blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    scope = ScopeSpec(
        area="project__area",
        project="project",
        writers=frozenset(
            {Role.ADMIN, Role.DEPT_STAFF, Role.DEPT_HEAD, Role.AREA_STAFF, Role.STEWARD}
        ),
    )

    class Meta:
        ordering = ["status", "due_date"]
        verbose_name = _("问题")
        verbose_name_plural = _("问题")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", closed_on__isnull=True)
                | Q(status="closed", closed_on__isnull=False),
                name="problem_closed_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.title
