"""The REST API's URLs under /api/v1/, in Canvas's shapes. Views live in the apps."""

from django.urls import path

from enrollments.api import views as courses
from users.api import views as users

urlpatterns = [
    path("accounts", users.AccountListView.as_view()),
    path("accounts/<str:account_id>", users.AccountDetailView.as_view()),
    path("accounts/<str:account_id>/sub_accounts", users.SubAccountListView.as_view()),
    path("accounts/<str:account_id>/users", users.AccountUsersView.as_view()),
    path("accounts/<str:account_id>/users/<str:user_id>", users.AccountUserDeleteView.as_view()),
    path(
        "accounts/<str:account_id>/users/<str:user_id>/restore",
        users.AccountUserRestoreView.as_view(),
    ),
    path("accounts/<str:account_id>/reports/archived", users.ArchivedReportView.as_view()),
    path("accounts/<str:account_id>/courses", courses.AccountCoursesView.as_view()),
    path("users/<str:user_id>", users.UserDetailView.as_view()),
    path("users/<str:user_id>/history", users.UserHistoryView.as_view()),
    path("users/<str:user_id>/enrollments", courses.UserEnrollmentsView.as_view()),
    path("courses/<str:course_id>", courses.CourseDetailView.as_view()),
    path("courses/<str:course_id>/sections", courses.CourseSectionsView.as_view()),
    path("courses/<str:course_id>/sections/<str:section_id>", courses.SectionDetailView.as_view()),
    path("courses/<str:course_id>/enrollments", courses.CourseEnrollmentsView.as_view()),
    path(
        "courses/<str:course_id>/enrollments/<str:enrollment_id>",
        courses.EnrollmentDetailView.as_view(),
    ),
    path(
        "courses/<str:course_id>/enrollments/<str:enrollment_id>/reactivate",
        courses.EnrollmentReactivateView.as_view(),
    ),
    path("sections/<str:section_id>", courses.SectionDetailView.as_view()),
    path("sections/<str:section_id>/enrollments", courses.SectionEnrollmentsView.as_view()),
]
