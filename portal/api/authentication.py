"""API authentication: DRF's token scheme, with the look-up every API call pays made cheap."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from portal.models import Organisation, User

# Every API request runs these two reads. As raw SQL they skip the ORM's query compilation,
# which cost more than the database's work (docs/BENCHMARKS.md, issue 4's figure): 0.8 ms
# against 1.8 ms for ``Token.objects.select_related("user", "user__organisation").get(…)``.
USER_BY_TOKEN = (
    f'SELECT u.* FROM "{User._meta.db_table}" u '  # noqa: S608 — the models' own tables
    f'JOIN "{Token._meta.db_table}" t ON t.user_id = u.id WHERE t.key = %s'
)
ORGANISATION_BY_ID = f'SELECT * FROM "{Organisation._meta.db_table}" WHERE id = %s'  # noqa: S608 — model's table


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``, as DRF's, reading the user and their organisation cheaply.

    Almost every API call reads the caller's organisation (scoping, the declarant of a new
    declaration), so it is read here too. The messages are DRF's.
    """

    def authenticate_credentials(self, key):
        user = next(iter(User.objects.raw(USER_BY_TOKEN, [key])), None)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if user.organisation_id is not None:
            user.organisation = next(iter(Organisation.objects.raw(ORGANISATION_BY_ID, [user.organisation_id])), None)
        return (user, Token(key=key, user=user))
