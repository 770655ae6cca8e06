"""The course page's roster (filter by several states at once, change a state in place), its
enrolment method switch with the confirmation shown before a course switches to "everyone",
and the list of a course's sections that the bulk-enrol form asks for."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from enrollments import selectors, services
from enrollments.models import Course, Enrollment, EnrollmentMethod, EnrollmentState, Section
from lms_admin.plumbing.admin import reason_from
from lms_admin.plumbing.counting import CappedPaginator
from lms_admin.plumbing.errors import DomainError

ROSTER_PAGE = 100
METHOD_WORDS = {EnrollmentMethod.MANUAL: "manual", EnrollmentMethod.EVERYONE: "“everyone”"}
# More sections than this in one course is not a drop-down any more.
SECTIONS_SHOWN = 500


def roster(course: Course, person, states: list[str]):
    """The course's enrolments a person may see, in the chosen states (all when none)."""
    rows = (
        Enrollment.objects.for_user(person)
        .filter(course=course)
        .select_related("user", "section")
        .order_by("user__last_name", "user__first_name", "id")
    )
    if states:
        rows = rows.filter(state__in=states)
    return rows


class CoursePages:
    """Mixed into CourseAdmin."""

    def roster_context(self, request, course):
        states = [s for s in request.GET.getlist("state") if s in EnrollmentState.values]
        # Capped: an "everyone" course can have a million people on its roster.
        paginator = CappedPaginator(roster(course, request.user, states), ROSTER_PAGE)
        page = paginator.get_page(request.GET.get("roster_page"))
        return {
            "roster_page": page,
            "roster_states": states,
            "all_states": EnrollmentState.choices,
            "can_change_enrollments": request.user.has_perm("enrollments.change_enrollment"),
        }

    def method_context(self, request, course) -> dict:
        other = (
            EnrollmentMethod.MANUAL
            if course.enrollment_method == EnrollmentMethod.EVERYONE
            else EnrollmentMethod.EVERYONE
        )
        return {
            "can_change_method": self.has_change_permission(request, course),
            "other_method": other,
            "other_method_label": METHOD_WORDS[other],
        }

    def enrolment_method_view(self, request, object_id):
        """Switch how people join this course, from the course page; "everyone" first shows
        how many people it will enrol, inactive ones included."""
        course = self.get_object(request, object_id)
        if not self.has_change_permission(request, course):
            raise PermissionDenied("Only a training admin can change how people join a course.")
        back = reverse("admin:enrollments_course_change", args=[course.pk])
        method = request.POST.get("method") or request.GET.get("method") or ""
        if method not in EnrollmentMethod.values:
            messages.error(request, "Choose “manual” or “everyone” as the enrolment method.")
            return redirect(back)
        if request.method != "POST":
            return TemplateResponse(
                request,
                "admin/enrollments/course/confirm_method.html",
                {
                    **self.admin_site.each_context(request),
                    "title": f"Switch {course.code} to {METHOD_WORDS[method]} enrolment?",
                    "opts": self.model._meta,
                    "course": course,
                    "method": method,
                    "preview": selectors.everyone_preview(course)
                    if method == EnrollmentMethod.EVERYONE
                    else None,
                },
            )
        try:
            enrolled = services.course_set_enrollment_method(
                course,
                method,
                by=request.user,
                reason=reason_from(request, "Enrolment method changed on the course page"),
            )
        except DomainError as error:
            messages.error(request, str(error))
        else:
            outcome = f"; {enrolled:,} people enrolled." if enrolled else "."
            messages.success(
                request, f"{course.code} now uses {METHOD_WORDS[method]} enrolment{outcome}"
            )
        return redirect(back)

    def sections_view(self, request, object_id):
        """The course's sections as JSON, for the bulk-enrol form's Section list."""
        course = self.get_object(request, object_id)
        if not self.has_view_permission(request, course):
            raise PermissionDenied("You cannot see this course.")
        sections = Section.objects.filter(course=course).order_by("-is_default", "name")
        return JsonResponse(
            {
                "sections": [
                    {"id": section.pk, "name": section.name, "is_default": section.is_default}
                    for section in sections[:SECTIONS_SHOWN]
                ]
            }
        )

    def set_state_view(self, request, object_id, enrollment_id):
        course = self.get_object(request, object_id)
        if request.method != "POST":
            return redirect(reverse("admin:enrollments_course_change", args=[course.pk]))
        if not request.user.has_perm("enrollments.change_enrollment") or self._is_manager(request):
            raise PermissionDenied("You do not have permission to change enrolments.")
        enrollment = (
            Enrollment.objects.for_user(request.user)
            .filter(course=course, pk=enrollment_id)
            .select_related("user")
            .first()
        )
        if enrollment is None:
            raise Http404("No such enrolment on this course.")
        state = request.POST.get("state", "")
        try:
            services.enrollment_set_state(
                enrollment,
                state,
                by=request.user,
                reason=request.POST.get("reason", "").strip() or "State changed on the roster",
            )
        except DomainError as error:
            if "application/json" in request.headers.get("Accept", ""):
                return JsonResponse({"ok": False, "error": str(error)}, status=400)
            messages.error(request, str(error))
        else:
            enrollment.refresh_from_db()
            message = (
                f"{enrollment.user.get_full_name()} is now {enrollment.get_state_display()} "
                f"in {enrollment.section.name}."
            )
            if "application/json" in request.headers.get("Accept", ""):
                return JsonResponse({"ok": True, "state": enrollment.state, "message": message})
            messages.success(request, message)
        back = request.POST.get("next") or reverse(
            "admin:enrollments_course_change", args=[course.pk]
        )
        return redirect(back)

    @admin.action(description="Enrol everyone in the organisation…", permissions=["change"])
    def enrol_everyone(self, request, queryset):
        if "confirm" not in request.POST:
            previews = [(course, selectors.everyone_preview(course)) for course in queryset]
            return TemplateResponse(
                request,
                "admin/enrollments/course/confirm_everyone.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Enrol everyone in the organisation",
                    "opts": self.model._meta,
                    "previews": previews,
                    "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                    "select_across": request.POST.get("select_across", "0"),
                    "action_url": request.get_full_path(),
                },
            )
        self._set_method(request, queryset, EnrollmentMethod.EVERYONE)
        return None
