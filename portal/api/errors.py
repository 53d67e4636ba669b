"""One JSON error format for the whole API.

Every error body is ``{"code": str, "detail": str, "fields": {field: [messages]}}``;
``fields`` is empty when the error is not about particular fields.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from portal.exceptions import DomainError


def _flatten(detail) -> list[str]:
    if isinstance(detail, dict):
        return [f"{key}: {message}" for key, value in detail.items() for message in _flatten(value)]
    if isinstance(detail, list):
        return [message for item in detail for message in _flatten(item)]
    return [str(detail)]


def _dotted(detail, path: str) -> dict[str, list[str]]:
    """Nested serializer errors as ``{dotted path: [messages]}``, e.g. ``items.2.hs_code``; errors about a
    nested object as a whole (its ``non_field_errors``) are named by the object's own path, e.g. ``items``."""
    if isinstance(detail, dict):
        return {
            name: messages
            for key, value in detail.items()
            for name, messages in _dotted(
                value, path if key == api_settings.NON_FIELD_ERRORS_KEY else f"{path}.{key}"
            ).items()
        }
    if isinstance(detail, list) and any(isinstance(entry, (dict, list)) for entry in detail):
        fields: dict[str, list[str]] = {}
        for index, entry in enumerate(detail):
            if isinstance(entry, (dict, list)):
                for name, messages in _dotted(entry, f"{path}.{index}").items():
                    fields.setdefault(name, []).extend(messages)
            elif entry:
                fields.setdefault(path, []).append(str(entry))
        return fields
    return {path: _flatten(detail)}


def _field_errors(detail) -> dict:
    """Field errors keyed by the field's dotted path (``origin_port``, ``items.0.net_mass``), never nested."""
    if isinstance(detail, dict):
        return {name: messages for key, value in detail.items() for name, messages in _dotted(value, str(key)).items()}
    return {"non_field_errors": _flatten(detail)}


def error_body(code: str, detail: str, fields: dict | None = None) -> dict:
    return {"code": code, "detail": detail, "fields": fields or {}}


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        fields = {exc.field: [exc.message]} if exc.field else {}
        return Response(error_body(exc.code, exc.message, fields), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body("invalid", _("Some fields are not valid."), _field_errors(exc.detail))
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = codes if isinstance(codes, str) else "error"
        response.data = error_body(code, " ".join(_flatten(exc.detail)))
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS and getattr(exc, "wait", None):
        response.data["retry_after_seconds"] = int(exc.wait)
    return response
