"""Export and Import buttons on the admin lists of what can be exported and imported."""

from django import template
from django.urls import reverse

from imports.exporting import EXPORTS
from imports.services import may_import

register = template.Library()
KIND_OF_MODEL = {model._meta.label_lower: kind for kind, (model, _) in EXPORTS.items()}


@register.inclusion_tag("admin/imports/import_export_links.html", takes_context=True)
def import_export_links(context, cl):
    request = context["request"]
    kind = KIND_OF_MODEL.get(cl.opts.label_lower)
    if kind is None:
        return {"kind": None}
    query = request.GET.urlencode()
    exports = [
        (label, reverse("admin:imports_export", args=[kind, fmt]) + (f"?{query}" if query else ""))
        for fmt, label in (("csv", "CSV"), ("xlsx", "XLSX"), ("json", "JSON"))
    ]
    upload = ""
    if may_import(request.user, kind):
        upload = reverse("admin:imports_importjob_upload") + f"?kind={kind}"
    return {"kind": kind, "exports": exports, "upload": upload}
