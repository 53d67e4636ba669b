"""The notification inbox: each person sees only their own, newest first, paginated; unread count in the nav."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.models import Notification
from portal.selectors import notification_unread_count
from portal.services import notification_send
from tests import factories


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def notify(user, count: int = 1, **kwargs) -> list[Notification]:
    start = timezone.now() - timedelta(hours=count)
    return [
        Notification.objects.create(
            recipient=user,
            subject=kwargs.get("subject", f"Message {n}"),
            body=kwargs.get("body", ""),
            link=kwargs.get("link", ""),
            created_at=start + timedelta(minutes=n),
        )
        for n in range(count)
    ]


@pytest.mark.django_db
def test_the_inbox_lists_only_my_notifications_newest_first_with_unread_highlighted():
    me, someone = factories.trader(), factories.trader()
    older, newer = notify(me, 2)
    older.read_at = timezone.now()
    older.save()
    notify(someone, subject="Not for you")
    response = client_for(me).get(reverse("notifications"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Message 1") < html.index("Message 0")
    assert "Not for you" not in html
    assert html.count('data-read="false"') == 1 and html.count('data-read="true"') == 1
    assert "notification-unread" in html


@pytest.mark.django_db
def test_the_inbox_is_paginated():
    me = factories.trader()
    notify(me, 30)
    first = client_for(me).get(reverse("notifications")).content.decode()
    second = client_for(me).get(reverse("notifications") + "?page=2").content.decode()
    assert first.count('data-testid="notification"') == 25 and second.count('data-testid="notification"') == 5
    assert "Message 29" in first and "Message 0" in second and "Message 0" not in first
    assert "Page 1 of 2" in first


@pytest.mark.django_db
def test_mark_one_read_and_mark_all_read():
    me = factories.trader()
    first, second, third = notify(me, 3)
    client = client_for(me)
    response = client.post(reverse("notification-read", args=[first.pk]))
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    client.post(reverse("notifications-read-all"))
    assert not Notification.objects.filter(recipient=me, read_at__isnull=True).exists()


@pytest.mark.django_db
def test_marking_read_with_open_goes_to_the_linked_page():
    me = factories.trader()
    (notification,) = notify(me, link="/declarations/42/")
    response = client_for(me).post(reverse("notification-read", args=[notification.pk]), {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/declarations/42/"


@pytest.mark.django_db
def test_nobody_marks_another_persons_notification_read():
    me, someone = factories.trader(), factories.customs_officer()
    (theirs,) = notify(someone)
    response = client_for(me).post(reverse("notification-read", args=[theirs.pk]))
    assert response.status_code == 404
    client_for(me).post(reverse("notifications-read-all"))
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.django_db
def test_marking_read_needs_post_and_the_inbox_needs_sign_in():
    me = factories.trader()
    (notification,) = notify(me)
    assert client_for(me).get(reverse("notification-read", args=[notification.pk])).status_code == 405
    assert Client().get(reverse("notifications")).status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize(
    "make",
    [
        factories.trader,
        factories.customs_officer,
        factories.customs_supervisor,
        factories.bank_officer,
        factories.logistics_system,
    ],
)
def test_every_role_sees_the_unread_count_in_the_navigation(make):
    me = make()
    notify(me, 3)
    Notification.objects.filter(recipient=me).order_by("created_at").first().delete()
    html = client_for(me).get(reverse("about-verification")).content.decode()
    assert '<span class="nav-badge" data-testid="unread-count">2</span>' in html
    assert 'hx-get="/notifications/count/"' in html and 'hx-trigger="every 30s"' in html
    fragment = client_for(me).get(reverse("notifications-count")).content.decode()
    assert 'data-testid="unread-count">2<' in fragment


@pytest.mark.django_db
def test_no_badge_without_unread_notifications():
    me = factories.trader()
    notify(me)
    Notification.objects.update(read_at=timezone.now())
    html = client_for(me).get(reverse("notifications")).content.decode()
    assert "nav-badge" not in html and "Mark all read" not in html


@pytest.mark.django_db
def test_the_unread_count_costs_one_query_whatever_the_number(django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    me = factories.trader()
    client = client_for(me)
    notify(me, 1)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("about-verification"))
    notify(me, 200)
    with django_assert_num_queries(len(few)):
        html = client.get(reverse("about-verification")).content.decode()
    assert 'data-testid="unread-count">99+<' in html
    count_queries = [q for q in few.captured_queries if "portal_notification" in q["sql"]]
    assert len(count_queries) == 1 and "COUNT" in count_queries[0]["sql"].upper()
    assert "LIMIT 100" in count_queries[0]["sql"].upper()  # never more than the badge shows is read


@pytest.mark.django_db
@pytest.mark.parametrize(("unread", "shown"), [(1, "1"), (99, "99"), (100, "99+"), (150, "99+")])
def test_the_badge_counts_up_to_99(unread, shown):
    me = factories.customs_officer()
    notify(me, unread)
    fragment = client_for(me).get(reverse("notifications-count")).content.decode()
    assert f'data-testid="unread-count">{shown}<' in fragment
    assert notification_unread_count(actor=me) == min(unread, 100)


@pytest.mark.django_db
def test_the_inbox_page_has_a_constant_number_of_queries(django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    me = factories.trader()
    client = client_for(me)
    notify(me, 2)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("notifications"))
    notify(me, 60)
    with django_assert_num_queries(len(few)):
        client.get(reverse("notifications"))


@pytest.mark.django_db
def test_notification_send_stores_rows_and_mails_after_commit(mailoutbox, django_capture_on_commit_callbacks):
    me = factories.trader()
    inactive = factories.trader(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        sent = notification_send(
            recipients=[me, inactive], subject="CNSUD-2026-000001: Released", body="Done", link="/declarations/1/"
        )
    assert sent == 1
    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [me.pk]
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [me.email]
