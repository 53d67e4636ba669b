from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from .choices import Role
from .roles import has_role

# (label, url name, roles that see it; empty = every signed-in user)
NAVIGATION = [
    (_("Home"), "home", ()),
    (_("Declarations"), "declarations:list", (Role.TRADER_STAFF,)),
    (_("Financing"), "finance:request_list", (Role.TRADER_STAFF,)),
    (_("Upload logistics data"), "logistics:uploads", (Role.LOGISTICS_SYSTEM,)),
    (_("Port dashboard"), "declarations:dashboard", (Role.CUSTOMS_OFFICER, Role.CUSTOMS_SUPERVISOR)),
    (_("Risk rules"), "declarations:rules", (Role.CUSTOMS_SUPERVISOR,)),
    (_("Financing requests"), "finance:bank_queue", (Role.BANK_OFFICER,)),
    (_("Products and rates"), "finance:bank_products", (Role.BANK_OFFICER,)),
    (_("API token"), "api-token", ()),
    (_("API documentation"), "api-docs", ()),
    (_("About verification"), "about-verification", ()),
    (_("Administration"), "admin:index", ("staff",)),
]


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": [(_("About verification"), reverse("about-verification"))]}
    items = []
    for label, url_name, roles in NAVIGATION:
        if roles == ("staff",):
            if not user.is_staff:
                continue
        elif roles and not has_role(user, *roles):
            continue
        items.append((label, reverse(url_name)))
    return {"navigation": items, "Role": Role, "unread_notifications": _unread_count(user)}


def _unread_count(user) -> SimpleLazyObject:
    """The nav badge's count: one query, and only when a page actually shows it."""
    from .selectors import notification_unread_count

    return SimpleLazyObject(lambda: notification_unread_count(actor=user))
