"""What every API view shares: Canvas's errors, parameters, pagination and permissions.

Canvas clients send `user[name]=X` and `state[]=a&state[]=b` in the query string, in a form
body (for PUT and DELETE too) or as nested JSON; `Params` reads all three the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote, unquote

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status
from rest_framework.generics import GenericAPIView
from rest_framework.metadata import SimpleMetadata
from rest_framework.pagination import BasePagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler

from lms_admin.api.schema import CanvasAutoSchema
from lms_admin.plumbing.counting import API_LAST_PAGE_CAP, capped_count
from lms_admin.plumbing.errors import DomainError, NotPermitted
from lms_admin.plumbing.scoping import MANAGER, role_of

NOT_FOUND = "The specified resource does not exist."
BAD_VALUE = (
    "A value in this request cannot be stored or searched for; check it for stray characters."
)
TRUE_VALUES = {"true", "1", "yes", "on"}
FALSE_VALUES = {"false", "0", "no", "off", ""}


def errors(*messages: str, attribute: str | None = None) -> dict:
    items = []
    for message in messages:
        item = {"message": message}
        if attribute:
            item["attribute"] = attribute
        items.append(item)
    return {"errors": items}


class BadRequest(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str, attribute: str | None = None):
        super().__init__(message)
        self.attribute = attribute


def _flatten(detail, prefix: str = "") -> list[dict]:
    """DRF's nested validation errors as Canvas's list, naming fields as a form would."""
    if isinstance(detail, dict):
        found = []
        for key, value in detail.items():
            name = key if not prefix else f"{prefix}[{key}]"
            if key == "non_field_errors":
                name = prefix or None
            found += _flatten(value, name)
        return found
    if isinstance(detail, list):
        found = []
        for item in detail:
            found += _flatten(item, prefix)
        return found
    item = {"message": str(detail)}
    if prefix:
        item["attribute"] = prefix
    return [item]


def canvas_exception_handler(exc, context):
    if isinstance(exc, NotPermitted):
        return Response(errors(exc.message), status=403)
    if isinstance(exc, DomainError):
        return Response(errors(exc.message), status=400)
    if isinstance(exc, DjangoValidationError):
        return Response(errors(*exc.messages), status=400)
    if isinstance(exc, BadRequest):
        return Response(errors(str(exc.detail), attribute=exc.attribute), status=400)
    if isinstance(exc, DataError):
        # A value the database refuses (e.g. a NUL character in text on PostgreSQL): the
        # request was bad, not the server.
        return Response(errors(BAD_VALUE), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(NOT_FOUND)
    elif isinstance(exc, DjangoPermissionDenied):
        # A service's refusal (e.g. an SIS upload holding a file the person may not import):
        # Canvas's 403, as DRF's own refusal.
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.NotAuthenticated):
        response.data = {
            "status": "unauthenticated",
            "errors": [{"message": "user authorization required"}],
        }
    elif isinstance(exc, exceptions.AuthenticationFailed):
        response.data = errors(str(exc.detail))
    elif isinstance(exc, exceptions.PermissionDenied):
        response.data = {
            "status": "unauthorized",
            "errors": [{"message": "user not authorized to perform that action"}],
        }
    elif isinstance(exc, exceptions.ValidationError):
        response.data = {"errors": _flatten(exc.detail)}
    else:
        response.data = errors(str(exc.detail))
    return response


# Parameters ------------------------------------------------------------------------------

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def nest(querydict) -> dict:
    """`{"user[name]": ["X"], "state[]": ["a", "b"]}` -> `{"user": {"name": "X"}, ...}`."""
    result: dict = {}
    for key in querydict:
        values = querydict.getlist(key) if hasattr(querydict, "getlist") else [querydict[key]]
        match = _KEY.match(key)
        if not match:
            result[key] = values[-1]
            continue
        parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        if parts[-1] == "":
            parts, value = parts[:-1], list(values)
        else:
            value = values[-1]
        target = result
        for part in parts[:-1]:
            if not isinstance(target.get(part), dict):
                target[part] = {}
            target = target[part]
        target[parts[-1]] = value
    return result


class Params:
    """Every parameter of a request, nested: query string first, then the body over it."""

    def __init__(self, request):
        self.data = nest(request.query_params)
        body = request.data
        if isinstance(body, dict) and not hasattr(body, "getlist"):
            self.data.update(body)
        elif hasattr(body, "getlist"):
            self.data.update(nest(body))

    def get(self, *path, default=None):
        value = self.data
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return default
            value = value[key]
        return value

    def text(self, *path, default=None) -> str | None:
        value = self.get(*path, default=default)
        if value is None or value is default:
            return value
        if isinstance(value, list | dict):
            raise BadRequest(f"{attribute(path)} must be a single value.", attribute(path))
        return str(value)

    def list(self, *path) -> list[str]:
        value = self.get(*path)
        if value is None:
            return []
        if isinstance(value, dict):
            raise BadRequest(f"{attribute(path)} must be a list of values.", attribute(path))
        values = value if isinstance(value, list) else [value]
        if any(isinstance(item, list | dict) for item in values):
            raise BadRequest(f"{attribute(path)} must be a list of values.", attribute(path))
        return [str(item) for item in values]

    def boolean(self, *path, default: bool = False) -> bool:
        value = self.get(*path)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in TRUE_VALUES:
            return True
        if text in FALSE_VALUES:
            return False
        raise BadRequest(
            f'{attribute(path)} must be "true" or "false", not {value!r}.', attribute(path)
        )


def attribute(path) -> str:
    return path[0] + "".join(f"[{part}]" for part in path[1:])


@csrf_exempt
def route_not_found(request, *args, **kwargs):
    """Any path under /api/v1/ that no route matches: Canvas's JSON 404, not an HTML page."""
    return JsonResponse(errors(NOT_FOUND), status=404)


