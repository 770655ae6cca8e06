"""The OpenAPI schema and its docs page, for people signed in to use the API.

Both need sign-in, with DEBUG on too, so that what a developer sees is what production
does: a staff member's session (the docs page from the admin) or a personal token (scripts
and schemathesis reading the schema). A learner's session gets 403. The docs page is
swagger-ui from drf-spectacular-sidecar, its start-up script served as a file of its own
(`?script`), so that the page runs under the Content-Security-Policy without inline script.
"""

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions
from rest_framework.permissions import BasePermission


class StaffSessionOrToken(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.auth is not None or user.is_staff


class SchemaView(SpectacularAPIView):
    permission_classes = [StaffSessionOrToken]


class DocsView(SpectacularSwaggerSplitView):
    permission_classes = [StaffSessionOrToken]

    def handle_exception(self, exc):
        # A person opening the docs without signing in is sent to sign in, then back here.
        signed_out = not self.request.user.is_authenticated
        if signed_out and isinstance(exc, exceptions.NotAuthenticated):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)

    def options(self, request, *args, **kwargs):
        # DRF's metadata answer would need a template for this HTML page; the Allow header
        # (added to every answer) says all there is to say.
        return HttpResponse()
