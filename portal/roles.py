"""Who may do what: the one place that answers role questions for views, the API and templates.

Views use :func:`role_required`, API views :class:`HasRole`, templates the ``has_role``
filter from ``portal_tags``; all three call :func:`has_role`.
"""

from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from .choices import Role

CUSTOMS_ROLES = frozenset({Role.CUSTOMS_OFFICER, Role.CUSTOMS_SUPERVISOR})


def has_role(user, *roles: str) -> bool:
    """True when ``user`` is signed in, active, belongs to an organisation and holds one of ``roles``."""
    return bool(
        user is not None and user.is_authenticated and user.is_active and user.organisation_id and user.role in roles
    )


def is_trader(user) -> bool:
    return has_role(user, Role.TRADER_STAFF)


def is_customs(user) -> bool:
    return has_role(user, *CUSTOMS_ROLES)


def is_supervisor(user) -> bool:
    return has_role(user, Role.CUSTOMS_SUPERVISOR)


def is_bank_officer(user) -> bool:
    return has_role(user, Role.BANK_OFFICER)


def is_logistics_system(user) -> bool:
    return has_role(user, Role.LOGISTICS_SYSTEM)


def serves_port(user, port) -> bool:
    """True when ``user`` is customs staff serving ``port`` (a Port or its id)."""
    if not is_customs(user):
        return False
    port_id = getattr(port, "pk", port)
    return user.ports_served.filter(pk=port_id).exists()


def role_required(*roles: str) -> Callable:
    """View decorator: anonymous users go to the login page, users without one of ``roles`` get 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class HasRole(BasePermission):
    """DRF permission: ``permission_classes = [HasRole.of(Role.CUSTOMS_OFFICER, ...)]``."""

    roles: Iterable[str] = ()

    @classmethod
    def of(cls, *roles: str) -> type["HasRole"]:
        return type(f"HasRole_{'_'.join(roles)}", (cls,), {"roles": tuple(roles)})

    def has_permission(self, request, view) -> bool:
        return has_role(request.user, *self.roles)
