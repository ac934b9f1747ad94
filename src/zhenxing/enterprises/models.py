"""The enterprise registry (一企一档). Yearly facts, tiers and the pool have their own issue."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from zhenxing.core.models import Area, Industry, ScopeSpec
from zhenxing.core.roles import Role


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

    scope = ScopeSpec(
        area="area",
        enterprise="pk",
        writers=frozenset({Role.ADMIN, Role.DEPT_STAFF, Role.DEPT_HEAD, Role.AREA_STAFF}),
    )

    class Meta:
        ordering = ["area__sort_order", "name"]
        verbose_name = _("企业")
        verbose_name_plural = _("企业")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("enterprises:detail", args=[self.pk])
