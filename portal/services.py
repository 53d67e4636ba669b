"""Writes of the portal core: organisations, users, heartbeats."""

from collections.abc import Iterable

from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone

from .models import Notification, Organisation, Port, ServiceHeartbeat, User


@transaction.atomic
def organisation_create(
    *, kind: str, name_en: str, name_zh: str = "", country: str = "CN", uscc: str | None = None
) -> Organisation:
    """Create an organisation after full validation (USCC check character for China)."""
    organisation = Organisation(kind=kind, name_en=name_en, name_zh=name_zh, country_id=country, uscc=uscc or None)
    organisation.full_clean()
    organisation.save()
    return organisation


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    organisation: Organisation,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    ports_served: Iterable[Port] = (),
) -> User:
    """Create a portal user in ``organisation`` with ``role``; customs staff get their ports."""
    user = User(
        username=username, organisation=organisation, role=role, email=email, first_name=first_name, last_name=last_name
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    user.ports_served.set(ports_served)
    return user


def heartbeat_record(*, name: str, detail: str = "") -> ServiceHeartbeat:
    """Record that the background service ``name`` is alive now."""
    heartbeat, _ = ServiceHeartbeat.objects.update_or_create(
        name=name, defaults={"last_seen": timezone.now(), "detail": detail[:200]}
    )
    return heartbeat


def notification_send(*, recipients: Iterable[User], subject: str, body: str = "", link: str = "") -> int:
    """Store a notification for each active recipient and e-mail those with an address.

    Must run inside the transaction of the change it reports: the rows commit with it, and
    the e-mails are sent only after commit, so a rolled-back change tells no one.
    """
    return notifications_send([(recipients, subject, body, link)])


def notifications_send(notices: Iterable[tuple[Iterable[User], str, str, str]]) -> int:
    """:func:`notification_send` for many notices (recipients, subject, body, link) at once: one insert
    and, after commit, one batch of e-mails (one message per address: no shared To: line). Returns how
    many notifications were stored."""
    notifications, messages = [], []
    for recipients, subject, body, link in notices:
        people = [user for user in recipients if user.is_active]
        notifications += [Notification(recipient=user, subject=subject[:200], body=body, link=link) for user in people]
        text = f"{body}\n\n{link}".strip()
        messages += [(subject, text, None, [user.email]) for user in people if user.email]
    Notification.objects.bulk_create(notifications)
    if messages:
        # After commit: a rolled-back change must not have told anyone.
        transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))
    return len(notifications)


def notification_mark_read(*, actor: User, notification_id: int) -> Notification:
    """Mark one of the actor's notifications read (idempotent); another person's is not found."""
    notification = Notification.objects.filter(pk=notification_id, recipient_id=actor.pk).first()
    if notification is None:
        raise Notification.DoesNotExist
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notification_mark_all_read(*, actor: User) -> int:
    """Mark every unread notification of the actor read; returns how many changed. One UPDATE."""
    return Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(read_at=timezone.now())
