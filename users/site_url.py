"""The address links in emails start with: the one the request came to, if there is one.

A reset link mailed while an admin reactivates someone must open on the host and port the
admin is using (behind a proxy, on another port, on a second domain), not on a fixed
SITE_URL. RequestSiteUrlMiddleware notes the request's scheme and host (Django's
`get_host()`, so only an ALLOWED_HOSTS host) for the duration of the request; background
work, which has no request, falls back to settings.SITE_URL.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.conf import settings

_request_site_url: ContextVar[str | None] = ContextVar("request_site_url", default=None)


def site_url() -> str:
    """The scheme and host of the request being answered, else settings.SITE_URL."""
    return _request_site_url.get() or settings.SITE_URL


class RequestSiteUrlMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_site_url.set(f"{request.scheme}://{request.get_host()}")
        try:
            return self.get_response(request)
        finally:
            _request_site_url.reset(token)
