"""A small per-client rate limit on Django's cache, for public pages."""

from __future__ import annotations

import time
from functools import wraps

from django.core.cache import cache
from django.shortcuts import render

VERIFY_PAGE_LIMIT = 30
VERIFY_PAGE_WINDOW_SECONDS = 60


def client_address(request) -> str:
    """The client's address as the web server saw it (a reverse proxy must set REMOTE_ADDR correctly)."""
    return request.META.get("REMOTE_ADDR") or "unknown"


def hit(scope: str, client: str, *, limit: int, window: int) -> tuple[bool, int]:
    """Count one request; (allowed, seconds until the window resets). Fixed windows, atomic on the cache."""
    now = int(time.time())
    window_start = now - now % window
    key = f"ratelimit:{scope}:{client}:{window_start}"
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 5)
        count = 1
    return count <= limit, window_start + window - now


def rate_limited(scope: str, *, limit: int = VERIFY_PAGE_LIMIT, window: int = VERIFY_PAGE_WINDOW_SECONDS):
    """View decorator: more than ``limit`` requests per ``window`` seconds from one address get a 429 page."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            allowed, retry_after = hit(scope, client_address(request), limit=limit, window=window)
            if not allowed:
                response = render(
                    request, "portal/verify/too_many_requests.html", {"retry_after": retry_after}, status=429
                )
                response["Retry-After"] = str(retry_after)
                return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
