"""Admin pages for courses, sections, enrolments and certificates."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html

from enrollments import services
from enrollments.admin.course_form import CourseForm
from enrollments.admin.course_roster import CoursePages
from enrollments.models import (
    Enrollment,
    EnrollmentMethod,
    EnrollmentState,
    Section,
)
from enrollments.search import search_certificates, search_enrolments
from lms_admin.plumbing.admin import (
    MarkedForDeletionFilter,
    SavedThroughServices,
    ScopedAdmin,
    changed_values,
    reason_from,
)
from lms_admin.plumbing.errors import DomainError
from lms_admin.plumbing.scoping import POWER_USER, organisation_scope, role_of


class CatalogueAdmin(ScopedAdmin):
    """Courses and sections: power users and managers may look, training admins change."""

    # Set by courses and sections: the service that takes their "to be deleted" mark off.
    unmark_service = None

    def get_readonly_fields(self, request, obj=None):
        # Only an import's batch mode sets the mark: nothing to show on an add page.
        fields = super().get_readonly_fields(request, obj)
        return fields if obj else tuple(f for f in fields if f != "marked_for_deletion_at")

    @admin.display(description="To be deleted", ordering="marked_for_deletion_at")
    def deletion_mark(self, obj):
        """When an SIS import's batch mode marked it; empty when not marked."""
        if obj.marked_for_deletion_at is None:
            return ""
        return f"Since {timezone.localtime(obj.marked_for_deletion_at):%d %b %Y}"

    @admin.action(description="Take off the “to be deleted” mark", permissions=["change"])
    def clear_deletion_mark(self, request, queryset):
        """Keep courses or sections an SIS import's batch mode marked (nothing is deleted
        here; the mark only lists them for review)."""
        unmarked = type(self).unmark_service(
            queryset,
            by=request.user,
            reason=reason_from(request, "“To be deleted” mark taken off in the admin"),
        )
        plural = self.model._meta.verbose_name_plural
        self.message_user(
            request, f"The mark was taken off {len(unmarked)} {plural}.", messages.SUCCESS
        )

    def has_add_permission(self, request, *args):
        return role_of(request.user) != POWER_USER and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return role_of(request.user) != POWER_USER and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0
    fields = ("name", "sis_section_id", "is_default")
    readonly_fields = ("is_default",)
    can_delete = False

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # A table's inputs have a column heading but no label of their own: name each.
        for field in formset.form.base_fields.values():
            field.widget.attrs.setdefault("aria-label", str(field.label))
        return formset

    def has_add_permission(self, request, obj=None):
        return role_of(request.user) != POWER_USER and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return role_of(request.user) != POWER_USER and super().has_change_permission(request, obj)


