"""How the OpenAPI schema describes every API view: the answers it gives and the bodies it reads.

- Every operation declares its error answers (400, 401, 403, 404) with Canvas's error body.
- A request body is documented in the two forms the views parse (users/api/base.py Params):
  nested JSON, and a form with Canvas's bracketed names (`user[name]=...`), one field per
  leaf of the JSON body. Multipart is parsed for Canvas's file uploads but documents nothing
  a form does not.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

ERROR_ANSWERS = {
    "400": "A parameter or field is wrong; each message names it in `attribute`.",
    "401": "No valid token or session: send `Authorization: Bearer <token>`.",
    "403": "Your role may not do this (managers only read).",
    "404": "No such object, or not one you may see.",
}


class ErrorMessageSerializer(serializers.Serializer):
    message = serializers.CharField()
    attribute = serializers.CharField(required=False, help_text="The parameter at fault.")


class CanvasErrorSerializer(serializers.Serializer):
    """Canvas's error body: `{"errors": [{"message": ...}]}`; 401 and 403 add `status`, and a
    few Canvas conditions answer with a single `error` string instead."""

    errors = ErrorMessageSerializer(many=True, required=False)
    status = serializers.CharField(required=False)
    error = serializers.CharField(required=False)

    class Meta:
        ref_name = "CanvasError"


class CanvasAutoSchema(AutoSchema):
    def map_parsers(self):
        return [JSON, FORM]

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, description in ERROR_ANSWERS.items():
            if code not in responses:
                answer = self._get_response_for_code(CanvasErrorSerializer, code, None, direction)
                responses[code] = {**answer, "description": description}
        return responses

    def _get_request_body(self, direction="request"):
        body = super()._get_request_body(direction)
        form = (body or {}).get("content", {}).get(FORM)
        if form is not None:
            serializer = self.get_request_serializer()
            if isinstance(serializer, serializers.Serializer):
                form["schema"] = self._bracketed_form(serializer, direction)
        return body

    def _bracketed_form(self, serializer, direction) -> dict:
        properties, required = {}, []

        def walk(fields, prefix: str, parents_required: bool):
            for name, field in fields.items():
                if field.read_only:
                    continue
                key = f"{prefix}[{name}]" if prefix else name
                is_required = parents_required and field.required
                if isinstance(field, serializers.Serializer):
                    walk(field.fields, key, is_required)
                    continue
                properties[key] = self._map_serializer_field(field, direction)
                if is_required:
                    required.append(key)

        walk(serializer.fields, "", True)
        schema = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        return schema
