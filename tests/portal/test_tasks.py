import time

import pytest
from django.db import transaction

from portal.models import ServiceHeartbeat
from portal.tasks import heartbeat


@pytest.mark.worker
def test_heartbeat_runs_in_the_real_worker(celery_worker):
    from django.conf import settings

    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    heartbeat.delay()
    deadline = time.monotonic() + 30
    while not ServiceHeartbeat.objects.filter(name="worker").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ServiceHeartbeat.objects.get(name="worker").detail


@pytest.mark.worker
def test_a_task_scheduled_on_commit_is_not_sent_when_the_transaction_rolls_back(celery_worker):
    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        heartbeat.delay_on_commit()
        raise Rollback
    time.sleep(2)  # long enough for the worker to have run it, had it been sent
    assert not ServiceHeartbeat.objects.filter(name="worker").exists()

    with transaction.atomic():
        heartbeat.delay_on_commit()
    deadline = time.monotonic() + 30
    while not ServiceHeartbeat.objects.filter(name="worker").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ServiceHeartbeat.objects.filter(name="worker").exists()


def test_beat_schedule_is_defined_in_one_place():
    from portal.celery import app

    assert app.conf.beat_schedule["worker-heartbeat"]["task"] == "portal.heartbeat"
    assert "portal.heartbeat" in app.tasks
