"""/admin/reports/...: admin pages, each wrapped by the admin site's own sign-in check."""

from django.contrib import admin
from django.urls import path, re_path

from reports.views.pages import AnalyticsView, ArchivedView, ChangesView, HistoryView, IndexView
from reports.views.seats import SeatsView

app_name = "reports"


def _page(route: str, view, name: str):
    wrapped = admin.site.admin_view(view.as_view())
    return [
        path(route, wrapped, name=name),
        re_path(rf"^{route}export/(?P<fmt>csv|xlsx|json)/$", wrapped, name=f"{name}-export"),
    ]


urlpatterns = [
    path("", admin.site.admin_view(IndexView.as_view()), name="index"),
    *_page("analytics/", AnalyticsView, "analytics"),
    *_page("archived/", ArchivedView, "archived"),
    *_page("history/", HistoryView, "history"),
    *_page("changes/", ChangesView, "changes"),
    *_page("seats/", SeatsView, "seats"),
]
