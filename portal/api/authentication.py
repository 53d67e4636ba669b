"""API authentication: DRF's token scheme, with the look-up every API call pays made cheap."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from portal.models import Organisation, User
from portal.rows import columns_sql, rows_read

# Every API request runs this read: the token's user and their organisation, read without the
# ORM's query compiler (``portal.rows``; see there why).
USER_BY_TOKEN = (
    f"SELECT {columns_sql(User, 'u')}, {columns_sql(Organisation, 'o')} "  # noqa: S608 — the models' own tables
    f'FROM "{User._meta.db_table}" u '
    f'JOIN "{Token._meta.db_table}" t ON t.user_id = u.id '
    f'LEFT JOIN "{Organisation._meta.db_table}" o ON o.id = u.organisation_id WHERE t.key = %s'
)


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``, as DRF's, reading the user and their organisation in one query.

    Almost every API call reads the caller's organisation (scoping, the declarant of a new
    declaration), so it is read here too. The messages are DRF's.
    """

    def authenticate_credentials(self, key):
        rows = rows_read([User, Organisation], USER_BY_TOKEN, [key])
        if rows is None:  # not PostgreSQL: the ORM's join
            token = Token.objects.select_related("user", "user__organisation").filter(key=key).first()
            rows = [(token.user, token.user.organisation)] if token else []
        if not rows:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user, organisation = rows[0]
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        user.organisation = organisation if user.organisation_id is not None else None
        return (user, Token(key=key, user=user))
