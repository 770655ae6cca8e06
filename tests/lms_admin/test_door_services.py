"""The services that closed the side doors: organisations, segments, courses, sections,
status words and tokens change through one function each, with actor and reason, and the
admin pages that edit them call it. One stale-edit check (lms_admin.plumbing.stale)."""

import pytest
from django.urls import reverse

from enrollments import services as enrollment_services
from enrollments.models import Course, Section
from imports import services as import_services
from imports.models import StatusWord
from lms_admin.plumbing.errors import DomainError, NotPermitted
from lms_admin.plumbing.stale import StaleEdit, edit_version
from tests.conftest import PASSWORD
from users import services
from users.models import AccessToken, Organisation, Segment, User, UserStatus


def sign_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def latest(model, pk):
    return model.history.filter(id=pk).order_by("-history_id").first()


def test_organisation_update_writes_one_row_with_actor_and_reason(admin_user, organisation):
    before = organisation.history.count()
    services.organisation_update(organisation, name="Acme Learning", by=admin_user, reason="Rename")
    record = latest(Organisation, organisation.pk)
    assert (record.name, record.history_user, record.history_change_reason) == (
        "Acme Learning",
        admin_user,
        "Rename",
    )
    # Nothing changes, nothing is written.
    services.organisation_update(organisation, name="Acme Learning", by=admin_user, reason="x")
    assert organisation.history.count() == before + 1


def test_organisation_cannot_sit_inside_itself(admin_user, organisation):
    child = services.organisation_create(
        name="Acme North", slug="acme-north", parent=organisation, by=admin_user, reason="t"
    )
    with pytest.raises(DomainError, match="inside itself"):
        services.organisation_update(organisation, parent=child, by=admin_user, reason="t")


def test_organisation_admin_page_goes_through_the_service(client, admin_user, organisation):
    sign_in(client, admin_user)
    url = reverse("admin:users_organisation_change", args=[organisation.pk])
    response = client.post(
        url, {"name": "Acme Renamed", "slug": "acme", "sis_account_id": "ACME", "reason": "Merger"}
    )
    assert response.status_code == 302, response.content
    record = latest(Organisation, organisation.pk)
    assert (record.name, record.history_user, record.history_change_reason) == (
        "Acme Renamed",
        admin_user,
        "Merger",
    )


def test_segment_update_refuses_a_power_user_out_of_scope(admin_user, power_user, organisation):
    segment = services.segment_create(name="Night", organisation=organisation, by=None, reason="t")
    with pytest.raises(NotPermitted):
        services.segment_update(segment, name="Day", by=power_user, reason="t")
    services.segment_update(segment, name="Day", by=admin_user, reason="Shift change")
    record = latest(Segment, segment.pk)
    assert (record.name, record.history_user, record.history_change_reason) == (
        "Day",
        admin_user,
        "Shift change",
    )


def test_course_and_section_updates_write_history(admin_user, course):
    enrollment_services.course_update(course, name="Fire safety 2", by=admin_user, reason="Ed.")
    record = latest(Course, course.pk)
    assert (record.name, record.history_user, record.history_change_reason) == (
        "Fire safety 2",
        admin_user,
        "Ed.",
    )
    section = Section.objects.get(course=course, is_default=True)
    enrollment_services.section_update(section, sis_section_id="", by=admin_user, reason="t")
    count = section.history.count()
    enrollment_services.section_update(section, name="Evening", by=admin_user, reason="Rename")
    assert section.history.count() == count + 1
    assert latest(Section, section.pk).history_user == admin_user


def test_course_page_saves_course_and_sections_through_services(client, admin_user, course):
    sign_in(client, admin_user)
    section = Section.objects.get(course=course, is_default=True)
    data = {
        "code": course.code,
        "name": "Renamed on the page",
        "sis_course_id": course.sis_course_id or "",
        "organisation": course.organisation_id or "",
        "start_date": "",
        "end_date": "",
        "credit_cost": "0",
        "sections-TOTAL_FORMS": "2",
        "sections-INITIAL_FORMS": "1",
        "sections-0-id": section.pk,
        "sections-0-course": course.pk,
        "sections-0-name": section.name,
        "sections-0-sis_section_id": section.sis_section_id or "",
        "sections-1-course": course.pk,
        "sections-1-name": "Weekend",
        "sections-1-sis_section_id": "WKND",
        "reason": "New term",
    }
    response = client.post(reverse("admin:enrollments_course_change", args=[course.pk]), data)
    assert response.status_code == 302, response.context and response.context.get("errors")
    assert latest(Course, course.pk).history_user == admin_user
    weekend = Section.objects.get(course=course, sis_section_id="WKND")
    record = latest(Section, weekend.pk)
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "+",
        admin_user,
        "New term",
    )


def test_status_words_change_through_services(client, admin_user):
    word = import_services.status_word_create(
        word="Sabbatical", applies_to="users", means="inactive", by=admin_user, reason="New"
    )
    import_services.status_word_update(word, means="deleted", by=admin_user, reason="Policy")
    assert latest(StatusWord, word.pk).history_change_reason == "Policy"
    with pytest.raises(DomainError, match="built-in word"):
        import_services.status_word_create(
            word="Active", applies_to="users", means="inactive", by=admin_user, reason="t"
        )
    sign_in(client, admin_user)
    url = reverse("admin:imports_statusword_delete", args=[word.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    record = StatusWord.history.filter(id=word.pk, history_type="-").get()
    assert record.history_user == admin_user


def test_tokens_are_made_and_revoked_by_the_services(admin_user):
    token, secret = services.token_create(admin_user, by=admin_user, reason="Script")
    assert secret.startswith("lms_")
    assert latest(AccessToken, token.pk).history_user == admin_user
    services.token_revoke(token, by=admin_user, reason="Leaked")
    count = token.history.count()
    services.token_revoke(token, by=admin_user, reason="Again")
    assert token.history.count() == count


def test_one_stale_check_for_version_and_status(admin_user, make_user):
    learner = make_user()
    seen = edit_version(learner)
    services.user_update(learner, first_name="Someone", by=admin_user, reason="Spelling")
    with pytest.raises(StaleEdit, match="Someone else changed .* while you were editing"):
        services.user_update(
            learner, last_name="X", expected_version=seen, by=admin_user, reason="t"
        )
    with pytest.raises(StaleEdit, match="They are now Active"):
        services.user_deactivate(learner, expected_status="inactive", by=admin_user, reason="t")
    assert User.objects.get(pk=learner.pk).status == UserStatus.ACTIVE
    services.user_deactivate(
        learner, expected_version=edit_version(learner), by=admin_user, reason="Left"
    )
    assert User.objects.get(pk=learner.pk).status == UserStatus.INACTIVE
