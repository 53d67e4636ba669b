"""Celery tasks of the declarations app: thin wrappers that take ids and call one service."""

from celery import shared_task
from django.db import OperationalError


@shared_task(name="declarations.verify", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def declaration_verify(declaration_id: int | None) -> int:
    """Verify a declaration's current version together with the other due ones of the queue, in one
    batch (``None``: the due ones only); a declaration a run already took is left to it (idempotent:
    a re-run replaces the result). Returns how many declarations it claimed."""
    from .services.crosscheck import declarations_verify_queued

    return len(declarations_verify_queued(declaration_id=declaration_id))


@shared_task(name="declarations.verification_sweep")
def verification_sweep() -> int:
    """Beat: re-queue declarations whose verification never happened (lost task, broker down)."""
    from .services.crosscheck import verification_sweep as sweep

    return sweep()


@shared_task(
    name="declarations.logistics_upload_process",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
    reject_on_worker_lost=True,
)
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


@shared_task(
    name="declarations.reverify_job_run",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
    reject_on_worker_lost=True,
)
def reverify_job_run(job_id: int) -> str | None:
    """Queue the open declarations of a supervisor's re-verification job in batches (resumes where a
    previous run stopped; a finished job is left alone)."""
    from .services.risk_rules import reverify_job_run as run

    job = run(job_id=job_id)
    return job.status if job else None


@shared_task(name="declarations.dashboard_refresh")
def dashboard_refresh(port_id: int | None = None) -> int:
    """Beat: recompute the port dashboards' weekly figures (clearance times, inspections, warnings);
    with ``port_id``, only that port's (a supervisor asked for it)."""
    from portal.models import Port

    from .services.dashboard import dashboard_figures_refresh, dashboard_port_refresh

    if port_id is None:
        return dashboard_figures_refresh()
    port = Port.objects.filter(pk=port_id).first()
    if port is not None:
        dashboard_port_refresh(port=port)
    return 1 if port else 0
