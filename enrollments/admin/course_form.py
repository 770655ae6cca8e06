"""The course page's form: its term is one the course's organisation may use (its own, its
parent organisations', or a shared one), among the terms the person may see. The choices
follow the organisation the form is for (the posted one, else the course's, else the one
the add page was opened with, `?organisation=<id>`); a posted term outside them is refused
with the reason, and nothing is saved."""

from __future__ import annotations

from django import forms

from enrollments.models import EnrollmentTerm
from enrollments.selectors import term_refusal, usable_terms
from users.models import Organisation

TERM_HELP = (
    "Only the terms this course's organisation may use: its own, those of the organisations "
    "above it, and shared terms."
)
NEW_COURSE_HELP = (
    " A new course without an organisation is offered shared terms only: choose its "
    "organisation and “Save and continue editing” to be offered that organisation's terms."
)


class CourseForm(forms.ModelForm):
    viewer = None  # the signed-in person, set by CourseAdmin.get_form

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("term")
        if field is None:
            return  # read only: shown, not chosen
        organisation = self._organisation()
        field.queryset = usable_terms(self.viewer, getattr(organisation, "pk", None))
        field.help_text = TERM_HELP + ("" if organisation or self.instance.pk else NEW_COURSE_HELP)
        posted = self._posted_term()
        refusal = term_refusal(posted, organisation) if posted else None
        if refusal:
            field.error_messages = {**field.error_messages, "invalid_choice": refusal}

    def _value(self, name: str):
        if self.is_bound and name in self.fields:
            return self.data.get(self.add_prefix(name)) or None
        if self.instance.pk:
            return getattr(self.instance, f"{name}_id")
        value = self.initial.get(name)
        return getattr(value, "pk", value) or None

    def _organisation(self) -> Organisation | None:
        value = self._value("organisation")
        if not value or not str(value).isdigit():
            return None
        return Organisation.objects.for_user(self.viewer).filter(pk=value).first()

    def _posted_term(self) -> EnrollmentTerm | None:
        """The term the form was sent with, among those the person may see (so that the
        refusal can say why); None when none, or one the person may not see."""
        value = self.data.get(self.add_prefix("term")) if self.is_bound else None
        if not value or not str(value).isdigit():
            return None
        return EnrollmentTerm.objects.for_user(self.viewer).filter(pk=value).first()

    def clean(self):
        cleaned = super().clean()
        term = cleaned.get("term")
        if "term" in self.fields and "organisation" in cleaned:
            refusal = term_refusal(term, cleaned.get("organisation"))
            if refusal:
                self.add_error("term", refusal)
        return cleaned
