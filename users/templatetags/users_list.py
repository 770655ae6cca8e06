"""`{% users_result_list cl %}`: Django's `result_list` for the users page, with each row's
cells built directly.

Django's `items_for_result` looks every column up again for every row (lookup_field, the
display helpers, format_html, the preserved filters added to each link), which was a third
of the page's time for 50 rows and most of it for 200. The columns of the users page are
the admin's own display methods, which already return finished HTML (users.admin.users),
and one foreign key; their cells are written here with the same markup Django writes. Any
other column, a pop-up or an editable list takes Django's way, row by row.
"""

from django import template
from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    items_for_result,
    result_headers,
    result_hidden_fields,
)
from django.db.models import ForeignKey
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from users.admin.changelist import esc, rows_of_one_page

register = template.Library()


def _cell_writers(cl):
    """One function per column giving its cell's HTML, or None if a column is not one this
    fast path knows (then the whole list is written Django's way)."""
    admin = cl.model_admin
    empty = admin.get_empty_value_display()
    links = cl.list_display_links or ()
    writers = []
    first_link = True
    for name in cl.list_display:
        method = getattr(admin, name, None) if isinstance(name, str) else None
        if name == "action_checkbox":
            writers.append(
                lambda row, method=method: (
                    f'<td class="action-checkbox">{_shown(method(row), empty)}</td>'
                )
            )
            continue
        if callable(method):
            value_of = method
            classes = f"field-{name}"
        else:
            try:
                field = cl.opts.get_field(name)
            except Exception:
                return None
            if not isinstance(field, ForeignKey):
                return None
            value_of = lambda row, name=name: getattr(row, name)  # noqa: E731
            classes = f"field-{name} nowrap"
        if name in links:
            tag = "th" if first_link else "td"
            first_link = False

            def write(row, value_of=value_of, classes=classes, tag=tag):
                return (
                    f'<{tag} class="{classes}"><a href="{esc(cl.url_for_result(row))}">'
                    f"{_shown(value_of(row), empty)}</a></{tag}>"
                )
        else:

            def write(row, value_of=value_of, classes=classes):
                return f'<td class="{classes}">{_shown(value_of(row), empty)}</td>'

        writers.append(write)
    return writers


def _shown(value, empty) -> str:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return esc(empty)
    return esc(value)


@register.inclusion_tag("admin/change_list_results.html")
def users_result_list(cl):
    headers = list(result_headers(cl))
    writers = None if (cl.formset or cl.is_popup or cl.to_field) else _cell_writers(cl)
    if writers is None:
        rows = [ResultList(None, items_for_result(cl, row, None)) for row in cl.result_list]
    else:
        # A row's cells as one string: the results template writes a row's items one
        # after another, so one item gives the same HTML at one template lookup a row.
        with rows_of_one_page():
            rows = [
                ResultList(None, [SafeString("".join([write(row) for write in writers]))])
                for row in cl.result_list
            ]
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": rows,
    }


@register.simple_tag
def action_counter(cl):
    """The actions bar's "0 of N selected", N being the rows this person can tick. Django
    counts every row, but a row the person may not change has no tick box (a power user's
    own account, an admin account: `row_may_change`), so ticking every box on the page
    said "49 of 50 selected". Django's script counts up from the same number."""
    selectable = sum(1 for row in cl.result_list if getattr(row, "row_may_change", True))
    return format_html(
        '<span class="action-counter" data-actions-icnt="{}">{}</span>',
        selectable,
        gettext("0 of %(cnt)s selected") % {"cnt": selectable},
    )
