"""Bulk actions on the users page, each with a confirmation page that says what will happen,
with counts, before anything changes. They work on a ticked selection or on "all N
matching" across pages (Django's select-across), and every one calls a service."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, Q
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from enrollments import services as enrollment_services
from enrollments.models import Course, EnrollmentType, Section
from enrollments.selectors import EnrolPlan, consumption_sentence, enrolment_plan
from lms_admin.plumbing.counting import COUNT_CAP, capped_count
from lms_admin.plumbing.errors import DomainError
from users import services
from users.admin.user_pages import remember_credentials
from users.models import Segment, User, UserStatus
from users.selectors.card import has_activity_condition, users_with_activity

PREVIEW_NAMES = 20


class ReasonForm(forms.Form):
    reason = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"size": 60, "placeholder": "e.g. Left the company"}),
        help_text="Kept in each person's history.",
    )


class DeleteForm(ReasonForm):
    include_active_people = forms.BooleanField(
        required=False,
        label="Also delete the people listed with activity",
        help_text="Their learning history is hidden with them. Deactivating keeps it visible.",
    )


class SegmentForm(ReasonForm):
    segment = forms.ModelChoiceField(queryset=Segment.objects.none())


class EnrolForm(ReasonForm):
    course = forms.ModelChoiceField(queryset=Course.objects.none())
    section = forms.ModelChoiceField(
        queryset=Section.objects.none(),
        required=False,
        empty_label="The course's default section",
        help_text="The sections of the chosen course.",
    )
    role = forms.ChoiceField(choices=EnrollmentType.choices, initial=EnrollmentType.STUDENT)
    inactive = forms.ChoiceField(
        choices=[
            ("skip", "Skip inactive users"),
            ("include", "Enrol them too, silently (no email; access once reactivated)"),
        ],
        initial="skip",
        widget=forms.RadioSelect,
        label="Inactive users in the selection",
    )

    def clean(self):
        data = super().clean()
        course, section = data.get("course"), data.get("section")
        if course and section and section.course_id != course.pk:
            self.add_error("section", f"This section belongs to another course, not {course}.")
        return data


def enrol_plan_facts(plan: EnrolPlan) -> list[str]:
    """What enrolling will do, in the words of the bulk pages."""
    silently = f", {plan.enrolled_silently:,} inactive enrolled silently" * bool(
        plan.enrolled_silently
    )
    facts = [
        f"{plan.enrolled:,} users are enrolled: {plan.told_by_email:,} told by email, "
        f"{plan.no_email:,} not told because they have no email address{silently}."
    ]
    facts.append(f"{plan.already_enrolled:,} are already enrolled and stay as they are.")
    facts.append(f"{plan.skipped_inactive:,} inactive users are skipped.")
    facts.append(f"{plan.skipped_deleted:,} deleted users are never enrolled.")
    return facts


class EmailForm(ReasonForm):
    subject = forms.CharField(max_length=200)
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 8, "cols": 70}))


def _consumption(queryset) -> str:
    return consumption_sentence(queryset.order_by().values("id"), single=False)


@dataclass
class PreviewNames:
    """The first people of a bulk page's set, by username, and how many more it holds."""

    people: list
    more: int = 0  # beyond the people listed; counted up to COUNT_CAP, then written "N+"
    more_capped: bool = False

    def __bool__(self):
        return bool(self.people)


def _names(queryset, limit=PREVIEW_NAMES) -> PreviewNames:
    people = list(queryset.order_by("username")[: limit + 1])
    if len(people) <= limit:
        return PreviewNames(people)
    total = capped_count(queryset, COUNT_CAP)
    return PreviewNames(people[:limit], min(total, COUNT_CAP) - limit, total > COUNT_CAP)


def _admin_accounts(queryset) -> list:
    """The people of a bulk change who run this admin (training admins, managers, power
    users, superusers): a "select all" can take them in unseen among thousands."""
    return list(
        queryset.filter(Q(is_staff=True) | Q(is_superuser=True))
        .prefetch_related("groups")
        .order_by("username")[: PREVIEW_NAMES + 1]
    )


