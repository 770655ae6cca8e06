"""The widgets written in Python give exactly the markup Django's widget templates give."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django import forms
from django.contrib.admin import helpers
from django.utils import translation
from django.utils.safestring import mark_safe

from lms_admin.plumbing.widgets import ActionForm, PlainHiddenInput, PlainSelect

CHOICES = [
    ("", "---------"),
    ("deactivate", "Deactivate <selected> people"),
    ("erase", "Erase & forget"),
    ("safe", mark_safe("<b>Already safe</b>")),
    ("Grouped", [("one", "One"), ("two", 'Two "quoted"')]),
    (3, "A number"),
]


@pytest.mark.parametrize("value", [None, "", "erase", "two", 3, ["one"]])
@pytest.mark.parametrize(
    "attrs",
    [None, {"class": "wide", "required": True, "disabled": False, "data-x": 'a"b<c'}],
)
def test_a_plain_select_writes_what_djangos_template_writes(value, attrs):
    ours = PlainSelect(attrs=attrs, choices=CHOICES).render("action", value)
    django = forms.Select(attrs=attrs, choices=CHOICES).render("action", value)
    assert ours == django


class _Shown:
    """A label object whose HTML and text differ: Django's template shows its text."""

    def __html__(self):
        return "<i>html</i>"

    def __str__(self):
        return "<i>text</i>"


UNUSUAL_CHOICES = [
    (date(2024, 1, 2), date(2024, 1, 2)),
    ("when", datetime(2026, 12, 5, 22, 43, tzinfo=UTC)),
    (1234, 1234),
    ("half", Decimal("2.5")),
    ("object", _Shown()),
    (2024, [(1.5, 1.5)]),
]


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("separator", [False, True])
def test_dates_numbers_and_label_objects_are_shown_as_djangos_template_shows_them(
    language, separator, settings
):
    settings.USE_THOUSAND_SEPARATOR = separator
    attrs = {"data-call": lambda: "called"}
    with translation.override(language):
        ours = PlainSelect(attrs=attrs, choices=UNUSUAL_CHOICES).render("x", 1234)
        django = forms.Select(attrs=attrs, choices=UNUSUAL_CHOICES).render("x", 1234)
    assert ours == django
    assert "<i>" not in ours


@pytest.mark.parametrize("value", [None, 0, "1", 'a"b<c'])
def test_a_plain_hidden_input_writes_what_djangos_template_writes(value):
    attrs = {"class": "select-across", "data-on": True, "data-off": False}
    ours = PlainHiddenInput(attrs).render("select_across", value)
    django = forms.HiddenInput(attrs).render("select_across", value)
    assert ours == django


@pytest.mark.parametrize("data", [None, {"action": "deactivate", "select_across": "1"}])
def test_the_action_form_renders_as_djangos_own(data):
    ours, django = ActionForm(data, auto_id=None), helpers.ActionForm(data, auto_id=None)
    for form in (ours, django):
        form.fields["action"].choices = CHOICES
    assert [field.label for field in ours] == [field.label for field in django]
    assert [str(field) for field in ours] == [str(field) for field in django]
    assert isinstance(ours.fields["action"].widget, PlainSelect)


def test_every_list_uses_the_plain_action_form(admin_client):
    response = admin_client.get("/admin/users/user/")
    assert response.status_code == 200
    assert isinstance(response.context["action_form"], ActionForm)
    assert b'<select name="action" required>' in response.content
