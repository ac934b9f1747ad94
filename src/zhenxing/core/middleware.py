"""Turns scoping refusals into 404 / 403 pages, so views need no try/except for them."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from zhenxing.core import scoping


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
        return None
