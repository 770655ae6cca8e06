from django import template

from lms_admin.plumbing.cells import display
from reports.views.base import may_see_reports

register = template.Library()


@register.filter
def can_see_reports(user) -> bool:
    return may_see_reports(user)


@register.filter
def report_cell(value):
    """Show a value exactly as the downloads write it, so screen and file agree."""
    return display(value)
