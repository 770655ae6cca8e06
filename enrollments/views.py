"""Learner pages (/learn/) and the public certificate check (/certificates/verify/<code>).

Their own look (templates/learner/), no admin chrome. Every learner page needs a signed-in
active person: an inactive or deleted one is signed out at once (their sessions end and the
sign-in backend no longer accepts them), so every page and file answers as signed out.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from enrollments import selectors, services
from enrollments.certificate_pdf import certificate_pdf
from enrollments.models import EnrollmentState
from lms_admin.plumbing.errors import DomainError


@login_required
def learner_home(request):
    """`/`: staff go to the admin, learners see My learning."""
    if request.user.is_staff and request.GET.get("as") != "learner":
        return redirect("admin:index")
    return my_learning(request)


@login_required
def my_learning(request):
    invited, current, completed = [], [], []
    for enrollment in selectors.learner_enrollments(request.user):
        if enrollment.state == EnrollmentState.INVITED:
            invited.append(enrollment)
        elif enrollment.state == EnrollmentState.COMPLETED:
            completed.append(enrollment)
        else:
            current.append(enrollment)
    completed.sort(key=lambda e: e.completed_at or e.created_at, reverse=True)
    context = {"invited": invited, "current": current, "completed": completed, "section": "home"}
    return render(request, "learner/home.html", context)


@login_required
@require_POST
def start(request, enrollment_id: int):
    enrollment = selectors.learner_enrollment(request.user, enrollment_id)
    try:
        started = enrollment.started_at is None
        services.enrollment_start(enrollment, by=request.user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        verb = "started" if started else "are continuing"
        messages.success(request, f"You {verb} {enrollment.course.name}.")
    return redirect("learner:home")


@login_required
@require_POST
def accept(request, enrollment_id: int):
    enrollment = selectors.learner_enrollment(request.user, enrollment_id)
    try:
        services.enrollment_accept(enrollment, by=request.user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"You accepted {enrollment.course.name}. Start it when ready.")
    return redirect("learner:home")


@login_required
def certificates(request):
    context = {
        "certificates": selectors.learner_certificates(request.user),
        "section": "certificates",
    }
    return render(request, "learner/certificates.html", context)


@login_required
def certificate_file(request, code: str):
    certificate = selectors.learner_certificate(request.user, code)
    response = HttpResponse(certificate_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{code}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def verify(request, code: str):
    """Public: name, course, date, valid or revoked; nothing more. Unknown codes: 404."""
    certificate = selectors.certificate_verification(code)
    response = render(request, "learner/verify.html", {"certificate": certificate})
    response["X-Robots-Tag"] = "noindex"
    return response
