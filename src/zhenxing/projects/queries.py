"""Every read that aggregates project data: one function per figure a report shows.

Pages, the API, exports and documents all call these, so they show the same number.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q


def steward_project_ids(user_id: int | None) -> Iterable[int]:
    """Projects a user stewards: as the leader, or as a member of the support team."""
    from zhenxing.projects.models import Project

    if user_id is None:
        return []
    return (
        Project.objects.filter(Q(stewardship__leader_id=user_id) | Q(team__user_id=user_id))
        .values_list("id", flat=True)
        .distinct()
    )
