"""Celery tasks of the declarations app: thin wrappers that take ids and call one service."""

from celery import shared_task
from django.db import OperationalError


@shared_task(name="declarations.verify", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def declaration_verify(declaration_id: int) -> str | None:
    """Verify a declaration's current version (idempotent: a re-run replaces the result)."""
    from .services.crosscheck import declaration_verify as verify

    run = verify(declaration_id=declaration_id)
    return run.lane if run else None


@shared_task(name="declarations.verification_sweep")
def verification_sweep() -> int:
    """Beat: re-queue declarations whose verification never happened (lost task, broker down)."""
    from .services.crosscheck import verification_sweep as sweep

    return sweep()


@shared_task(name="declarations.logistics_upload_process", autoretry_for=(OperationalError,), retry_backoff=True,
             max_retries=5, acks_late=True, reject_on_worker_lost=True)
def logistics_upload_process(upload_id: int) -> str | None:
    """Ingest an uploaded CSV file of logistics records (idempotent: a re-run of an unfinished upload
    starts over and replaces its own partial result; a finished upload is left alone)."""
    from .services.logistics_uploads import logistics_upload_process as process

    upload = process(upload_id=upload_id)
    return upload.status if upload else None


@shared_task(name="declarations.logistics_uploads_resend_stale")
def logistics_uploads_resend_stale() -> int:
    """Beat: send again the uploads whose processing task was lost (broker down, worker died)."""
    from .services.logistics_uploads import logistics_uploads_resend_stale as resend

    return resend()
