"""The one place that decides what a user may see and do.

UI pages, the API, exports and documents all load records through `visible()` or
`get_for_user()` and check writes with `require()`. A record the user may not see
is reported exactly like a missing one (`NotFound`), so a refusal never leaks data.

How a model relates to areas, enterprises, departments and projects is declared
on the model as `scope = ScopeSpec(...)` (see `core.models.ScopeSpec`).

The matrix, per role (a user holding several roles gets the union):

- admin: sees, writes and approves everything.
- leader: sees everything, writes nothing.
- dept_staff: sees the whole city; writes the models it may write, and of models
  owned by a department only its own department's records.
- dept_head: as dept_staff, and approves its own department's records.
- area_staff: sees and writes only records of its own area.
- steward: sees and writes (where allowed) only records of its assigned projects.
- enterprise: sees only its own enterprise's records; writes where allowed.

Reference data (areas, departments, clusters, industries) is visible to every
signed-in user and written by administrators only. System data (users, roles,
tokens) is visible and writable by administrators only, and so are the audit entries
about it and the security events (sign-ins, password changes, exports, backups): a
model's `admin_only_when` marks such records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet

from zhenxing.core.models import RoleAssignment, ScopeSpec
from zhenxing.core.roles import WRITE_ACTIONS, Action, Role

M = TypeVar("M", bound=models.Model)


class NotFound(Exception):
    """The record does not exist, or the user may not see it (the two look alike)."""


class PermissionDenied(Exception):
    """The user may see the record but not do this to it."""

    def __init__(self, message: str = "您没有执行此操作的权限") -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Grants:
    """What one user holds, loaded once per request."""

    roles: frozenset[str]
    department_ids: frozenset[int] = frozenset()
    head_department_ids: frozenset[int] = frozenset()
    area_ids: frozenset[int] = frozenset()
    enterprise_ids: frozenset[int] = frozenset()
    user_id: int | None = None
    is_superuser: bool = False
    project_ids_cache: dict[str, frozenset[int]] = field(default_factory=dict, compare=False)

    @property
    def is_admin(self) -> bool:
        return self.is_superuser or Role.ADMIN in self.roles

    @property
    def is_city_wide_reader(self) -> bool:
        return self.is_admin or bool(self.roles & {Role.LEADER, Role.DEPT_STAFF, Role.DEPT_HEAD})


ANONYMOUS = Grants(roles=frozenset())


def grants_for(user: Any) -> Grants:
    """The roles of a user, cached on the user object for the length of a request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    cached = getattr(user, "_zhenxing_grants", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    roles: set[str] = set()
    departments: set[int] = set()
    heads: set[int] = set()
    areas: set[int] = set()
    enterprises: set[int] = set()
    for assignment in RoleAssignment.objects.filter(user_id=user.pk):
        roles.add(assignment.role)
        if assignment.department_id:
            departments.add(assignment.department_id)
            if assignment.role == Role.DEPT_HEAD:
                heads.add(assignment.department_id)
        if assignment.role == Role.AREA_STAFF and assignment.area_id:
            areas.add(assignment.area_id)
        if assignment.role == Role.ENTERPRISE and assignment.enterprise_id:
            enterprises.add(assignment.enterprise_id)
    grants = Grants(
        roles=frozenset(roles),
        department_ids=frozenset(departments),
        head_department_ids=frozenset(heads),
        area_ids=frozenset(areas),
        enterprise_ids=frozenset(enterprises),
        user_id=user.pk,
        is_superuser=bool(user.is_superuser),
    )
    user._zhenxing_grants = grants
    return grants


def forget_grants(user: Any) -> None:
    """Drop the cached grants (after a role is added or removed)."""
    if hasattr(user, "_zhenxing_grants"):
        del user._zhenxing_grants


def spec_of(model: type[models.Model]) -> ScopeSpec:
    spec = getattr(model, "scope", None)
    if not isinstance(spec, ScopeSpec):
        raise TypeError(f"{model.__name__} declares no ScopeSpec; scoping refuses to guess")
    return spec


# --- project stewardship: the projects app registers how to find a steward's projects.
_steward_project_lookup: list[Any] = []


def register_steward_projects(lookup: Any) -> None:
    """`lookup(user_id) -> iterable of project ids` the user stewards (leader or team)."""
    _steward_project_lookup.append(lookup)


def _steward_project_ids(grants: Grants) -> frozenset[int]:
    if "steward" not in grants.project_ids_cache:
        ids: set[int] = set()
        for lookup in _steward_project_lookup:
            ids.update(lookup(grants.user_id))
        grants.project_ids_cache["steward"] = frozenset(ids)
    return grants.project_ids_cache["steward"]


_NOTHING = Q(pk__in=[])
_EVERYTHING = Q()


# Roles that see only their own corner of the city: a record with `released_when`
# reaches them once it holds (city-wide readers see the department's work in progress).
LOCAL_ROLES = frozenset({Role.AREA_STAFF, Role.STEWARD, Role.ENTERPRISE})


def _role_filter(grants: Grants, role: str, spec: ScopeSpec, action: str) -> Q | None:
    """The records one role grants `action` on, as a Q; None grants nothing."""
    q = _scope_filter(grants, role, spec, action)
    if q is None:
        return None
    if action in WRITE_ACTIONS:
        for rule in spec.restricted:
            if role not in rule.roles:
                q &= ~Q(**{f"{rule.field}__in": sorted(rule.values)})
    if role in LOCAL_ROLES and spec.released_when is not None:
        q &= spec.released_when
    return q


def _scope_filter(grants: Grants, role: str, spec: ScopeSpec, action: str) -> Q | None:
    writing = action in WRITE_ACTIONS
    if writing and role not in spec.writers:
        return None
    if role == Role.LEADER:
        return None if action != Action.VIEW and action != Action.EXPORT else _EVERYTHING
    if role in (Role.DEPT_STAFF, Role.DEPT_HEAD):
        if action in (Action.VIEW, Action.EXPORT):
            return _EVERYTHING
        if action == Action.APPROVE:
            if role != Role.DEPT_HEAD or not spec.department:
                return None
            return Q(**{f"{spec.department}__in": grants.head_department_ids})
        if spec.department:
            return Q(**{f"{spec.department}__in": grants.department_ids})
        return _EVERYTHING
    if role == Role.AREA_STAFF:
        if action == Action.APPROVE or not spec.area:
            return None
        return Q(**{f"{spec.area}__in": grants.area_ids})
    if role == Role.STEWARD:
        if action == Action.APPROVE or not spec.project:
            return None
        return Q(**{f"{spec.project}__in": _steward_project_ids(grants)})
    if role == Role.ENTERPRISE:
        if action == Action.APPROVE or not spec.enterprise:
            return None
        return Q(**{f"{spec.enterprise}__in": grants.enterprise_ids})
    return None


def filter_for(grants: Grants, model: type[models.Model], action: str = Action.VIEW) -> Q:
    """The Q that selects the records of `model` the user may `action`."""
    spec = spec_of(model)
    if grants.is_admin:
        return _EVERYTHING
    if not grants.roles:
        return _NOTHING
    if spec.system:
        return _NOTHING
    if spec.reference:
        return _EVERYTHING if action in (Action.VIEW, Action.EXPORT) else _NOTHING
    combined: Q | None = None
    for role in sorted(grants.roles):
        q = _role_filter(grants, role, spec, action)
        if q is None:
            continue
        if q == _EVERYTHING:
            combined = _EVERYTHING
            break
        combined = q if combined is None else combined | q
    if combined is None:
        return _NOTHING
    if spec.admin_only_when is not None:
        # what only administrators see (users' and roles' audit entries, sign-ins…)
        hidden = ~spec.admin_only_when
        return hidden if combined == _EVERYTHING else combined & hidden
    return combined


def visible(user: Any, queryset: QuerySet[M], action: str = Action.VIEW) -> QuerySet[M]:
    """The part of `queryset` the user may see (or act on, for another action)."""
    q = filter_for(grants_for(user), queryset.model, action)
    if q == _EVERYTHING:
        return queryset
    if q == _NOTHING:
        return queryset.none()
    return queryset.filter(q).distinct() if _needs_distinct(queryset.model) else queryset.filter(q)


def _needs_distinct(model: type[models.Model]) -> bool:
    spec = spec_of(model)
    paths = [p for p in (spec.area, spec.enterprise, spec.department, spec.project) if p]
    return any("__" in p for p in paths)


def get_for_user(
    user: Any, queryset: QuerySet[M] | type[M], action: str = Action.VIEW, **lookup: Any
) -> M:
    """Load one record for `user`, or raise NotFound when it is missing or out of scope.

    For actions other than view, a record the user can see but not act on raises
    PermissionDenied (the user already knows it exists).
    """
    qs = queryset._default_manager.all() if isinstance(queryset, type) else queryset
    try:
        obj = visible(user, qs).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc
    if action != Action.VIEW:
        require(user, action, obj)
    return obj


def can(
    user: Any,
    action: str,
    obj: models.Model | None = None,
    *,
    model: type[models.Model] | None = None,
    values: dict[str, Any] | None = None,
) -> bool:
    """May the user do `action` to `obj` (or, with `model`, to any/new record of it)?

    For CREATE, `values` maps the scope fields of the new record (e.g. {"area": area})
    so that area staff can create only in their own area.
    """
    grants = grants_for(user)
    target_model = type(obj) if obj is not None else model
    if target_model is None:
        raise TypeError("can() needs an object or a model")
    q = filter_for(grants, target_model, action)
    if q == _NOTHING:
        return False
    if q == _EVERYTHING:
        return True
    if obj is not None and obj.pk is not None:
        return target_model._default_manager.filter(pk=obj.pk).filter(q).exists()
    if action in WRITE_ACTIONS and values is not None:
        return _values_match(grants, target_model, values, action)
    # A model-level question ("may this user create any?") is yes if some scope allows it.
    return True


def _values_match(
    grants: Grants, model: type[models.Model], values: dict[str, Any], action: str
) -> bool:
    """May some role of the user write a record holding `values`? Scope paths missing
    from `values` altogether leave the scope open ("may this user record a leader's
    visit anywhere?"); restricted values are always checked."""
    spec = spec_of(model)
    if grants.is_admin:
        return True

    def _id(value: Any) -> Any:
        return getattr(value, "pk", value)

    scope_given = any(
        path in values
        for path in (spec.area, spec.enterprise, spec.department, spec.project)
        if path
    )
    for role in grants.roles:
        if _role_filter(grants, role, spec, action) is None:
            continue
        if any(
            role not in rule.roles and values.get(rule.field) in rule.values
            for rule in spec.restricted
            if rule.field in values
        ):
            continue
        if not scope_given:
            return True
        if role in (Role.DEPT_STAFF, Role.DEPT_HEAD):
            if not spec.department or _id(values.get(spec.department)) in grants.department_ids:
                return True
        elif role == Role.AREA_STAFF:
            if spec.area and _id(values.get(spec.area)) in grants.area_ids:
                return True
        elif role == Role.ENTERPRISE:
            if spec.enterprise and _id(values.get(spec.enterprise)) in grants.enterprise_ids:
                return True
        elif (
            role == Role.STEWARD
            and spec.project
            and _id(values.get(spec.project)) in _steward_project_ids(grants)
        ):
            return True
    return False


def require(
    user: Any,
    action: str,
    obj: models.Model | None = None,
    *,
    model: type[models.Model] | None = None,
    values: dict[str, Any] | None = None,
) -> None:
    """Raise PermissionDenied unless `can(...)`."""
    if not can(user, action, obj, model=model, values=values):
        raise PermissionDenied()


def users_who_may(
    users: QuerySet[M], action: str, *, model: type[models.Model], values: dict[str, Any]
) -> QuerySet[M]:
    """Of `users`, those who may `action` a record of `model` holding `values`: the
    people a form may name as responsible for it. Stewards are left out (their scope is
    found from the projects, not the other way round)."""
    if action not in WRITE_ACTIONS:
        raise ValueError("users_who_may answers for writes only")
    spec = spec_of(model)

    def _id(value: Any) -> Any:
        return getattr(value, "pk", value)

    allowed = Q(is_superuser=True) | Q(role_assignments__role=Role.ADMIN)
    for role in spec.writers:
        if any(
            role not in rule.roles and values.get(rule.field) in rule.values
            for rule in spec.restricted
        ):
            continue
        if role in (Role.DEPT_STAFF, Role.DEPT_HEAD):
            department = {}
            if spec.department:
                department = {"role_assignments__department": _id(values.get(spec.department))}
            allowed |= Q(role_assignments__role=role, **department)
        elif role == Role.AREA_STAFF and spec.area:
            allowed |= Q(
                role_assignments__role=role, role_assignments__area=_id(values.get(spec.area))
            )
        elif role == Role.ENTERPRISE and spec.enterprise:
            enterprise = _id(values.get(spec.enterprise))
            allowed |= Q(role_assignments__role=role, role_assignments__enterprise=enterprise)
    return users.filter(allowed, is_active=True).distinct()


def sees_personal_data(user: Any, obj: models.Model) -> bool:
    """Contacts and other personal data on a record are for those who may change it (the
    staff who handle it) and for the enterprise it belongs to; not for readers such as
    city leaders, stewards or other areas."""
    if can(user, Action.CHANGE, obj):
        return True
    grants = grants_for(user)
    spec = spec_of(type(obj))
    if Role.ENTERPRISE not in grants.roles or not spec.enterprise:
        return False
    lookup = {f"{spec.enterprise}__in": grants.enterprise_ids}
    return type(obj)._default_manager.filter(pk=obj.pk, **lookup).exists()


def departments_followed(user: Any) -> frozenset[int] | None:
    """Whose work the user follows on the home page: None for the whole city
    (administrators and city leaders), its own departments for department staff and
    heads, and none for everyone else."""
    grants = grants_for(user)
    if grants.is_admin or Role.LEADER in grants.roles:
        return None
    if grants.roles & {Role.DEPT_STAFF, Role.DEPT_HEAD}:
        return grants.department_ids
    return frozenset()


def works_for_the_city(user: Any) -> bool:
    """Does the user hold a role in the city's administration (every role but an
    enterprise user's)? The system pages (reference data, the audit log) are theirs."""
    grants = grants_for(user)
    return grants.is_admin or bool(grants.roles - {Role.ENTERPRISE})


def is_enterprise_user(user: Any) -> bool:
    """Does the user speak for an enterprise only (no role in the city's administration)?"""
    grants = grants_for(user)
    return bool(grants.roles) and grants.roles <= {Role.ENTERPRISE} and not grants.is_admin


def is_steward(user: Any) -> bool:
    """Does the user hold the steward role (even before leading any project)?"""
    return Role.STEWARD in grants_for(user).roles


def city_staff(users: QuerySet[M]) -> QuerySet[M]:
    """Of `users`, the active ones with a role in the city's administration (anyone but an
    enterprise's users): those a form may name for a project's team."""
    staff_roles = [role for role in Role.values if role != Role.ENTERPRISE]
    return users.filter(is_active=True, role_assignments__role__in=staff_roles).distinct()


def project_leader_candidates(users: QuerySet[M]) -> QuerySet[M]:
    """Of `users`, those who may lead a project (包保领导): city leaders and stewards."""
    leading = [Role.LEADER, Role.STEWARD]
    return city_staff(users).filter(role_assignments__role__in=leading).distinct()


def area_choices_for(user: Any, queryset: QuerySet[M]) -> QuerySet[M]:
    """The areas a user may pick in a form or filter: all for city users, its own for area staff."""
    grants = grants_for(user)
    if grants.is_city_wide_reader:
        return queryset
    return queryset.filter(pk__in=grants.area_ids)


def role_labels(user: Any) -> list[str]:
    """Readable role names with their scope, for the top bar."""
    if not getattr(user, "is_authenticated", False):
        return []
    labels = [
        str(a)
        for a in RoleAssignment.objects.filter(user_id=user.pk).select_related(
            "department", "area", "enterprise"
        )
    ]
    if user.is_superuser and not labels:
        labels.append(str(Role.ADMIN.label))
    return labels


def describe(grants: Grants) -> Iterable[str]:
    return sorted(grants.roles)


def sees_internal_notes(user: Any) -> bool:
    """Internal remarks on reference data and rules (a source still to verify, where a
    figure was found) are for administrators; everyone else reads only public text."""
    return bool(user and user.is_authenticated and grants_for(user).is_admin)


def sees_client_addresses(user: Any) -> bool:
    """The address a change came from is for administrators (it tells where a person
    worked from); other readers of the audit log see who and what, not where."""
    return bool(user and user.is_authenticated and grants_for(user).is_admin)
