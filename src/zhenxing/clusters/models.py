"""Versioned cluster schemes (2019 "4+3+2", 2023 and 2025 "4+4+N") and their clusters."""

from __future__ import annotations

import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from zhenxing.core.models import ScopeSpec, in_reader_language


class ClusterScheme(models.Model):
    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    short_name = models.CharField(_("简称"), max_length=32)
    name_en = models.CharField(_("英文名称"), max_length=128, blank=True)
    short_name_en = models.CharField(_("英文简称"), max_length=48, blank=True)
    valid_from = models.DateField(_("起始日期"))
    valid_to = models.DateField(_("截止日期"), null=True, blank=True)
    source = models.CharField(_("出处"), max_length=255, blank=True)
    description = models.TextField(_("说明"), blank=True)
    history = HistoricalRecords()

    scope = ScopeSpec(reference=True)

    class Meta:
        ordering = ["valid_from"]
        verbose_name = _("集群方案")
        verbose_name_plural = _("集群方案")
        constraints = [
            models.CheckConstraint(
                name="scheme_valid_range",
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
            )
        ]

    def __str__(self) -> str:
        return in_reader_language(self.name, self.name_en)

    @property
    def display_short_name(self) -> str:
        """The short name ("4+4(五百亿)+N") in the reader's language."""
        return in_reader_language(self.short_name, self.short_name_en)

    def is_valid_on(self, day: datetime.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class ClusterTier(models.Model):
    """A tier of a scheme, e.g. 千亿级 or 主导产业, with the scale its clusters aim at."""

    scheme = models.ForeignKey(ClusterScheme, on_delete=models.CASCADE, related_name="tiers")
    code = models.CharField(_("代码"), max_length=32)
    name = models.CharField(_("名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=128, blank=True)
    target_scale = models.DecimalField(
        _("目标规模（元）"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    history = HistoricalRecords()

    scope = ScopeSpec(reference=True)

    class Meta:
        ordering = ["scheme", "sort_order"]
        verbose_name = _("集群层级")
        verbose_name_plural = _("集群层级")
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="tier_code_unique")]

    def __str__(self) -> str:
        return f"{self.scheme.display_short_name} {self.display_name}"

    @property
    def display_name(self) -> str:
        """The tier's name (千亿级) in the reader's language."""
        return in_reader_language(self.name, self.name_en)


class Cluster(models.Model):
    scheme = models.ForeignKey(ClusterScheme, on_delete=models.CASCADE, related_name="clusters")
    tier = models.ForeignKey(ClusterTier, on_delete=models.PROTECT, related_name="clusters")
    code = models.CharField(_("代码"), max_length=48)
    name = models.CharField(_("名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=128, blank=True)
    target_scale = models.DecimalField(
        _("目标规模（元）"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    target_year = models.PositiveIntegerField(_("目标年份"), null=True, blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    description = models.TextField(_("说明"), blank=True)
    history = HistoricalRecords()

    scope = ScopeSpec(reference=True)

    class Meta:
        ordering = ["scheme", "tier__sort_order", "sort_order"]
        verbose_name = _("产业集群")
        verbose_name_plural = _("产业集群")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="cluster_code_unique")
        ]

    def __str__(self) -> str:
        return in_reader_language(self.name, self.name_en)