class BulkActions:
    """Mixed into UserAdmin."""

    def _bulk_page(self, request, queryset, *, action, title, form, facts, **extra):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "action": action,
            "form": form,
            "facts": facts,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_url": request.get_full_path(),
            **extra,
        }
        return TemplateResponse(request, "admin/users/user/bulk_confirm.html", context)

    def _empty(self, request, queryset) -> bool:
        if not queryset.exists():
            self.message_user(request, "No users match; nothing was changed.", messages.WARNING)
            return True
        return False

    def _status_counts(self, queryset):
        counts = dict(
            User.objects.filter(id__in=queryset.order_by().values("id"))
            .values_list("status")
            .annotate(n=Count("id"))
        )
        return {status: counts.get(status, 0) for status in UserStatus.values}

    def _reason(self, form, default):
        return form.cleaned_data.get("reason") or default

    def _domain(self, request, call):
        try:
            with transaction.atomic():
                return call()
        except DomainError as error:
            self.message_user(request, str(error), messages.ERROR)
            return None

    @admin.action(description="Deactivate…", permissions=["change"])
    def deactivate_selected(self, request, queryset):
        if self._empty(request, queryset):
            return None
        form = ReasonForm(request.POST if "confirm" in request.POST else None)
        if not form.is_valid():
            counts = self._status_counts(queryset)
            return self._bulk_page(
                request,
                queryset,
                action="deactivate_selected",
                title="Deactivate users",
                form=form,
                facts=[
                    f"{counts['active']:,} active users become inactive: they lose access at "
                    "once; their enrolments and history are kept.",
                    f"{counts['inactive']:,} are already inactive and "
                    f"{counts['deleted']:,} are deleted: they are left as they are.",
                    _consumption(queryset.filter(status=UserStatus.ACTIVE)),
                ],
                names=_names(queryset.filter(status=UserStatus.ACTIVE)),
                admin_accounts=_admin_accounts(queryset.filter(status=UserStatus.ACTIVE)),
                button="Deactivate",
            )
        outcome = self._domain(
            request,
            lambda: services.users_deactivate(
                queryset, by=request.user, reason=self._reason(form, "Deactivated in the admin")
            ),
        )
        if outcome:
            self.message_user(
                request,
                f"Deactivated {outcome.changed:,} users. {outcome.skipped:,} left as they were.",
                messages.SUCCESS,
            )
        return None

    @admin.action(description="Reactivate…", permissions=["change"])
    def reactivate_selected(self, request, queryset):
        if self._empty(request, queryset):
            return None
        form = ReasonForm(request.POST if "confirm" in request.POST else None)
        if not form.is_valid():
            inactive = queryset.filter(status=UserStatus.INACTIVE)
            with_email = inactive.exclude(email="").count()
            total = inactive.count()
            return self._bulk_page(
                request,
                queryset,
                action="reactivate_selected",
                title="Reactivate users",
                form=form,
                facts=[
                    f"{total:,} inactive users become active, with every enrolment as it was.",
                    f"{with_email:,} get a password reset link by email.",
                    f"{total - with_email:,} have no email: you will get a temporary password for "
                    "each, shown once and downloadable once as CSV.",
                ],
                names=_names(inactive),
                button="Reactivate",
            )
        outcome = self._domain(
            request,
            lambda: services.users_reactivate(
                queryset, by=request.user, reason=self._reason(form, "Reactivated in the admin")
            ),
        )
        if not outcome:
            return None
        key = remember_credentials(request, outcome.credentials)
        links = sum(1 for c in outcome.credentials if c.reset_link_sent_to)
        temporary = [c for c in outcome.credentials if c.temporary_password]
        context = {
            **self.admin_site.each_context(request),
            "title": "Users reactivated",
            "opts": self.model._meta,
            "changed": outcome.changed,
            "skipped": outcome.skipped,
            "links": links,
            "temporary": temporary,
            "download_url": reverse("admin:users_user_credentials", args=[key]) if key else "",
            "back_url": request.get_full_path(),
        }
        return TemplateResponse(request, "admin/users/user/bulk_reactivated.html", context)

    @admin.action(description="Delete…", permissions=["lifecycle_delete"])
    def delete_users(self, request, queryset):
        """People without activity are deleted; those with activity only when the box is
        ticked (otherwise they are left alone, and the message says how many)."""
        if self._empty(request, queryset):
            return None
        live = queryset.exclude(status=UserStatus.DELETED).exclude(pk=request.user.pk)
        active_people = users_with_activity(live)
        form = DeleteForm(request.POST if "confirm" in request.POST else None)
        if not form.is_valid():
            activity_count = active_people.count()
            total = live.count()
            return self._bulk_page(
                request,
                queryset,
                action="delete_users",
                title="Delete users",
                form=form,
                facts=[
                    f"{total - activity_count:,} users with no activity (never signed in, never "
                    "started a course) are deleted.",
                    f"{activity_count:,} users have activity and are listed apart below: they "
                    "are deleted only if you tick the box; otherwise they are left as they are.",
                    "Undelete restores anyone deleted here, with every enrolment exactly.",
                    _consumption(live),
                ],
                names=_names(live.exclude(pk__in=active_people.values("pk"))),
                apart=_names(active_people),
                apart_count=activity_count,
                button="Delete",
                danger=True,
            )
        include_active = form.cleaned_data["include_active_people"]
        targets = queryset if include_active else queryset.exclude(has_activity_condition())
        left_alone = 0 if include_active else active_people.count()
        outcome = self._domain(
            request,
            lambda: services.users_delete(
                targets, by=request.user, reason=self._reason(form, "Deleted in the admin")
            ),
        )
        if outcome:
            message = f"Deleted {outcome.changed:,} users."
            if left_alone:
                message += (
                    f" {left_alone:,} with activity were left alone: tick “Also delete the people "
                    "listed with activity” to delete them too, or deactivate them instead."
                )
            self.message_user(request, message, messages.SUCCESS)
        return None

    @admin.action(description="Undelete…", permissions=["lifecycle_delete"])
    def undelete_users(self, request, queryset):
        if self._empty(request, queryset):
            return None
        form = ReasonForm(request.POST if "confirm" in request.POST else None)
        if not form.is_valid():
            deleted = queryset.filter(status=UserStatus.DELETED)
            return self._bulk_page(
                request,
                queryset,
                action="undelete_users",
                title="Undelete users",
                form=form,
                facts=[
                    f"{deleted.count():,} deleted users return to the status they had before, "
                    "and every enrolment to its exact state.",
                ],
                names=_names(deleted),
                button="Undelete",
            )
        outcome = self._domain(
            request,
            lambda: services.users_undelete(
                queryset, by=request.user, reason=self._reason(form, "Undeleted in the admin")
            ),
        )
        if outcome:
            key = remember_credentials(request, outcome.credentials)
            self.message_user(request, f"Undeleted {outcome.changed:,} users.", messages.SUCCESS)
            if key:
                url = reverse("admin:users_user_credentials", args=[key])
                self.message_user(
                    request,
                    f"Some returned as active and got new sign-in details: download them once "
                    f"from {url}",
                    messages.WARNING,
                )
        return None

    def _segment_action(self, request, queryset, *, adding: bool):
        if self._empty(request, queryset):
            return None
        form = SegmentForm(request.POST if "confirm" in request.POST else None)
        form.fields["segment"].queryset = Segment.objects.for_user(request.user)
        if not form.is_valid():
            counts = self._status_counts(queryset)
            verb = "added to" if adding else "removed from"
            return self._bulk_page(
                request,
                queryset,
                action="add_to_segment" if adding else "remove_from_segment",
                title="Add to a segment" if adding else "Remove from a segment",
                form=form,
                facts=[
                    f"{sum(counts.values()):,} users are {verb} the segment you choose "
                    f"({counts['inactive']:,} inactive and {counts['deleted']:,} deleted among "
                    "them; membership does not depend on status).",
                ],
                names=_names(queryset),
                button="Add" if adding else "Remove",
            )
        segment = form.cleaned_data["segment"]
        call = services.segment_add_members if adding else services.segment_remove_members
        count = self._domain(
            request,
            lambda: call(
                segment,
                queryset,
                by=request.user,
                reason=self._reason(form, f"Segment {segment.name} changed in the admin"),
            ),
        )
        if count is not None:
            verb = "Added" if adding else "Removed"
            self.message_user(
                request,
                f"{verb} {count:,} users {'to' if adding else 'from'} {segment}.",
                messages.SUCCESS,
            )
        return None

    @admin.action(description="Add to segment…", permissions=["change"])
    def add_to_segment(self, request, queryset):
        return self._segment_action(request, queryset, adding=True)

    @admin.action(description="Remove from segment…", permissions=["change"])
    def remove_from_segment(self, request, queryset):
        return self._segment_action(request, queryset, adding=False)

    def _plan(self, queryset, form) -> EnrolPlan:
        data = form.cleaned_data
        return enrolment_plan(
            queryset,
            course=data["course"],
            section=data.get("section"),
            type=data.get("role") or EnrollmentType.STUDENT,
            include_inactive=data.get("inactive") == "include",
        )

    @admin.action(description="Enrol in course…", permissions=["change"])
    def enrol_in_course(self, request, queryset):
        if self._empty(request, queryset):
            return None
        form = EnrolForm(request.POST if "confirm" in request.POST else None)
        courses = Course.objects.for_user(request.user)
        form.fields["course"].queryset = courses
        # Only the chosen course's sections: a list of every section of every course would
        # be huge. The page fills it in when a course is chosen (bulk_enrol.js).
        chosen = request.POST.get("course", "") if "confirm" in request.POST else ""
        form.fields["section"].queryset = (
            Section.objects.filter(course__in=courses, course_id=int(chosen)).order_by(
                "-is_default", "name"
            )
            if chosen.isdigit()
            else Section.objects.none()
        )
        if "plan" in request.POST:
            # bulk_enrol.js asks, whenever the course, section, role or choice for inactive
            # people changes, what enrolling would do.
            form = EnrolForm(request.POST)
            form.fields["course"].queryset = courses
            form.fields["section"].queryset = Section.objects.filter(course__in=courses)
            if not form.is_valid():
                return JsonResponse({"facts": []})
            return JsonResponse({"facts": enrol_plan_facts(self._plan(queryset, form))})
        if not form.is_valid():
            counts = self._status_counts(queryset)
            facts = [
                f"{counts['active']:,} of the selected users are active: choose a course to "
                "see how many will be enrolled and told by email.",
                f"{counts['inactive']:,} of the selected users are inactive: choose below "
                "whether to skip them (the default) or enrol them silently.",
                f"{counts['deleted']:,} deleted users are never enrolled.",
            ]
            if form.is_bound and form.cleaned_data.get("course") and not form.has_error("section"):
                facts = enrol_plan_facts(self._plan(queryset, form))
            return self._bulk_page(
                request,
                queryset,
                action="enrol_in_course",
                title="Enrol in a course",
                form=form,
                facts=facts,
                names=_names(queryset),
                inactive_count=counts["inactive"],
                sections_url=reverse("admin:enrollments_course_sections", args=[0]),
                button="Enrol",
            )
        data = form.cleaned_data
        outcome = self._domain(
            request,
            lambda: enrollment_services.enrollments_create(
                queryset,
                course=data["course"],
                section=data["section"],
                type=data["role"],
                include_inactive=data["inactive"] == "include",
                by=request.user,
                reason=self._reason(form, f"Enrolled in {data['course'].code} in the admin"),
            ),
        )
        if outcome:
            self.message_user(
                request,
                f"Enrolled {outcome.created:,} users in {data['course']}. "
                f"{outcome.already_enrolled:,} were already enrolled, "
                f"{outcome.skipped_inactive:,} inactive users skipped, "
                f"{outcome.skipped_deleted:,} deleted users skipped.",
                messages.SUCCESS,
            )
        return None

    @admin.action(description="Email users…", permissions=["change"])
    def email_users(self, request, queryset):
        if self._empty(request, queryset):
            return None
        form = EmailForm(request.POST if "confirm" in request.POST else None)
        if not form.is_valid():
            counts = self._status_counts(queryset)
            no_email = capped_count(queryset.filter(status=UserStatus.ACTIVE, email=""))
            return self._bulk_page(
                request,
                queryset,
                action="email_users",
                title="Email users",
                form=form,
                facts=[
                    f"{counts['active'] - no_email:,} active users with an email receive it, "
                    "after you confirm.",
                    f"Excluded: {counts['inactive']:,} inactive, {counts['deleted']:,} deleted, "
                    f"{no_email:,} without an email address.",
                ],
                names=_names(queryset.filter(status=UserStatus.ACTIVE).exclude(email="")),
                button="Send",
            )
        data = form.cleaned_data
        outcome = self._domain(
            request,
            lambda: services.users_email(
                queryset,
                subject=data["subject"],
                body=data["body"],
                by=request.user,
                reason=self._reason(form, "Email from the admin"),
            ),
        )
        if outcome:
            self.message_user(
                request,
                f"Email sent to {outcome.sent:,} users. Not sent to {outcome.excluded_inactive:,} "
                f"inactive, {outcome.excluded_deleted:,} deleted and "
                f"{outcome.excluded_without_email:,} without email.",
                messages.SUCCESS,
            )
        return None


def bulk_action_names():
    return [
        "deactivate_selected",
        "reactivate_selected",
        "delete_users",
        "undelete_users",
        "add_to_segment",
        "remove_from_segment",
        "enrol_in_course",
        "email_users",
    ]
