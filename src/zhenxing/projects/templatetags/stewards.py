"""`{% steward_panel project as panel %}`: what the steward panel of a project page shows.

The panel (`projects/stewards/panel.html`) is included by other parts' pages that have
only `project` in their context; the tag loads the rest through `core.scoping`.
"""

from __future__ import annotations

from typing import Any

from django import template

from zhenxing.core import clock, scoping
from zhenxing.core.roles import Action
from zhenxing.projects.models import Problem, ProblemStatus, Stewardship, TeamMember, Visit
from zhenxing.projects.stewards.queries import overdue_q

register = template.Library()

PANEL_VISITS = 3


@register.simple_tag(takes_context=True)
def steward_panel(context: template.Context, project: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    stewardship = scoping.visible(
        user, Stewardship.objects.select_related("leader").filter(project=project)
    ).first()
    problems = scoping.visible(user, Problem.objects.filter(project=project))
    visits = scoping.visible(user, Visit.objects.filter(project=project)).order_by("-date", "-pk")
    if stewardship is not None:
        can_assign = scoping.can(user, Action.CHANGE, stewardship)
    else:
        can_assign = scoping.can(
            user,
            Action.CREATE,
            model=Stewardship,
            values={"project__area": project.area_id, "project": project.pk},
        )
    return {
        "stewardship": stewardship,
        "team": list(scoping.visible(user, TeamMember.objects.filter(project=project))),
        "open_problems": problems.filter(status=ProblemStatus.OPEN).count(),
        "overdue_problems": problems.filter(overdue_q(clock.today())).count(),
        "visits": list(visits[:PANEL_VISITS]),
        "visit_count": visits.count(),
        "can_assign": can_assign,
    }
