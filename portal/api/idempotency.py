"""``Idempotency-Key`` for every POST of the API (DESIGN §7): a retried request gives the
same result and never a second record.

How it works, for a signed-in caller who sends the header on a POST:

1. The key is *claimed*: a row ``(user, key)`` is inserted and committed at once. The
   unique constraint decides which of two concurrent requests runs; the other one finds
   the claim and is answered at once with **409 ``idempotency_request_in_progress``**
   (with ``Retry-After``) instead of waiting.
2. The request runs inside one transaction together with the storing of its response, so
   the stored response exists exactly when the request's writes do.
3. A later request with the same user and key, and the same method, path and body, gets
   the stored response again (same status and body) with ``Idempotent-Replayed: true``.
   The same key with a different request is answered **422 ``idempotency_key_reused``**.

Responses with a 5xx status are not stored, and neither are requests that crash: their
claim is released, so the client may retry with the same key. A claim left behind by a
process that died is taken over after :data:`ABANDONED_AFTER`. Keys expire after
:data:`KEY_LIFETIME`; lookups ignore expired keys and :func:`idempotency_keys_purge`
deletes them (to be run by a periodic task).

Views opt in with :class:`IdempotentMixin`; ``tests/portal/test_idempotency.py`` checks
that every POST endpoint under ``/api/v1/`` does.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import ExitStack, suppress
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions, status

from portal.models import IdempotencyKey, User

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
KEY_LIFETIME = timedelta(hours=24)
ABANDONED_AFTER = timedelta(minutes=2)
IN_PROGRESS_RETRY_AFTER_SECONDS = 1


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = _(
        "This Idempotency-Key was already used for a different request; use a new key for a new request."
    )


class IdempotencyRequestInProgress(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_request_in_progress"
    wait = IN_PROGRESS_RETRY_AFTER_SECONDS  # DRF turns this into the Retry-After header
    default_detail = _(
        "A request with this Idempotency-Key is still being processed; retry in a moment to get its result."
    )


class IdempotencyKeyInvalid(exceptions.ValidationError):
    pass


class _Replay(Exception):
    """Carries a stored response out of ``initial()`` to ``handle_exception()``."""

    def __init__(self, record: IdempotencyKey):
        super().__init__(record.key)
        self.record = record


# --- the rules, callable without a view -----------------------------------------------------------------------


def request_fingerprint(request) -> str:
    """SHA-256 over the method, the full path and the body, so that only the same request replays.

    JSON bodies are compared by content (key order and white space do not matter); form and
    multipart bodies by their fields and the SHA-256 of each uploaded file (the multipart
    boundary differs on every retry).
    """
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b"\n" + request.get_full_path().encode() + b"\n")
    media_type = (request.content_type or "").split(";")[0].strip().lower()
    if media_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        fields = sorted((name, sorted(request.POST.getlist(name))) for name in request.POST)
        files = []
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                file_digest = hashlib.sha256()
                for chunk in upload.chunks():
                    file_digest.update(chunk)
                upload.seek(0)
                files.append([name, upload.name, upload.size, file_digest.hexdigest()])
        digest.update(json.dumps({"fields": fields, "files": files}, sort_keys=True).encode())
        return digest.hexdigest()
    body = request.body
    with suppress(ValueError, UnicodeDecodeError):
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    digest.update(body)
    return digest.hexdigest()


def idempotency_claim(*, user: User, key: str, fingerprint: str, path: str) -> IdempotencyKey:
    """Claim ``key`` for this request, or raise what the caller must answer instead.

    Raises :class:`_Replay` with the stored response, :class:`IdempotencyKeyReused` (422) or
    :class:`IdempotencyRequestInProgress` (409). Must run outside the request's transaction:
    the claim is committed at once so that a concurrent request sees it.
    """
    for _attempt in range(3):
        now = timezone.now()
        try:
            # Savepoint: a duplicate key must not spoil an enclosing transaction (tests run in one).
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    user=user, key=key, fingerprint=fingerprint, path=path[:500], created_at=now
                )
        except IntegrityError:
            pass
        existing = IdempotencyKey.objects.filter(user=user, key=key).first()
        if existing is None:  # released by its request in the meantime
            continue
        expired = existing.created_at <= now - KEY_LIFETIME
        abandoned = existing.completed_at is None and existing.created_at <= now - ABANDONED_AFTER
        if expired or abandoned:
            # Take the key over; the filter on created_at lets only one of several takers delete it.
            IdempotencyKey.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
            continue
        if existing.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        if existing.completed_at is None:
            raise IdempotencyRequestInProgress()
        raise _Replay(existing)
    raise IdempotencyRequestInProgress()


def idempotency_complete(*, claim: IdempotencyKey, response) -> None:
    """Store the rendered response of a claimed request (in the request's transaction)."""
    claim.response_status = response.status_code
    claim.response_content_type = response.get("Content-Type", "")[:100]
    claim.response_body = bytes(response.content)
    claim.completed_at = timezone.now()
    claim.save(update_fields=["response_status", "response_content_type", "response_body", "completed_at"])


def idempotency_release(*, claim: IdempotencyKey) -> None:
    """Forget a claim whose request failed with a server error, so the client may retry with the key."""
    IdempotencyKey.objects.filter(pk=claim.pk, completed_at__isnull=True).delete()


def idempotency_replay(record: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        bytes(record.response_body), status=record.response_status, content_type=record.response_content_type or None
    )
    response[REPLAYED_HEADER] = "true"
    return response


def idempotency_keys_purge(*, now=None) -> int:
    """Delete keys older than :data:`KEY_LIFETIME`; returns how many. Lookups ignore them anyway."""
    cutoff = (now or timezone.now()) - KEY_LIFETIME
    deleted, _detail = IdempotencyKey.objects.filter(created_at__lte=cutoff).delete()
    return deleted


# --- the view side ---------------------------------------------------------------------------------------------


IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string (e.g. a UUID) of at most 255 characters. Retrying the same request with the same "
        "key within 24 hours returns the first response again (header `Idempotent-Replayed: true`) instead of "
        "acting twice. The same key with a different body is refused with 422; while the first request is "
        "still running, a retry gets 409 `idempotency_request_in_progress` with `Retry-After`."
    ),
)
REPLAYED_PARAMETER = OpenApiParameter(
    name=REPLAYED_HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    response=[200, 201],
    enum=["true"],
    description="Present when this response is the stored response of an earlier request.",
)


