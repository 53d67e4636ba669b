from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "inspections"

    def ready(self) -> None:
        from portal.ledger.registry import register

        from .certificates import tasks as certificate_tasks  # noqa: F401 — registers the PDF task with Celery
        from .certificates.verification import CERTIFICATE_RECORD

        register(CERTIFICATE_RECORD)