class CanvasIdConverter:
    """An object id in a path: a number, `self`, or `sis_..._id:X` where X may hold a "/"
    (sent as %2F, which the server decodes before routing). The shortest X that lets the
    rest of the route match wins, so routes with a fixed suffix (/enrollments, /history,
    ...) must come before the bare `<id:...>` route."""

    regex = r"sis_[a-z_]+_id:.+?|[^/]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return quote(str(value), safe=PATH_SAFE)


PATH_SAFE = ":@!$&'()*+,;=~"


def escaped_path(request) -> str:
    """The request's path as a URL again: ids holding "/" or "%" escaped as the client
    had to send them, so that a Link built from it leads back to the same objects."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    for value in match.kwargs.values() if match else ():
        escaped = quote(value, safe=PATH_SAFE) if isinstance(value, str) else value
        if escaped != value and ("/" in value or "%" in value):
            path = path.replace(value, escaped)
    return path


def unescape(value: str) -> str:
    """Ids may come URL-escaped once more than the transport undid (sis_user_id%3AX)."""
    return unquote(value) if "%" in value else value


# Pagination ------------------------------------------------------------------------------


MAX_PAGE = 1_000_000


class CanvasPagination(BasePagination):
    """Canvas's page/per_page pagination with an absolute `Link` header.

    No full COUNT: one row more than the page tells whether a next page exists, and `last`
    comes from a count capped at COUNT_CAP rows; beyond that `last` is left out, as Canvas
    does for lists that are expensive to count.
    """

    default_per_page = 10
    max_per_page = 100
    COUNT_CAP = API_LAST_PAGE_CAP

    def _number(self, request, name: str, default: int) -> int:
        raw = request.query_params.get(name)
        if raw in (None, ""):
            return default
        try:
            number = int(raw)
        except ValueError:
            raise BadRequest(f"{name} must be a whole number, not {raw!r}.", name) from None
        return number

    def paginate_queryset(self, queryset, request, view=None):
        per_page = self._number(request, "per_page", self.default_per_page)
        self.per_page = min(max(per_page, 1), self.max_per_page)
        self.page = self._number(request, "page", 1)
        if not 1 <= self.page <= MAX_PAGE:
            raise BadRequest("page must be a whole number from 1.", "page")
        offset = (self.page - 1) * self.per_page
        rows = list(queryset[offset : offset + self.per_page + 1])
        self.has_next = len(rows) > self.per_page
        rows = rows[: self.per_page]
        if self.page == 1 and not self.has_next:
            self.last_page = 1
        else:
            total = capped_count(queryset, self.COUNT_CAP)
            if total > self.COUNT_CAP:
                self.last_page = None
            else:
                self.last_page = max(1, -(-total // self.per_page))
        self.request = request
        return rows

    def _url(self, page: int) -> str:
        params = self.request.query_params.copy()
        params.pop("access_token", None)
        params["page"] = str(page)
        params["per_page"] = str(self.per_page)
        base = self.request.build_absolute_uri(escaped_path(self.request))
        return f"{base}?{params.urlencode()}"

    def link_header(self) -> str:
        links = [(self._url(self.page), "current")]
        if self.has_next:
            links.append((self._url(self.page + 1), "next"))
        if self.page > 1:
            links.append((self._url(self.page - 1), "prev"))
        links.append((self._url(1), "first"))
        if self.last_page is not None:
            links.append((self._url(self.last_page), "last"))
        return ",".join(f'<{url}>; rel="{rel}"' for url, rel in links)

    def get_paginated_response(self, data):
        return Response(data, headers={"Link": self.link_header()})

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "page",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1},
                "description": "Page number; follow the Link header rather than counting.",
            },
            {
                "name": "per_page",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
            },
        ]


PAGE_PARAMETERS = [
    OpenApiParameter(
        "page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
        description="Page number (see Link header).",
    ),
    OpenApiParameter(
        "per_page",
        {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
        description="Rows per page: 10 by default, at most 100 (more is served as 100).",
    ),
]


# OPTIONS ---------------------------------------------------------------------------------

# How each id in a path is found: {"course_id": lookup(viewer, value, found_so_far)}. The
# apps register their own (path_lookup below), so OPTIONS finds what a route names the way
# its other methods do, and answers 404 where they would: out of scope reads as nonexistent.
PATH_LOOKUPS: dict[str, Callable] = {}


def path_lookup(name: str):
    def register(lookup: Callable) -> Callable:
        PATH_LOOKUPS[name] = lookup
        return lookup

    return register


class CanvasMetadata(SimpleMetadata):
    """OPTIONS answers the route's name, description and media types. DRF's default also
    builds a form from the view's serializer and object, which our views do not have (one
    small serializer per operation, objects found by id kind); the OpenAPI schema
    (/api/schema/) describes each operation's body instead."""

    def determine_actions(self, request, view):
        return {}


