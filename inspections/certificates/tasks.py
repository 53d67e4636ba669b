"""The certificate PDF task: a thin wrapper that takes an id and calls the rendering service.

Registered with Celery when the inspections app is ready (``InspectionsConfig.ready``),
since autodiscovery only imports ``inspections.tasks``.
"""

from celery import shared_task
from django.db import OperationalError


@shared_task(
    name="inspections.certificate_pdf_render", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5
)
def certificate_pdf_render(certificate_id: int) -> str | None:
    """Render a certificate's PDF as it is now (idempotent: a re-run replaces its own previous file)."""
    from .services import certificate_pdf_render as render

    certificate = render(certificate_id=certificate_id)
    return certificate.pdf_sha256 if certificate else None
