from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from enrollments.views import learner_home, verify
from lms_admin.api.docs import DocsView, SchemaView
from reports.views.reviews import review_download
from users.admin.merging import merge_urls
from users.admin.reviews import review_urls
from users.forms import ResetLinkPasswordForm, SignInForm
from users.views import ForgotPasswordView, SignOutView, choose_password

urlpatterns = [
    path("", learner_home, name="learner_home"),
    path("learn/", include("enrollments.urls")),
    path("certificates/verify/<str:code>", verify, name="certificate_verify"),
    path(
        "account/login/",
        auth_views.LoginView.as_view(authentication_form=SignInForm),
        name="login",
    ),
    path("account/password-reset/", ForgotPasswordView.as_view(), name="password_reset"),
    path(
        "account/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="registration/forgot_password_sent.html"
        ),
        name="password_reset_done",
    ),
    path("admin/reports/", include("reports.urls")),
    path("admin/users/review/", include(review_urls())),
    path(
        "admin/users/review/<int:run_id>/download.csv",
        admin.site.admin_view(review_download),
        name="users_review_download",
    ),
    path("admin/users/", include(merge_urls())),
    path("admin/", admin.site.urls),
    path("account/choose-password/", choose_password, name="choose_password"),
    path("account/logout/", SignOutView.as_view(), name="logout"),
    path(
        "account/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            form_class=ResetLinkPasswordForm,
            template_name="registration/reset_confirm.html",
        ),
        name="password_reset_confirm",
    ),
    path(
        "account/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("api/v1/", include("lms_admin.api.urls")),
    path("account/tokens/", include("users.views_tokens")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", DocsView.as_view(url_name="schema"), name="api-docs"),
    path("api/", include("rest_framework.urls")),
]
