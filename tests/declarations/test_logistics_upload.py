"""CSV uploads of logistics records: pages, the background task, progress, error reports, idempotent re-runs."""

import csv
import io
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from declarations.models import ContainerEvent, LogisticsUpload, Manifest, ManifestLine, SensorReading
from declarations.services.logistics_uploads import (
    CSV_COLUMNS,
    logistics_csv_template,
    logistics_upload_create,
    logistics_upload_process,
    logistics_uploads_resend_stale,
)
from declarations.tasks import logistics_upload_process as logistics_upload_task
from portal.celery import app
from tests import factories

UPLOADS = "/logistics/uploads/"
EVENT_HEADER = "external_id,container_number,event_type,port,vessel,voyage,occurred_at,seal_number,weight\n"


def events_csv(rows: int, *, bad_row: int | None = None) -> bytes:
    lines = [EVENT_HEADER]
    for n in range(rows):
        number = "CSQU3054384" if n == bad_row else "CSQU3054383"
        lines.append(f"EV-{n:06d},{number},gate_in,CNSUD,,,2026-03-01T08:30:00+08:00,SL1,\n")
    return "".join(lines).encode()


def csv_file(content: bytes, name: str = "events.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


@pytest.fixture
def eager_tasks(monkeypatch):
    """Run tasks in-process, as the portal does when no broker is configured."""
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    monkeypatch.setitem(app.conf, "task_eager_propagates", True)


@pytest.fixture
def carrier():
    return factories.logistics_system()


@pytest.fixture
def browser_client(client, carrier):
    client.force_login(carrier)
    return client


def upload_through_page(client, django_capture_on_commit_callbacks, kind: str, content: bytes, name="f.csv"):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(UPLOADS, {"kind": kind, "file": csv_file(content, name)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return LogisticsUpload.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


# --- the page, end to end with the task run in-process -----------------------------------------------------------


@pytest.mark.django_db
def test_a_good_file_is_stored_and_the_page_shows_the_result(
    browser_client, carrier, eager_tasks, django_capture_on_commit_callbacks
):
    page = browser_client.get(UPLOADS)
    assert page.status_code == 200
    assert b"Upload logistics data" in page.content

    upload = upload_through_page(
        browser_client, django_capture_on_commit_callbacks, "container_events", events_csv(3), name="gate.csv"
    )

    assert upload.status == "succeeded"
    assert (upload.rows_total, upload.rows_processed, upload.stored, upload.duplicates) == (3, 3, 3, 0)
    assert ContainerEvent.objects.filter(source=carrier.organisation).count() == 3
    detail = browser_client.get(reverse("logistics:upload-detail", args=[upload.pk])).content.decode()
    assert "3 records received: 3 stored, 0 already stored before." in detail
    assert 'hx-trigger="every 1s"' not in detail  # finished: no more polling
    home = browser_client.get("/").content.decode()
    assert reverse("logistics:uploads") in home and "gate.csv" in home


@pytest.mark.django_db
def test_a_file_with_one_bad_row_stores_nothing_and_offers_an_error_report(
    browser_client, eager_tasks, django_capture_on_commit_callbacks
):
    upload = upload_through_page(
        browser_client, django_capture_on_commit_callbacks, "container_events", events_csv(1000, bad_row=617)
    )

    assert upload.status == "failed"
    assert not ContainerEvent.objects.exists()
    assert upload.errors == [
        {
            "row": 619,
            "field": "container_number",  # row 1 is the header
            "message": "The check digit of CSQU3054384 is wrong: for CSQU305438 it must be 3.",
        }
    ]
    detail = browser_client.get(reverse("logistics:upload-detail", args=[upload.pk])).content.decode()
    assert "nothing was stored" in detail and "619" in detail
    report = browser_client.get(reverse("logistics:upload-errors", args=[upload.pk]))
    assert report["Content-Type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(report.content.decode()))) == [
        ["row", "field", "message"],
        ["619", "container_number", "The check digit of CSQU3054384 is wrong: for CSQU305438 it must be 3."],
    ]


@pytest.mark.django_db
def test_manifest_rows_with_one_external_id_are_one_manifest_and_errors_name_the_csv_row(
    browser_client, carrier, eager_tasks, django_capture_on_commit_callbacks
):
    header = ",".join(CSV_COLUMNS["manifests"]) + "\n"
    good = header + (
        "MF-1,Barge Co,YUE HAI 18,2611S,CNSUD,CNSHK,BL-1,Holland B.V.,80,2400,CSQU3054383 MSKU1234565\n"
        "MF-1,Barge Co,YUE HAI 18,2611S,CNSUD,CNSHK,BL-2,Garden B.V.,12,310.5,TGHU1234567\n"
        "MF-2,Barge Co,YUE HAI 19,2612S,CNSUD,CNSHK,BL-3,Other B.V.,1,5,\n"
    )
    upload = upload_through_page(browser_client, django_capture_on_commit_callbacks, "manifests", good.encode())
    assert upload.status == "succeeded", upload.errors
    assert (upload.received, upload.stored) == (2, 2)
    assert Manifest.objects.count() == 2
    assert sorted(ManifestLine.objects.values_list("transport_document_number", flat=True)) == ["BL-1", "BL-2", "BL-3"]
    assert ManifestLine.objects.get(transport_document_number="BL-1").containers == ["CSQU3054383", "MSKU1234565"]

    bad = header + (
        "MF-3,Barge Co,YUE HAI 18,2611S,CNSUD,CNSHK,BL-4,Holland B.V.,80,2400,CSQU3054383\n"
        "MF-3,Barge Co,YUE HAI 18,2611S,CNSUD,CNSHK,BL-5,Garden B.V.,0,310.5,MSKU1234560\n"
        "MF-4,Barge Co,YUE HAI 19,2612S,XXXXX,CNSHK,BL-6,Other B.V.,1,5,\n"
    )
    upload = upload_through_page(browser_client, django_capture_on_commit_callbacks, "manifests", bad.encode())
    assert upload.status == "failed"
    assert [(error["row"], error["field"]) for error in upload.errors] == [
        (3, "containers"),
        (3, "packages"),
        (4, "port_of_loading"),
    ]
    assert Manifest.objects.count() == 2


@pytest.mark.django_db
def test_sensor_readings_upload_and_duplicates_across_uploads(
    browser_client, eager_tasks, django_capture_on_commit_callbacks
):
    content = logistics_csv_template("sensor_readings").encode()
    first = upload_through_page(browser_client, django_capture_on_commit_callbacks, "sensor_readings", content)
    again = upload_through_page(browser_client, django_capture_on_commit_callbacks, "sensor_readings", content)
    assert (first.status, first.stored, first.duplicates) == ("succeeded", 3, 0)
    assert (again.status, again.stored, again.duplicates) == ("succeeded", 0, 3)
    assert SensorReading.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\n\n", "lacks the column"),
        (b"\x00\x01PK binary", "not a text (CSV) file"),
        (b"external_id,container_number\nEV-1,CSQU3054383\n", "lacks the column"),
        (EVENT_HEADER.encode(), "no rows"),
    ],
)
def test_a_file_that_is_not_a_usable_csv_fails_with_one_clear_message(
    browser_client, eager_tasks, content, message, django_capture_on_commit_callbacks
):
    upload = upload_through_page(browser_client, django_capture_on_commit_callbacks, "container_events", content)
    assert upload.status == "failed"
    assert len(upload.errors) == 1 and message in upload.errors[0]["message"]


@pytest.mark.django_db
def test_an_empty_file_is_refused_by_the_form(browser_client):
    response = browser_client.post(UPLOADS, {"kind": "container_events", "file": csv_file(b"")})
    assert response.status_code == 200
    assert "The submitted file is empty." in response.content.decode()
    assert not LogisticsUpload.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["manifests", "container_events", "sensor_readings"])
