"""Turns scoping refusals into 404 / 403 pages, so views need no try/except for them,
and an unavailable database into a 503 (`core.errors.database_unavailable`)."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext

from zhenxing.core import ratelimits, scoping, validation
from zhenxing.core.errors import database_unavailable, is_problem, problem


class ScopingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, scoping.NotFound):
            return render(request, "404.html", status=404)
        if isinstance(exception, scoping.PermissionDenied):
            return render(request, "403.html", {"message": exception.message}, status=403)
        if isinstance(exception, RequestDataTooBig | TooManyFieldsSent):
            return too_big(request)
        if isinstance(exception, OperationalError):
            return database_unavailable(request)
        if isinstance(exception, ratelimits.RateLimited):
            if request.path.startswith("/api/"):
                response = problem(request, 429, "请求过于频繁", exception.message)
            else:
                response = render(request, "429.html", {"message": exception.message}, status=429)
            response["Retry-After"] = str(exception.retry_after)
            return response
        return None


class ApiProblemMiddleware:
    """Under /api/, any error response that is not already problem+json becomes one
    (Django's own 404 for an unknown path, 405 for a wrong method, CSRF 403, …)."""

    TITLES = {
        400: "请求有误",
        401: "未登录",
        403: "无权操作",
        404: "未找到",
        405: "不支持的请求方法",
        413: "请求体太大",
        415: "不支持的内容类型",
        429: "请求过于频繁",
    }

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = self._refuse_body(request) if request.path.startswith("/api/") else None
        response = refused or self.get_response(request)
        if not request.path.startswith("/api/") or response.status_code < 400:
            return response
        if is_problem(response):
            return response
        status = response.status_code
        title = self.TITLES.get(status, "服务器内部错误" if status >= 500 else "请求有误")
        answer = problem(request, status, title)
        if response.has_header("Allow"):
            answer["Allow"] = response["Allow"]
        return answer

    @staticmethod
    def _refuse_body(request: HttpRequest) -> HttpResponse | None:
        """A JSON body over the size limit (413), or holding a control character in any
        string (422 naming each field: `core.validation`), is refused before any route
        reads it."""
        if request.method not in ("POST", "PUT", "PATCH"):
            return None
        if not (request.content_type or "").endswith("json"):
            return None
        try:
            body = request.body
        except RequestDataTooBig:
            return too_big(request)
        try:
            data = json.loads(body) if body else None
        except ValueError:
            return None  # the route answers a malformed body itself
        fields = list(validation.control_characters_in(data))
        if not fields:
            return None
        message = gettext("不能含有控制字符（如 NUL）")
        errors = [
            {"field": field, "message": f"{field}：{message}", "code": "control_characters"}
            for field in fields
        ]
        return problem(
            request, 422, gettext("请求参数有误"), gettext("请按 errors 所列逐项修改"), errors
        )


def too_big(request: HttpRequest) -> HttpResponse:
    """413 for a request body over DATA_UPLOAD_MAX_MEMORY_SIZE (or with more fields than
    DATA_UPLOAD_MAX_NUMBER_FIELDS): problem+json under /api/, a page elsewhere."""
    title = gettext("请求体太大")
    detail = gettext("请求体超过了服务器允许的大小；大文件请用导入功能分批上传")
    if request.path.startswith("/api/"):
        return problem(request, 413, title, detail)
    return render(request, "413.html", {"message": detail}, status=413)
