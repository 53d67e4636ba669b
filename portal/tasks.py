import socket

from celery import shared_task

from . import services


@shared_task(name="portal.heartbeat")
def heartbeat() -> str:
    """Prove a worker is alive: the beat schedule runs this every minute."""
    services.heartbeat_record(name="worker", detail=socket.gethostname())
    return "ok"

from portal.ledger.tasks import ledger_checkpoint  # noqa: E402,F401
