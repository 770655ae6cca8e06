"""Learner pages: what a signed-in learner sees. An inactive learner cannot sign in at all."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from enrollments.models import ACCESS_STATES, Enrollment


@login_required
def learner_home(request):
    if request.user.is_staff and request.GET.get("as") != "learner":
        return redirect("admin:index")
    enrollments = (
        Enrollment.objects.filter(user=request.user, state__in=ACCESS_STATES)
        .select_related("course", "section")
        .prefetch_related("certificates")
        .order_by("state", "course__name")
    )
    return render(request, "learner/home.html", {"enrollments": enrollments})
