"""enrollments.selectors: every read of courses, sections and enrolments is narrowed to the
viewer, and a learner's own pages to the learner. A power user of Partner looks at Acme's
course, section, enrolment and seat: each is absent, exactly as a missing one would be."""

import pytest
from django.http import Http404

from enrollments import selectors
from enrollments import services as enrollment_services
from enrollments.models import EnrollmentState
from users.models import Organisation


@pytest.fixture
def two_sides(admin_user, power_user, partner, course, make_user):
    """Acme's course (the `course` fixture) with an enrolment that has used a seat and
    earned a certificate, and a course of the power user's own organisation."""
    theirs = make_user(username="acme-learner")
    their_enrollment = enrollment_services.enrollment_create(
        user=theirs, course=course, by=admin_user, reason="t"
    )
    enrollment_services.enrollment_start(their_enrollment, by=theirs)
    enrollment_services.enrollment_set_state(
        their_enrollment, EnrollmentState.COMPLETED, by=admin_user, reason="t"
    )
    enrollment_services.certificate_issue(their_enrollment, by=admin_user, reason="t")
    own_course = enrollment_services.course_create(
        code="OWN",
        name="Own",
        organisation=partner,
        sis_course_id="SIS-OWN",
        by=admin_user,
        reason="t",
    )
    ours = make_user(username="partner-learner", organisation=partner)
    our_enrollment = enrollment_services.enrollment_create(
        user=ours, course=own_course, by=admin_user, reason="t"
    )
    return {
        "their_course": course,
        "their_enrollment": their_enrollment,
        "their_learner": theirs,
        "own_course": own_course,
        "our_enrollment": our_enrollment,
        "our_learner": ours,
    }


def test_another_organisations_course_and_section_read_as_missing(power_user, two_sides):
    theirs, own = two_sides["their_course"], two_sides["own_course"]
    assert selectors.course_get(power_user, str(own.pk)) == own
    for value in (str(theirs.pk), "sis_course_id:SIS-SAFE101"):
        with pytest.raises(Http404):
            selectors.course_get(power_user, value)
    their_section = theirs.sections.get()
    with pytest.raises(Http404):
        selectors.section_get(power_user, str(their_section.pk))
    assert selectors.section_get(power_user, str(own.sections.get().pk)).course == own
    assert not selectors.course_sections(power_user, theirs).exists()
    assert list(selectors.course_sections(power_user, own)) == list(own.sections.all())


def test_an_accounts_courses_are_its_own_tree_and_the_viewers_scope(
    admin_user, power_user, partner, organisation, two_sides
):
    sub = Organisation.objects.create(name="Acme South", slug="south", parent=organisation)
    below = enrollment_services.course_create(
        code="SOUTH", name="South", organisation=sub, by=admin_user, reason="t"
    )
    as_admin = selectors.account_courses(admin_user, organisation, {}).qs
    assert set(as_admin) == {two_sides["their_course"], below}
    assert set(selectors.account_courses(power_user, organisation, {}).qs) == set()
    assert set(selectors.account_courses(power_user, partner, {}).qs) == {two_sides["own_course"]}


def test_another_organisations_enrolments_are_not_visible(power_user, two_sides):
    theirs, ours = two_sides["their_enrollment"], two_sides["our_enrollment"]
    assert list(selectors.visible_enrollments(power_user)) == [ours]
    assert list(selectors.enrollments_list(power_user, {}).qs) == [ours]
    assert not selectors.enrollments_list(power_user, {}, course=theirs.course).qs.exists()
    with pytest.raises(Http404):
        selectors.enrollment_get(power_user, theirs.course, str(theirs.pk))
    with pytest.raises(Http404):
        selectors.enrollment_get(power_user, theirs.course, "sis_login_id:acme-learner")
    assert selectors.enrollment_get(power_user, ours.course, str(ours.pk)) == ours


def test_an_enrolment_list_in_every_state_holds_only_the_viewers_scope(
    admin_user, power_user, two_sides
):
    """Acme's enrolment is completed, so the default states (active, invited) hide it
    whatever the scope; asked for every state, the list must still leave it out."""
    theirs, ours = two_sides["their_enrollment"], two_sides["our_enrollment"]
    every_state = {"state": ["all"]}
    assert set(selectors.enrollments_list(admin_user, every_state).qs) == {theirs, ours}
    assert list(selectors.enrollments_list(power_user, every_state).qs) == [ours]
    assert not selectors.enrollments_list(power_user, every_state, course=theirs.course).qs.exists()


def test_another_organisations_seat_ledger_is_empty(power_user, organisation, two_sides):
    assert selectors.seats_used(organisation) == 1
    assert not selectors.seat_entries(power_user, organisation).exists()


def test_a_learner_reads_only_their_own_enrolments_and_certificates(two_sides):
    theirs, ours = two_sides["their_enrollment"], two_sides["our_enrollment"]
    learner = two_sides["our_learner"]
    assert list(selectors.learner_enrollments(learner)) == [ours]
    with pytest.raises(Http404):
        selectors.learner_enrollment(learner, theirs.pk)
    assert not selectors.learner_certificates(learner).exists()
    code = theirs.certificates.get().verification_code
    with pytest.raises(Http404):
        selectors.learner_certificate(learner, code)
    assert selectors.learner_certificates(two_sides["their_learner"]).count() == 1
