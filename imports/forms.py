from django import forms

from imports.kinds import KINDS
from imports.reading import ENCODINGS, FileProblem, check_size, detect_format
from imports.services import may_import
from lms_admin.plumbing.scoping import EVERYTHING, organisation_scope
from users.models import Organisation


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label="What the file holds")
    file = forms.FileField(
        help_text="CSV (UTF-8 or Latin-1), Excel workbook (.xlsx) or JSON. "
        "Empty cells leave a field as it is."
    )
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        label="Organisation",
        help_text="New people go here when the file has no organisation column, and every "
        "row is checked against it. Leave empty to keep each person's organisation.",
    )
    encoding = forms.ChoiceField(
        choices=list(ENCODINGS.items()),
        initial="utf-8",
        help_text="Excel's plain “CSV” is Latin-1; its “CSV UTF-8” is UTF-8.",
    )

    def __init__(self, *args, person, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person
        self.fields["kind"].choices = [
            (name, kind.label) for name, kind in KINDS.items() if may_import(person, name)
        ]
        organisations = Organisation.objects.for_user(person)
        self.fields["organisation"].queryset = organisations
        if organisation_scope(person) is not EVERYTHING:
            self.fields["organisation"].required = True
            self.fields["organisation"].empty_label = None
            self.fields["organisation"].initial = person.organisation_id
            self.fields[
                "organisation"
            ].help_text = "New people go here when the file has no organisation column."

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_size(upload.size)
            detect_format(upload.name)
        except FileProblem as problem:
            raise forms.ValidationError(problem.message) from problem
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        return upload
