"""Upload page, template download and error report for every registered Excel import.

A part with its own upload page (one whose form holds fields the sheet does not, like a
department's list) keeps and serves the error report with `keep_error_report` and
`error_report_response`, as the pages here do.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_lazy

from zhenxing.core import excel, scoping

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
ERROR_REPORT_LIMIT = 5000


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Excel 文件（.xlsx）"))


def keep_error_report(request: HttpRequest, key: str, result: excel.ImportResult) -> None:
    """Keep a failed import's errors in the session for `error_report_response`."""
    request.session[f"import-errors-{key}"] = [
        [e.row, e.column, e.value, e.reason] for e in result.errors[:ERROR_REPORT_LIMIT]
    ]


def error_report_response(request: HttpRequest, key: str, title: str) -> HttpResponse:
    """The last failed import's errors (row, column, value, reason) as .xlsx, or 404."""
    rows = request.session.get(f"import-errors-{key}")
    if not rows:
        raise Http404()
    content = excel.build_xlsx(
        ["行号", "列", "值", "错误原因"], rows, sheet_name="错误报告", plain_columns={0}
    )
    return excel.xlsx_response(content, f"{title}-错误报告")


def _spec(request: HttpRequest, kind: str) -> excel.ImportSpec:
    """The import, if it exists and the user may use it (403 otherwise: a leader is not
    shown an upload form whose every row would be refused)."""
    spec = excel.REGISTRY.get(kind)
    if spec is None:
        raise Http404()
    if not excel.may_import(request.user, spec):
        raise scoping.PermissionDenied()
    return spec


@login_required
def import_upload(request: HttpRequest, kind: str) -> HttpResponse:
    spec = _spec(request, kind)
    form = UploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            form.add_error("file", gettext("文件太大（上限 20 MB）"))
        else:
            result = excel.run_import(spec, upload.read(), user=request.user)
            if result.ok:
                messages.success(request, result.summary())
                return redirect(request.path)
            keep_error_report(request, kind, result)
    return render(
        request,
        "core/import.html",
        {"spec": spec, "form": form, "result": result, "title": spec.title},
    )


@login_required
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    return excel.template_response(_spec(request, kind))


@login_required
def import_error_report(request: HttpRequest, kind: str) -> HttpResponse:
    return error_report_response(request, kind, _spec(request, kind).title)