class CourseAdmin(SavedThroughServices, CoursePages, CatalogueAdmin):
    list_display = (
        "code",
        "name",
        "sis_course_id",
        "organisation",
        "term",
        "enrollment_method",
        "deletion_mark",
    )
    # "term" offers the person's own terms only (ScopedRelatedFieldListFilter).
    list_filter = ("enrollment_method", "organisation", "term", MarkedForDeletionFilter)
    search_fields = ("code", "name", "=sis_course_id")
    list_select_related = ("organisation", "term")
    readonly_fields = ("enrollment_method", "marked_for_deletion_at")
    inlines = [SectionInline]
    change_form_template = "admin/enrollments/course/change_form.html"
    actions = ["enrol_everyone", "enrol_manually", "clear_deletion_mark"]
    unmark_service = staticmethod(services.courses_clear_deletion_mark)
    form = CourseForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"viewer": request.user})

    create_service = staticmethod(services.course_create)
    update_service = staticmethod(services.course_update)
    service_fields = services.COURSE_FIELDS

    def values_to_create(self, obj, form) -> dict:
        return {
            "code": obj.code,
            "name": obj.name,
            "organisation": obj.organisation,
            "sis_course_id": obj.sis_course_id,
            "term": obj.term,
            "start_date": obj.start_date,
            "end_date": obj.end_date,
        }

    def save_formset(self, request, form, formset, change):
        """The sections table: new rows through section_create, changed ones through
        section_update (sections are never removed here)."""
        reason = reason_from(request, "Sections changed in the admin")
        # What Django's formset.save() would note, for the admin's change message.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for section_form in formset.forms:
            if not section_form.has_changed():
                continue
            values = changed_values(section_form, services.SECTION_FIELDS)
            if section_form.instance.pk is None:
                section = services.section_create(
                    form.instance, by=request.user, reason=reason, **values
                )
                formset.new_objects.append(section)
            else:
                section = services.section_update(
                    section_form.instance, by=request.user, reason=reason, **values
                )
                formset.changed_objects.append((section, list(values)))

    def _set_method(self, request, queryset, method):
        total = 0
        try:
            for course in queryset:
                total += services.course_set_enrollment_method(
                    course,
                    method,
                    by=request.user,
                    reason=reason_from(request, "Enrolment method changed in the admin"),
                )
        except DomainError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self.message_user(
            request,
            f"Enrolment method set to {EnrollmentMethod(method).label}; {total} people enrolled.",
            messages.SUCCESS,
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/roster/<int:enrollment_id>/state/",
                wrap(self.set_state_view),
                name="enrollments_course_roster_state",
            ),
            path(
                "<path:object_id>/enrolment-method/",
                wrap(self.enrolment_method_view),
                name="enrollments_course_enrolment_method",
            ),
            path(
                "<path:object_id>/sections/",
                wrap(self.sections_view),
                name="enrollments_course_sections",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        course = self.get_object(request, object_id)
        context = {
            "course": course,
            **self.roster_context(request, course),
            **self.method_context(request, course),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    @admin.action(description="Switch to manual enrolment", permissions=["change"])
    def enrol_manually(self, request, queryset):
        self._set_method(request, queryset, EnrollmentMethod.MANUAL)


class SectionAdmin(CatalogueAdmin):
    list_display = ("name", "course", "sis_section_id", "is_default", "deletion_mark")
    list_filter = (MarkedForDeletionFilter,)
    search_fields = ("name", "=sis_section_id", "course__code")
    list_select_related = ("course",)
    autocomplete_fields = ("course",)
    readonly_fields = ("marked_for_deletion_at",)
    actions = ["clear_deletion_mark"]
    unmark_service = staticmethod(services.sections_clear_deletion_mark)

    def save_model(self, request, obj, form, change):
        if change:
            services.section_update(
                Section.objects.get(pk=obj.pk),
                by=request.user,
                reason=reason_from(request, "Changed in the admin"),
                **changed_values(form, services.SECTION_FIELDS),
            )
            return
        created = services.section_create(
            obj.course,
            name=obj.name,
            sis_section_id=obj.sis_section_id,
            by=request.user,
            reason=reason_from(request, "Created in the admin"),
        )
        obj.pk = created.pk


class EnrollmentChangeForm(forms.ModelForm):
    """An existing enrolment: its state and the learner's progress may change (through the
    services); who, where and in which role it is stays as it is."""

    # Not the model field itself (the state is not editable in plain forms): a choice that
    # save_model hands to enrollment_set_state.
    enrolment_state = forms.ChoiceField(
        label="State",
        choices=EnrollmentState.choices,
        help_text="Changing the state keeps the enrolment in its section.",
    )

    class Meta:
        model = Enrollment
        fields = ("started_at", "last_activity_at", "score")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["enrolment_state"].initial = self.instance.state

    def clean_score(self):
        score = self.cleaned_data.get("score")
        if score is not None and score < 0:
            raise forms.ValidationError("A score cannot be negative.")
        return score


PROGRESS_FIELDS = ("started_at", "last_activity_at", "score")
# An existing enrolment's page, in order.
EXISTING_ENROLLMENT_FIELDS = (
    "user",
    "course",
    "section",
    "type",
    "source",
    "enrolment_state",
    "state_before_delete",
    "marked_for_deletion_at",
    *PROGRESS_FIELDS,
    "completed_at",
    "created_at",
    "updated_at",
)


class EnrollmentAdmin(ScopedAdmin):
    list_display = (
        "user",
        "course",
        "section",
        "type",
        "state_label",
        "source",
        "started_at",
        "completed_at",
        "score",
    )
    list_filter = ("state", "type", "source", MarkedForDeletionFilter)
    # Served by get_search_results (enrollments.search), through people's search index.
    search_fields = ("user__username", "user__last_name", "=user__sis_user_id", "course__code")
    search_help_text = "A person's name, username, email or SIS ID, or a course's code or name."
    list_select_related = ("user", "course", "section")
    autocomplete_fields = ("user", "course", "section")
    readonly_fields = ("state", "state_before_delete", "created_at", "updated_at")
    actions = [*(f"set_{state}" for state in EnrollmentState.values), "clear_deletion_mark"]

    @admin.display(description="State", ordering="state")
    def state_label(self, obj):
        return format_html('<span class="enrollment-state">{}</span>', obj.get_state_display())

    def get_search_results(self, request, queryset, search_term):
        return search_enrolments(queryset, search_term), False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["form"] = EnrollmentChangeForm
            kwargs["fields"] = ("enrolment_state", *PROGRESS_FIELDS)
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return super().get_fields(request, obj)
        return EXISTING_ENROLLMENT_FIELDS

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        # An existing enrolment never moves to another section, course, person or role
        # (seed 001): enrol again instead. Only its state and progress change here.
        editable = {"enrolment_state", *PROGRESS_FIELDS}
        return tuple(name for name in EXISTING_ENROLLMENT_FIELDS if name not in editable)

    @admin.action(description="Take off the “to be deleted” mark", permissions=["change"])
    def clear_deletion_mark(self, request, queryset):
        """Keep enrolments an SIS import's batch mode marked; "Set selected enrolments to
        Deleted" deletes them instead (which also takes the mark off)."""
        unmarked = services.enrollments_clear_deletion_mark(
            queryset,
            by=request.user,
            reason=reason_from(request, "“To be deleted” mark taken off in the admin"),
        )
        self.message_user(
            request, f"The mark was taken off {len(unmarked)} enrolments.", messages.SUCCESS
        )

    def save_model(self, request, obj, form, change):
        by = request.user
        if role_of(by) == POWER_USER and obj.user.organisation_id not in organisation_scope(by):
            raise PermissionDenied("You can only enrol users of your own organisation.")
        reason = reason_from(request, "Changed in the admin" if change else "Enrolled in the admin")
        if change:
            self._save_changes(obj, form, by=by, reason=reason)
            return
        created = services.enrollment_create(
            user=obj.user,
            course=obj.course,
            section=obj.section,
            type=obj.type,
            source=obj.source,
            by=by,
            reason=reason,
        )
        obj.pk = created.pk

    def _save_changes(self, obj, form, *, by, reason):
        """State and progress through the services, each writing its history row."""
        enrollment = Enrollment.objects.get(pk=obj.pk)
        changed = set(form.changed_data)
        if "enrolment_state" in changed:
            services.enrollment_set_state(
                enrollment, form.cleaned_data["enrolment_state"], by=by, reason=reason
            )
        progress = {name: form.cleaned_data[name] for name in PROGRESS_FIELDS if name in changed}
        if progress:
            services.enrollment_record_progress(
                enrollment,
                **{name: value for name, value in progress.items() if value is not None},
                clear=[name for name, value in progress.items() if value is None],
                by=by,
                reason=reason,
            )
        obj.refresh_from_db()

    def _set_state(self, request, queryset, state):
        count = services.enrollments_set_state(
            queryset,
            state,
            by=request.user,
            reason=reason_from(request, f"Set to {state} in the admin"),
        )
        self.message_user(
            request, f"{count} enrolments set to {EnrollmentState(state).label}.", messages.SUCCESS
        )


def _state_action(state):
    def action(self, request, queryset):
        self._set_state(request, queryset, state)

    action.__name__ = f"set_{state}"
    return admin.action(
        description=f"Set selected enrolments to {EnrollmentState(state).label}",
        permissions=["change"],
    )(action)


for _state in EnrollmentState.values:
    setattr(EnrollmentAdmin, f"set_{_state}", _state_action(_state))


class CertificateAdmin(ScopedAdmin):
    list_display = ("verification_code", "enrollment", "issued_at")
    # Served by get_search_results (enrollments.search), through people's search index.
    search_fields = ("=verification_code", "enrollment__user__username")
    search_help_text = (
        "A verification code, or a person's name, username, email or SIS ID, or a course's "
        "code or name."
    )
    list_select_related = ("enrollment__user", "enrollment__course")
    autocomplete_fields = ("enrollment",)

    def get_search_results(self, request, queryset, search_term):
        return search_certificates(queryset, search_term), False

    def has_delete_permission(self, request, obj=None):
        return False
