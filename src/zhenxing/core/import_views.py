"""Upload page, template download and error report for every registered Excel import.

A part with its own upload page (one whose form holds fields the sheet does not, like a
department's list) keeps and serves the error report with `keep_error_report` and
`error_report_response`, as the pages here do.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy

from zhenxing.core import excel, import_jobs, ratelimits, scoping, sheets
from zhenxing.core.models import ImportJob, ImportStatus

ERROR_REPORT_LIMIT = import_jobs.ERROR_REPORT_LIMIT


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Excel 文件（.xlsx）或 CSV 文件"))


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
    if request.method == "POST":
        ratelimits.check(request, ratelimits.IMPORTS)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            outcome = _import_upload(request, spec, upload)
        except sheets.SheetError as exc:
            form.add_error("file", str(exc))
        else:
            if isinstance(outcome, HttpResponse):
                return outcome
            result = outcome
    return render(
        request,
        "core/import.html",
        {"spec": spec, "form": form, "result": result, "title": spec.title},
    )


def _import_upload(
    request: HttpRequest, spec: excel.ImportSpec, upload: UploadedFile
) -> HttpResponse | excel.ImportResult:
    """A small file at once (its errors on this page); a large one in the background
    (its page shows the progress, then the same)."""
    sheets.check_size(upload.size)
    size = upload.size or 0
    data = upload.read() if size <= settings.IMPORT_BACKGROUND_BYTES else None
    if import_jobs.is_large(size, data):
        job = import_jobs.job_start(
            user=request.user,
            spec=spec,
            file_name=upload.name or "",
            chunks=[data] if data is not None else upload.chunks(),
            size=size,
        )
        return redirect("import_job", kind=spec.kind, pk=job.pk)
    assert data is not None
    result = excel.run_import(spec, data, user=request.user)
    if result.ok:
        messages.success(request, result.summary())
        return redirect(request.path)
    keep_error_report(request, spec.kind, result)
    return result


def _job(request: HttpRequest, kind: str, pk: int) -> tuple[excel.ImportSpec, ImportJob]:
    spec = _spec(request, kind)
    job = import_jobs.job_for(request.user, pk)
    if job is None or job.kind != kind:
        raise Http404()
    return spec, job


@login_required
def import_job(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """A background import: its progress while it runs, then its outcome or its errors."""
    spec, job = _job(request, kind, pk)
    result = None
    if job.status == ImportStatus.REFUSED:
        result = excel.ImportResult(
            ok=False,
            rows_total=job.rows_total,
            errors=[excel.RowError(*error) for error in job.errors],
        )
    return render(
        request,
        "core/import_job.html",
        {"spec": spec, "job": job, "result": result, "title": spec.title},
    )


@login_required
def import_job_progress(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """The progress bar the job's page polls; once the job has ended, the whole page."""
    _spec_, job = _job(request, kind, pk)
    response = render(request, "core/_import_progress.html", {"job": job, "spec": _spec_})
    if job.finished:
        response["HX-Refresh"] = "true"
    return response


@login_required
def import_job_errors(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    spec, job = _job(request, kind, pk)
    if not job.errors:
        raise Http404()
    content = excel.build_xlsx(
        ["行号", "列", "值", "错误原因"], job.errors, sheet_name="错误报告", plain_columns={0}
    )
    return excel.xlsx_response(content, f"{spec.title}-错误报告")


@login_required
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    return excel.template_response(_spec(request, kind))


@login_required
def import_error_report(request: HttpRequest, kind: str) -> HttpResponse:
    return error_report_response(request, kind, _spec(request, kind).title)
