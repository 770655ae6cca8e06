from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from enrollments.views import learner_home
from users.admin.merging import merge_urls
from users.forms import ResetLinkPasswordForm
from users.views import choose_password

admin.site.site_header = "Learner lifecycle admin"
admin.site.site_title = "Learner lifecycle admin"
admin.site.index_title = "Training administration"

urlpatterns = [
    path("", learner_home, name="learner_home"),
    path("account/login/", auth_views.LoginView.as_view(), name="login"),
    path("admin/reports/", include("reports.urls")),
    path("admin/users/", include(merge_urls())),
    path("admin/", admin.site.urls),
    path("account/choose-password/", choose_password, name="choose_password"),
    path("account/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "account/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=ResetLinkPasswordForm),
        name="password_reset_confirm",
    ),
    path(
        "account/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("api/v1/", include("lms_admin.api.urls")),
    path("account/tokens/", include("users.views_tokens")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/", include("rest_framework.urls")),
]
