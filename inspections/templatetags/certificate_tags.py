"""``{% certificates_section declaration user %}``: the certificates section of the declaration page."""

from django import template

from ..certificates.selectors import certificate_list
from ..certificates.services import CERTIFIABLE, certificate_may_issue

register = template.Library()


@register.inclusion_tag("inspections/certificates/_declaration_section.html")
def certificates_section(declaration, user) -> dict:
    return {
        "declaration": declaration,
        # The section shows the certificates' own fields only: the list's joins (declaration, declarant, ports,
        # officers) and its items would cost more to plan than the rows cost to read.
        "certificates": list(
            certificate_list(actor=user, declaration_id=declaration.pk).select_related(None).prefetch_related(None)
        ),
        "may_issue": certificate_may_issue(user, declaration),
        "certifiable": declaration.status in CERTIFIABLE,
    }
