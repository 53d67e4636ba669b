"""Signing in to the pages: Django's model backend, reading the user and their organisation together."""

from django.contrib.auth.backends import ModelBackend

from portal.models import User


class PortalModelBackend(ModelBackend):
    """Django's ``ModelBackend``; the signed-in user of each request is read with their organisation.

    Every page names the user's organisation in its header, so it was read by a query of its own on every
    request. (The API's token scheme already reads both at once: ``portal.api.authentication``.)
    """

    def get_user(self, user_id):
        user = User._default_manager.select_related("organisation").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
