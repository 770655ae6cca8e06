"""/learn/: the learner's pages."""

from django.urls import path

from enrollments import views

app_name = "learner"

urlpatterns = [
    path("", views.my_learning, name="home"),
    path("enrolments/<int:enrollment_id>/start/", views.start, name="start"),
    path("enrolments/<int:enrollment_id>/accept/", views.accept, name="accept"),
    path("certificates/", views.certificates, name="certificates"),
    path(
        "certificates/<str:code>.pdf",
        views.certificate_file,
        name="certificate_pdf",
    ),
]
