"""The `/api/v1` API: one NinjaAPI, one router per part, errors as RFC 9457 problem+json.

Auth: the browser session (with CSRF on writes) or `Authorization: Bearer <token>`
(`zhenxing token create USERNAME`). Every route loads records through `core.scoping`.
"""

from __future__ import annotations

import functools
import logging
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import DataError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer

from zhenxing.core import ratelimits, scoping, tokens, validation_messages
from zhenxing.core.errors import database_unavailable, problem
from zhenxing.core.middleware import too_big
from zhenxing.core.services import DomainError

logger = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = tokens.user_for_key(token)
        if user is not None:
            request.user = user
        return user


class Session(APIKeyCookie):
    """The browser session; CSRF is checked on unsafe methods."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


def _docs_access(view: Any) -> Any:
    """The API reference and schema for signed-in users only when
    `settings.API_DOCS_SIGNED_IN` says so (ZHENXING_API_DOCS_SIGNED_IN)."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if (
            settings.API_DOCS_SIGNED_IN
            and not request.user.is_authenticated
            and tokens.user_for_key(bearer) is None
        ):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return guarded


api = NinjaAPI(
    title="振兴 Zhenxing API",
    version="1",
    description=(
        "营口市产业发展服务平台 API。认证：浏览器会话（写操作需 CSRF）或 "
        "`Authorization: Bearer <token>`。错误以 application/problem+json (RFC 9457) 返回，"
        "`errors` 列出每个出错字段。"
    ),
    auth=[BearerToken(), Session(csrf=True)],
    urls_namespace="api",
    docs_decorator=_docs_access,
)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Each refused field named, in the reader's language (Chinese unless the request
    asks for English with Accept-Language)."""
    errors = [
        {
            "field": validation_messages.field_name(error.get("loc", ())),
            "message": validation_messages.describe(error),
            "code": str(error.get("type", "")),
        }
        for error in exc.errors
    ]
    return problem(
        request, 422, gettext("请求参数有误"), gettext("请按 errors 所列逐项修改"), errors
    )


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    errors = [{"field": k, "message": v, "code": "invalid"} for k, v in exc.errors.items()]
    return problem(request, 400, exc.message, exc.message, errors)


@api.exception_handler(scoping.NotFound)
def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem(request, 404, "未找到", "记录不存在或您无权查看")


@api.exception_handler(Http404)
def on_http404(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem(request, 404, "未找到", "记录不存在或您无权查看")


@api.exception_handler(scoping.PermissionDenied)
def on_denied(request: HttpRequest, exc: scoping.PermissionDenied) -> HttpResponse:
    return problem(request, 403, "无权操作", exc.message)


@api.exception_handler(ratelimits.RateLimited)
def on_rate_limited(request: HttpRequest, exc: ratelimits.RateLimited) -> HttpResponse:
    response = problem(request, 429, "请求过于频繁", exc.message)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    response = problem(request, 401, "未登录", "请登录，或在请求头中提供 Bearer 令牌")
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    status = exc.status_code
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "错误"
    return problem(request, status, str(exc.message) or title, str(exc.message))


@api.exception_handler(OverflowError)
def on_overflow(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem(request, 422, "数值超出范围", "请求中的某个数字超出了允许的范围")


@api.exception_handler(DataError)
def on_data_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    # The database refused a value (out of range, too long): bad input, not a server fault.
    return problem(request, 422, "数值超出范围", "请求中的某个值超出了数据库允许的范围")


@api.exception_handler(OperationalError)
def on_database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Locked or unreachable: the request's transaction was rolled back; try again later.
    return database_unavailable(request)


@api.exception_handler(MultiPartParserError)
def on_unreadable_multipart(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A multipart body without a usable boundary cannot be read: the client's fault.
    return problem(
        request,
        400,
        "请求体格式有误",
        "无法读取 multipart/form-data 请求体：Content-Type 须带有效的 boundary",
    )


@api.exception_handler(RequestDataTooBig)
@api.exception_handler(TooManyFieldsSent)
def on_too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Django refuses to read a body over DATA_UPLOAD_MAX_MEMORY_SIZE: the client's fault.
    return too_big(request)


@api.exception_handler(Exception)
def on_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s", request.path)
    return problem(request, 500, "服务器内部错误", "请稍后再试；问题已记录")


def _add_routers() -> None:
    from zhenxing.core.api import router as core_router
    from zhenxing.enterprises.api import router as enterprise_router
    from zhenxing.policies.api import router as policy_router
    from zhenxing.projects.api import router as project_router
    from zhenxing.projects.stewards.api import router as steward_router

    api.add_router("/", core_router)
    api.add_router("/enterprises", enterprise_router)
    api.add_router("/projects", project_router)
    api.add_router("/stewards", steward_router)
    api.add_router("/policies", policy_router)


_add_routers()
