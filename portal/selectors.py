"""Reads shared by pages and the API."""

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .models import ServiceHeartbeat

WORKER_STALE_AFTER = timedelta(minutes=3)


def broker_reachable() -> bool | None:
    """True/False when a broker is configured and answers or not; None when tasks run in-process."""
    if not settings.CELERY_BROKER_URL:
        return None
    from portal.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


def health_report() -> dict:
    """Database, broker and worker state, as shown on /api/v1/health."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database_ok = True
    except Exception:
        database_ok = False
    broker = broker_reachable()
    heartbeat = ServiceHeartbeat.objects.filter(name="worker").first() if database_ok else None
    worker_fresh = bool(heartbeat and timezone.now() - heartbeat.last_seen < WORKER_STALE_AFTER)
    return {
        "ok": database_ok and broker is not False,
        "database": "ok" if database_ok else "unreachable",
        "broker": {None: "in-process", True: "ok", False: "unreachable"}[broker],
        "worker_last_seen": heartbeat.last_seen.isoformat() if heartbeat else None,
        "worker_fresh": worker_fresh if broker is not None else None,
    }


# --- Notifications -----------------------------------------------------------------------------------


def notification_list(*, actor):
    """The actor's notifications, newest first (the inbox index covers it)."""
    from .models import Notification

    return Notification.objects.filter(recipient_id=actor.pk).order_by("-created_at", "-id")


# The nav badge counts unread notifications up to this and shows "99+" beyond: an officer notified of every critical
# warning at a busy port has tens of thousands, and a full count would read every one of them on every page.
UNREAD_COUNTED_UP_TO = 99


def notification_unread_count(*, actor) -> int:
    """How many of the actor's notifications are unread, counted up to ``UNREAD_COUNTED_UP_TO + 1``: one indexed
    COUNT that reads at most that many index entries, however many there are."""
    from .models import Notification

    unread = Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True)
    return unread[: UNREAD_COUNTED_UP_TO + 1].count()
