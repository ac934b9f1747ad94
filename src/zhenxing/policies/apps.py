from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ledger_triggers(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """SQLite drops a table's triggers when a migration rebuilds it: put them back."""
    from django.db import connections

    from zhenxing.policies import ledger_triggers

    ledger_triggers.install(connections[using])


class PoliciesConfig(AppConfig):
    name = "zhenxing.policies"
    label = "policies"
    verbose_name = "政策兑付"

    def ready(self) -> None:
        post_migrate.connect(_ledger_triggers, sender=self, dispatch_uid="ledger_triggers")
        from zhenxing.core.audit import register_record_url
        from zhenxing.policies.models import FactList, Objection, Policy, PolicyRun

        register_record_url(Policy, "policies:detail")
        register_record_url(PolicyRun, "policies:run")
        register_record_url(Objection, "policies:objection")
        register_record_url(FactList, "policies:list_detail")

        # 首页: the department's batches and objections; an enterprise's entitlements.
        from zhenxing.core import panels
        from zhenxing.policies.panels import my_policies_panel, policies_panel

        panels.register("policies", policies_panel, order=40)
        panels.register("my_policies", my_policies_panel, order=60)

        # A run left "running" by a dead worker is failed by the worker's recovery round.
        from zhenxing.core import worker
        from zhenxing.policies.services import fail_stale_runs

        worker.register_recovery("policies.stale_runs", fail_stale_runs)
