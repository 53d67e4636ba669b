"""Pages for logistics users: upload a CSV file of records and watch it being processed.

The file is checked and stored by a background task (``declarations.logistics_upload_process``);
the upload's page polls a small fragment every second with htmx while it runs, and stops
once the upload has finished. Users see only their own organisation's uploads (404 otherwise).
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from portal.choices import Role
from portal.roles import role_required

from .models import LogisticsUpload, LogisticsUploadKind
from .services.logistics import MAX_RECORDS
from .services.logistics_uploads import (
    CSV_COLUMNS,
    MAX_UPLOAD_BYTES,
    REQUIRED_COLUMNS,
    logistics_csv_template,
    logistics_upload_create,
    logistics_upload_errors_csv,
    logistics_upload_get,
    logistics_upload_list,
)

logistics_required = role_required(Role.LOGISTICS_SYSTEM)
TEMPLATE_FILE_NAMES = {kind: f"{kind.replace('_', '-')}-template.csv" for kind in LogisticsUploadKind.values}


class LogisticsUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("The file contains"), choices=LogisticsUploadKind.choices, widget=forms.RadioSelect
    )
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "UTF-8 or GB 18030, comma- or semicolon-separated, with the column names in the first row."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


def _upload(request, pk: int) -> LogisticsUpload:
    try:
        return logistics_upload_get(actor=request.user, upload_id=pk)
    except LogisticsUpload.DoesNotExist:
        raise Http404 from None


def _kinds() -> list[dict]:
    return [
        {
            "value": kind,
            "label": label,
            "columns": CSV_COLUMNS[kind],
            "required": [column for column in CSV_COLUMNS[kind] if column in REQUIRED_COLUMNS[kind]],
        }
        for kind, label in LogisticsUploadKind.choices
    ]


@logistics_required
@require_http_methods(["GET", "POST"])
def logistics_upload_list_view(request):
    """The organisation's recent uploads and the form for a new one."""
    form = LogisticsUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            upload = logistics_upload_create(
                actor=request.user, kind=form.cleaned_data["kind"], file=form.cleaned_data["file"]
            )
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, field_errors)
        else:
            messages.success(request, _("The file was received; its rows are being checked."))
            return redirect("logistics:upload-detail", upload.pk)
    return render(
        request,
        "declarations/logistics/upload_list.html",
        {
            "form": form,
            "uploads": logistics_upload_list(actor=request.user),
            "kinds": _kinds(),
            "max_records": f"{MAX_RECORDS:,}",
            "max_megabytes": MAX_UPLOAD_BYTES // (1024 * 1024),
        },
    )


@logistics_required
@require_GET
def logistics_upload_detail_view(request, pk: int):
    return render(request, "declarations/logistics/upload_detail.html", {"upload": _upload(request, pk)})


@logistics_required
@require_GET
def logistics_upload_progress_view(request, pk: int):
    """The progress fragment the detail page polls; it stops polling itself once the upload is finished."""
    return render(request, "declarations/logistics/_upload_progress.html", {"upload": _upload(request, pk)})


@logistics_required
@require_GET
def logistics_upload_errors_view(request, pk: int):
    upload = _upload(request, pk)
    if not upload.errors:
        raise Http404
    response = HttpResponse(logistics_upload_errors_csv(upload), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="upload-{upload.pk}-errors.csv"'
    return response


@logistics_required
@require_GET
def logistics_template_view(request, kind: str):
    if kind not in LogisticsUploadKind.values:
        raise Http404
    response = HttpResponse(logistics_csv_template(kind), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{TEMPLATE_FILE_NAMES[kind]}"'
    return response
