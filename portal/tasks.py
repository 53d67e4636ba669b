import socket

from celery import shared_task

from portal.ledger.tasks import ledger_checkpoint  # noqa: F401 — registers the ledger's task with autodiscovery

from . import services


@shared_task(name="portal.heartbeat")
def heartbeat() -> str:
    """Prove a worker is alive: the beat schedule runs this every minute."""
    services.heartbeat_record(name="worker", detail=socket.gethostname())
    return "ok"


@shared_task(name="portal.idempotency_keys_purge")
def idempotency_keys_purge() -> int:
    """Beat: forget Idempotency-Keys older than their 24-hour lifetime."""
    from portal.api.idempotency import idempotency_keys_purge as purge

    return purge()