class IdempotentAutoSchema(AutoSchema):
    """Documents the ``Idempotency-Key`` header and its 409/422 answers on every POST."""

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.method == "POST":
            parameters = [*parameters, IDEMPOTENCY_KEY_PARAMETER, REPLAYED_PARAMETER]
        return parameters

    def _get_response_bodies(self, direction="response"):
        from portal.api.serializers import ErrorSerializer

        responses = super()._get_response_bodies(direction)
        if self.method == "POST":
            extra = {
                "409": "Conflict: the declaration is not in a state that allows this, or a request with the same "
                "Idempotency-Key is still in progress.",
                "422": "The Idempotency-Key was already used for a different request.",
            }
            for code, description in extra.items():
                if code not in responses:
                    responses[code] = self._get_response_for_code(
                        OpenApiResponse(ErrorSerializer, description=description), code, direction=direction
                    )
        return responses


class IdempotentMixin:
    """For DRF views: honour ``Idempotency-Key`` on POST (see the module docstring)."""

    schema = IdempotentAutoSchema()
    _idempotency_claim: IdempotencyKey | None = None
    _idempotency_transaction: ExitStack | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, permissions and throttles come first
        key = request.headers.get(HEADER, "").strip()
        if request.method != "POST" or not key or not request.user.is_authenticated:
            return
        if len(key) > MAX_KEY_LENGTH:
            raise IdempotencyKeyInvalid({HEADER: [f"At most {MAX_KEY_LENGTH} characters."]})
        self._idempotency_claim = idempotency_claim(
            user=request.user,
            key=key,
            fingerprint=request_fingerprint(request),
            path=request.get_full_path(),
        )
        # One transaction for the request's writes and its stored response (committed in finalize_response).
        self._idempotency_transaction = ExitStack()
        self._idempotency_transaction.enter_context(transaction.atomic())

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            return idempotency_replay(exc.record)
        try:
            return super().handle_exception(exc)
        except BaseException as unhandled:  # a server error: roll back, release the key, let Django answer 500
            self._idempotency_abort(unhandled)
            raise

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        claim, stack = self._idempotency_claim, self._idempotency_transaction
        if claim is None or stack is None:
            return response
        if response.status_code >= 500:
            self._idempotency_abort(None)
            return response
        try:
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            idempotency_complete(claim=claim, response=response)
        except BaseException as error:
            self._idempotency_abort(error)
            raise
        self._idempotency_claim = self._idempotency_transaction = None
        stack.close()  # commit the request's writes together with its stored response
        return response

    def _idempotency_abort(self, error: BaseException | None) -> None:
        claim, stack = self._idempotency_claim, self._idempotency_transaction
        self._idempotency_claim = self._idempotency_transaction = None
        if stack is not None:
            if error is None:
                transaction.set_rollback(True)
                stack.close()
            else:
                stack.__exit__(type(error), error, error.__traceback__)
        if claim is not None:
            idempotency_release(claim=claim)
