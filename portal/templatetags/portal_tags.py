from django import template

from portal import roles

register = template.Library()


@register.filter
def has_role(user, role_names: str) -> bool:
    """``{% if user|has_role:"customs_officer,customs_supervisor" %}``"""
    return roles.has_role(user, *[name.strip() for name in role_names.split(",")])