# Views -----------------------------------------------------------------------------------


class CanvasView(GenericAPIView):
    """Base of every API view: JSON only, token or session auth, Canvas errors."""

    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    permission_classes = [IsAuthenticated]
    pagination_class = CanvasPagination
    metadata_class = CanvasMetadata
    schema = CanvasAutoSchema()

    def get_exception_handler(self):
        return canvas_exception_handler

    def options(self, request, *args, **kwargs):
        found: dict = {}
        for name, value in kwargs.items():
            if name in PATH_LOOKUPS:
                found[name] = PATH_LOOKUPS[name](request.user, value, found)
        return super().options(request, *args, **kwargs)

    @property
    def params(self) -> Params:
        if not hasattr(self, "_params"):
            self._params = Params(self.request)
        return self._params

    def reason(self, detail: str = "") -> str:
        """ "API: PUT /api/v1/users/:id", naming the route rather than the ids in it."""
        route = getattr(self.request.resolver_match, "route", "") or self.request.path
        route = re.sub(r"<(?:\w+:)?(\w+)>", r":\1", route)
        text = f"API: {self.request.method} /{route.lstrip('/')}"
        return f"{text} ({detail})" if detail else text

    def require(self, permission: str) -> None:
        """Writes need the same model permission as in the admin; managers only read."""
        user = self.request.user
        if role_of(user) == MANAGER or not user.has_perm(permission):
            raise exceptions.PermissionDenied()

    def page(self, queryset, serializer_class, **context):
        paginator = self.paginator
        rows = paginator.paginate_queryset(queryset, self.request, view=self)
        context.setdefault("request", self.request)
        data = serializer_class(rows, many=True, context=context).data
        return paginator.get_paginated_response(data)


class BearerScheme(OpenApiAuthenticationExtension):
    target_class = "users.tokens.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal access token: `Authorization: Bearer <token>`.",
        }
