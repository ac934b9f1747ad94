"""The roles a user can hold, and the actions the platform checks."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("市级管理员")
    DEPT_STAFF = "dept_staff", _("市直部门人员")
    DEPT_HEAD = "dept_head", _("部门负责人")
    AREA_STAFF = "area_staff", _("县区园区人员")
    STEWARD = "steward", _("项目管家")
    ENTERPRISE = "enterprise", _("企业用户")
    LEADER = "leader", _("市领导")


class Action(models.TextChoices):
    VIEW = "view", _("查看")
    CREATE = "create", _("新建")
    CHANGE = "change", _("修改")
    DELETE = "delete", _("删除")
    APPROVE = "approve", _("审批")
    EXPORT = "export", _("导出")


WRITE_ACTIONS = frozenset({Action.CREATE, Action.CHANGE, Action.DELETE})