def test_each_kind_has_a_downloadable_template_that_uploads_cleanly(
    browser_client, eager_tasks, kind, django_capture_on_commit_callbacks
):
    response = browser_client.get(reverse("logistics:template", args=[kind]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines()[0] == ",".join(CSV_COLUMNS[kind])
    upload = upload_through_page(browser_client, django_capture_on_commit_callbacks, kind, response.content)
    assert upload.status == "succeeded", upload.errors


@pytest.mark.django_db
def test_only_logistics_users_reach_the_pages_and_only_their_organisations_uploads(client, carrier):
    upload = logistics_upload_create(
        actor=carrier, kind="container_events", file=csv_file(events_csv(1), name="ours-gate-feed.csv")
    )
    detail = reverse("logistics:upload-detail", args=[upload.pk])

    assert client.get(UPLOADS).status_code == 302  # anonymous → sign in
    client.force_login(factories.trader())
    assert client.get(UPLOADS).status_code == 403
    assert client.get(reverse("logistics:template", args=["manifests"])).status_code == 403
    client.force_login(factories.logistics_system())  # another logistics organisation
    assert client.get(detail).status_code == 404
    assert client.get(reverse("logistics:upload-progress", args=[upload.pk])).status_code == 404
    others_page = client.get(UPLOADS).content
    assert b"ours-gate-feed.csv" not in others_page and detail.encode() not in others_page
    client.force_login(carrier)
    assert client.get(detail).status_code == 200


@pytest.mark.django_db
def test_the_progress_fragment_polls_while_running_and_stops_when_finished(browser_client, carrier):
    upload = logistics_upload_create(actor=carrier, kind="container_events", file=csv_file(events_csv(4)))
    LogisticsUpload.objects.filter(pk=upload.pk).update(status="running", rows_total=4, rows_processed=2)
    fragment = browser_client.get(reverse("logistics:upload-progress", args=[upload.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in fragment
    assert 'value="50"' in fragment and "2 of 4 records checked" in fragment
    assert "<script" not in fragment

    logistics_upload_process(upload_id=upload.pk)
    fragment = browser_client.get(reverse("logistics:upload-progress", args=[upload.pk])).content.decode()
    assert "hx-get" not in fragment and "4 stored" in fragment


# --- the task ------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_rerun_after_a_crash_starts_over_and_replaces_the_partial_result(carrier):
    upload = logistics_upload_create(actor=carrier, kind="container_events", file=csv_file(events_csv(5)))
    # A worker died mid-run: the upload was left running with a partial count.
    LogisticsUpload.objects.filter(pk=upload.pk).update(status="running", attempt=1, rows_total=5, rows_processed=3)

    logistics_upload_task.apply(args=[upload.pk]).get()

    upload.refresh_from_db()
    assert (upload.status, upload.attempt, upload.rows_processed, upload.stored) == ("succeeded", 2, 5, 5)
    assert ContainerEvent.objects.count() == 5


@pytest.mark.django_db
def test_a_finished_upload_is_not_processed_again(carrier):
    upload = logistics_upload_create(actor=carrier, kind="container_events", file=csv_file(events_csv(2)))
    logistics_upload_process(upload_id=upload.pk)
    assert logistics_upload_task.apply(args=[upload.pk]).get() is None
    upload.refresh_from_db()
    assert (upload.status, upload.attempt, upload.stored, upload.duplicates) == ("succeeded", 1, 2, 0)


@pytest.mark.django_db
def test_progress_is_recorded_as_rows_are_checked(carrier, monkeypatch):
    from declarations.services import logistics_uploads

    seen = []
    original = logistics_uploads._upload_update

    def recording(upload_id, attempt, **fields):
        if "rows_processed" in fields:
            seen.append(fields["rows_processed"])
        return original(upload_id, attempt, **fields)

    monkeypatch.setattr(logistics_uploads, "_upload_update", recording)
    upload = logistics_upload_create(actor=carrier, kind="container_events", file=csv_file(events_csv(1200)))
    logistics_upload_process(upload_id=upload.pk)
    assert seen[:3] == [500, 1000, 1200]


@pytest.mark.django_db
def test_an_upload_whose_task_was_lost_is_sent_again_by_the_sweep(
    browser_client, carrier, monkeypatch, eager_tasks, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError as BrokerDown

    def broker_down(*args, **kwargs):
        raise BrokerDown("Redis is not answering")

    monkeypatch.setattr(logistics_upload_task, "delay", broker_down)
    upload = upload_through_page(browser_client, django_capture_on_commit_callbacks, "container_events", events_csv(3))
    assert upload.status == "pending"  # stored, though the task could not be sent
    monkeypatch.undo()
    monkeypatch.setitem(app.conf, "task_always_eager", True)

    assert logistics_uploads_resend_stale() == 0  # not stale yet
    LogisticsUpload.objects.filter(pk=upload.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    assert logistics_uploads_resend_stale() == 1

    upload.refresh_from_db()
    assert (upload.status, upload.stored) == ("succeeded", 3)
    assert logistics_uploads_resend_stale() == 0


@pytest.mark.worker
def test_an_upload_is_processed_by_the_real_worker(celery_worker, client):
    carrier = factories.logistics_system()
    client.force_login(carrier)
    response = client.post(UPLOADS, {"kind": "container_events", "file": csv_file(events_csv(50))})
    assert response.status_code == 302
    upload = LogisticsUpload.objects.get()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        upload.refresh_from_db()
        if upload.finished:
            break
        time.sleep(0.2)
    assert upload.status == "succeeded", upload.errors
    assert ContainerEvent.objects.filter(source=carrier.organisation).count() == 50
    fragment = client.get(reverse("logistics:upload-progress", args=[upload.pk])).content.decode()
    assert "50 stored" in fragment
