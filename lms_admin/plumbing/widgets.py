"""Form widgets that write their markup in Python, for the controls on every admin list.

Django renders each widget through templates: a `<select>` is one template, each of its
options another, each option's attributes a third. The actions bar above a list (a select of
a dozen actions and a hidden field) took 1.8 ms of the users page's 21 that way. These write
the same markup as Django's templates (`django/forms/widgets/select.html`, `input.html`,
`attrs.html`; the tests compare the two), from the same context Django builds, so choices,
values and attributes are Django's own.
"""

from django import forms
from django.contrib.admin import helpers
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe
from django.utils.timezone import template_localtime


def _text(value) -> str:
    """`{{ value|stringformat:'s' }}` in a template that escapes."""
    value = value() if callable(value) else value
    return conditional_escape(value if isinstance(value, SafeData) else str(value))


def _shown(value) -> str:
    """`{{ value }}` in a template that escapes: dates in local time, numbers and dates in
    the active language's format (django.template.base.render_value_in_context)."""
    value = localize(template_localtime(value))
    return conditional_escape(value if isinstance(value, str) else str(value))


def _attrs(attrs: dict) -> str:
    """`django/forms/widgets/attrs.html`."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{_text(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class PlainSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
            for option in options:
                parts.append(
                    f'\n  <option value="{_text(option["value"])}"{_attrs(option["attrs"])}>'
                    f"{_shown(option['label'])}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))


class PlainHiddenInput(forms.HiddenInput):
    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        shown = "" if widget["value"] is None else f' value="{_text(widget["value"])}"'
        return mark_safe(
            f'<input type="{conditional_escape(widget["type"])}" '
            f'name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
        )


class ActionForm(helpers.ActionForm):
    """Django's action form (the actions bar above every list), with widgets written in
    Python."""

    action = forms.ChoiceField(
        label=helpers.ActionForm.base_fields["action"].label, widget=PlainSelect
    )
    select_across = forms.BooleanField(
        label="", required=False, initial=0, widget=PlainHiddenInput({"class": "select-across"})
    )
