"""Security headers Django does not set itself: Content-Security-Policy and Permissions-Policy.

Django 5.2 has no CSP of its own. The policy is one static dictionary in settings
(``CONTENT_SECURITY_POLICY``): the portal has no inline script or style, htmx and the
portal's JavaScript are static files, so ``'self'`` is enough everywhere. A view that
cannot live with it (ReDoc's styled-components write ``<style>`` elements) is wrapped
in :func:`csp_relaxed`, which widens named directives for that view's responses only.
"""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def content_security_policy(directives: dict[str, list[str]]) -> str:
    """The header value: ``name source source; name source …`` in the dictionary's order."""
    return "; ".join(" ".join([name, *sources]).strip() for name, sources in directives.items())


def csp_relaxed(**extra_sources: list[str]) -> Callable:
    """Add sources to directives for one view, e.g. ``csp_relaxed(style_src=["'unsafe-inline'"])``.

    Directive names use ``_`` for ``-``. Only the wrapped view's responses change.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            response.csp_extra_sources = {name.replace("_", "-"): sources for name, sources in extra_sources.items()}
            return response

        return wrapped

    return decorator


class SecurityHeadersMiddleware:
    """Set Content-Security-Policy and Permissions-Policy on every response that has none."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.directives = {name: list(sources) for name, sources in settings.CONTENT_SECURITY_POLICY.items()}
        self.policy = content_security_policy(self.directives)
        self.permissions_policy = settings.PERMISSIONS_POLICY

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        extra = getattr(response, "csp_extra_sources", None)
        if extra:
            directives = {name: list(sources) for name, sources in self.directives.items()}
            for name, sources in extra.items():
                directives.setdefault(name, list(self.directives.get("default-src", [])))
                directives[name] += [source for source in sources if source not in directives[name]]
            policy = content_security_policy(directives)
        else:
            policy = self.policy
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Permissions-Policy", self.permissions_policy)
        return response


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address for sign-in throttling.

    With ``PROXY_COUNT`` proxies in front, each appends the address it received from to
    X-Forwarded-For, so the client is the ``PROXY_COUNT``-th entry from the right; entries
    further left were written by the client and are not trusted.
    """
    count = settings.PROXY_COUNT
    if count:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR")
