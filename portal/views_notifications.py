"""The signed-in person's notifications: the inbox, marking read, the unread count for the nav badge."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .models import Notification
from .selectors import notification_list, notification_unread_count
from .services import notification_mark_all_read, notification_mark_read

PAGE_SIZE = 25


@login_required
@require_GET
def notifications_view(request):
    """Newest first, a page at a time; unread ones highlighted."""
    page = Paginator(notification_list(actor=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/notifications.html", {"page": page})


@login_required
@require_POST
def notification_read_view(request, notification_id: int):
    """Mark one read; with ``open`` go on to what it is about, else back to the list."""
    try:
        notification = notification_mark_read(actor=request.user, notification_id=notification_id)
    except Notification.DoesNotExist:
        raise Http404(_("No such notification.")) from None
    if (
        "open" in request.POST
        and notification.link
        and url_has_allowed_host_and_scheme(
            notification.link, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return redirect(notification.link)
    page = request.POST.get("page", "")
    return redirect(f"/notifications/?page={page}" if page.isdigit() else "notifications")


@login_required
@require_POST
def notifications_read_all_view(request):
    count = notification_mark_all_read(actor=request.user)
    messages.success(request, _("%(count)d notifications marked read.") % {"count": count})
    return redirect("notifications")


@login_required
@require_GET
def notification_count_view(request):
    """The nav badge alone, polled every 30 s (htmx)."""
    return render(
        request,
        "portal/_notification_badge.html",
        {"unread_notifications": notification_unread_count(actor=request.user)},
    )
