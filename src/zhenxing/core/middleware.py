"""Turns scoping refusals into 404 / 403 pages, so views need no try/except for them."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from zhenxing.core import ratelimits, scoping
from zhenxing.core.errors import is_problem, problem


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
        response = self.get_response(request)
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
