"""Which declarations a person may see and act on. Another organisation's declaration is
reported as not found, never as forbidden, so its existence is not revealed."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from portal import roles
from portal.models import User

from ..models import Declaration


def require_trader(actor: User) -> None:
    if not roles.is_trader(actor):
        raise PermissionDenied(_("Only trader staff can file declarations."))


def declaration_for_trader(*, actor: User, declaration_id: int) -> Declaration:
    """The declaration if it belongs to the actor's organisation, else Http404."""
    require_trader(actor)
    try:
        return Declaration.objects.get(pk=declaration_id, declarant_id=actor.organisation_id)
    except (Declaration.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such declaration.")) from None


def declaration_for_trader_update(*, actor: User, declaration_id: int) -> Declaration:
    """As :func:`declaration_for_trader`, with the row locked until the transaction ends."""
    require_trader(actor)
    # Lock: an edit and a submit (or two edits) of one declaration must not interleave.
    declaration = (
        Declaration.objects.select_for_update(of=("self",))
        .filter(pk=declaration_id, declarant_id=actor.organisation_id)
        .first()
    )
    if declaration is None:
        raise Http404(_("No such declaration."))
    return declaration
