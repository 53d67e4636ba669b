"""Settings of the load benchmark's gunicorn child: the portal's production settings, except for
static files and the cookies' ``Secure`` flag.

- With ``DEBUG=false`` the portal uses WhiteNoise's manifest storage, which needs
  ``collectstatic`` (into ``staticfiles/`` of the working tree, shared by every engineer on this
  machine). The load never fetches static files — it measures pages and API calls — so
  ``{% static %}`` here builds plain URLs from the app folders instead of reading a manifest.
- The load talks plain HTTP on loopback (TLS ends in front of gunicorn in production), where a
  client does not send ``Secure`` cookies back: the officers' session and CSRF cookies go without it.
"""

from portal.settings import *  # noqa: F403 — the portal's settings, unchanged but for the two points above

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
