"""The REST API's URLs under /api/v1/, in Canvas's shapes. Views live in the apps.

Ids in paths use the `id` converter: a SIS id may hold a "/" (sent as %2F), so each route
with a fixed suffix comes before the shorter route it extends. Anything no route matches
gets Canvas's JSON 404.
"""

from django.urls import path, re_path, register_converter

from lms_admin.api import enrollments as courses
from lms_admin.api import logins, merges, reports, sis_imports, terms, users
from lms_admin.api.base import CanvasIdConverter, route_not_found

register_converter(CanvasIdConverter, "id")

urlpatterns = [
    path("accounts", users.AccountListView.as_view()),
    path(
        "accounts/<id:account_id>/users/<id:user_id>/restore",
        users.AccountUserRestoreView.as_view(),
    ),
    path("accounts/<id:account_id>/users/<id:user_id>", users.AccountUserDeleteView.as_view()),
    path("accounts/<id:account_id>/logins/<id:login_id>", logins.AccountLoginDetailView.as_view()),
    path("accounts/<id:account_id>/logins", logins.AccountLoginsView.as_view()),
    path(
        "accounts/<id:account_id>/sis_imports/abort_all_pending",
        sis_imports.AbortAllPendingView.as_view(),
    ),
    path(
        "accounts/<id:account_id>/sis_imports/<id:import_id>/abort",
        sis_imports.SisImportAbortView.as_view(),
    ),
    path(
        "accounts/<id:account_id>/sis_imports/<id:import_id>/restore_states",
        sis_imports.SisImportRestoreStatesView.as_view(),
    ),
    path(
        "accounts/<id:account_id>/sis_imports/<id:import_id>",
        sis_imports.SisImportDetailView.as_view(),
    ),
    path("accounts/<id:account_id>/sis_imports", sis_imports.SisImportsView.as_view()),
    path("accounts/<id:account_id>/terms/<id:term_id>", terms.AccountTermDetailView.as_view()),
    path("accounts/<id:account_id>/terms", terms.AccountTermsView.as_view()),
    path("accounts/<id:account_id>/users", users.AccountUsersView.as_view()),
    path("accounts/<id:account_id>/sub_accounts", users.SubAccountListView.as_view()),
    path("accounts/<id:account_id>/reports/archived", reports.ArchivedReportView.as_view()),
    path("accounts/<id:account_id>/courses", courses.AccountCoursesView.as_view()),
    path("accounts/<id:account_id>", users.AccountDetailView.as_view()),
    path("users/<id:user_id>/history", users.UserHistoryView.as_view()),
    path("users/<id:user_id>/logins/<id:login_id>", logins.UserLoginDeleteView.as_view()),
    path("users/<id:user_id>/logins", logins.UserLoginsView.as_view()),
    path("users/<id:user_id>/sessions", logins.UserSessionsView.as_view()),
    path("users/<id:user_id>/profile", logins.UserProfileView.as_view()),
    path("users/<id:user_id>/communication_channels", logins.UserChannelsView.as_view()),
    path(
        "audit/authentication/users/<id:user_id>",
        logins.UserAuthenticationEventsView.as_view(),
    ),
    path(
        "audit/authentication/accounts/<id:account_id>",
        logins.AccountAuthenticationEventsView.as_view(),
    ),
    path("progress/<id:progress_id>", sis_imports.ProgressView.as_view()),
    path(
        "users/<id:user_id>/merge_into/accounts/<id:account_id>/users/<id:destination_user_id>",
        merges.AccountMergeIntoView.as_view(),
    ),
    path("users/<id:user_id>/merge_into/<id:destination_user_id>", merges.MergeIntoView.as_view()),
    path("users/<id:user_id>/split", merges.SplitView.as_view()),
    path("users/<id:user_id>/enrollments", courses.UserEnrollmentsView.as_view()),
    path("users/<id:user_id>", users.UserDetailView.as_view()),
    path(
        "courses/<id:course_id>/enrollments/<id:enrollment_id>/reactivate",
        courses.EnrollmentReactivateView.as_view(),
    ),
    path(
        "courses/<id:course_id>/enrollments/<id:enrollment_id>",
        courses.EnrollmentDetailView.as_view(),
    ),
    path("courses/<id:course_id>/enrollments", courses.CourseEnrollmentsView.as_view()),
    path("courses/<id:course_id>/sections/<id:section_id>", courses.SectionDetailView.as_view()),
    path("courses/<id:course_id>/sections", courses.CourseSectionsView.as_view()),
    path("courses/<id:course_id>", courses.CourseDetailView.as_view()),
    path("sections/<id:section_id>/enrollments", courses.SectionEnrollmentsView.as_view()),
    path("sections/<id:section_id>", courses.SectionDetailView.as_view()),
    re_path(r"", route_not_found),
]
