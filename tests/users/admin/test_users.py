import pytest
from django.urls import reverse

from enrollments import services as enrollment_services
from tests.conftest import PASSWORD
from users import services
from users.models import Organisation, Segment, User, UserStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner_learner(partner, admin_user):
    return services.user_create(
        username="partner_learner", organisation=partner, by=admin_user, reason="t"
    )


@pytest.fixture
def acme_learner(make_user):
    return make_user(username="acme_learner")


def sign_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def change_url(obj):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def history_url(obj):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_history", args=[obj.pk])


def test_power_user_sees_only_their_organisation(client, power_user, partner_learner, acme_learner):
    sign_in(client, power_user)
    response = client.get(reverse("admin:users_user_changelist"))
    assert response.status_code == 200
    shown = {user.username for user in response.context["cl"].result_list}
    assert shown == {"power", "partner_learner"}


def test_power_user_gets_404_for_another_organisations_objects(
    client, power_user, acme_learner, course, admin_user, organisation
):
    enrollment = enrollment_services.enrollment_create(
        user=acme_learner, course=course, by=admin_user, reason="t"
    )
    segment = services.segment_create(
        name="Acme only", organisation=organisation, by=None, reason="t"
    )
    sign_in(client, power_user)
    for obj in (acme_learner, enrollment, segment, organisation):
        assert client.get(change_url(obj)).status_code == 404, obj
        assert client.get(history_url(obj)).status_code == 404, obj
    response = client.post(change_url(acme_learner), {"username": "hijacked"})
    assert response.status_code == 404
    assert User.objects.get(pk=acme_learner.pk).username == "acme_learner"
    # An id that does not exist looks exactly the same.
    assert client.get(reverse("admin:users_user_change", args=[999999])).status_code == 404


def test_power_user_actions_cannot_reach_other_organisations(
    client, power_user, acme_learner, partner_learner
):
    sign_in(client, power_user)
    response = client.post(
        reverse("admin:users_user_changelist"),
        {
            "action": "deactivate_selected",
            "index": "0",
            "confirm": "yes",
            "_selected_action": [acme_learner.pk, partner_learner.pk],
        },
    )
    assert response.status_code == 302
    assert User.objects.get(pk=acme_learner.pk).status == UserStatus.ACTIVE
    assert User.objects.get(pk=partner_learner.pk).status == UserStatus.INACTIVE


def test_power_user_choices_are_scoped_and_cannot_grant_themselves_more(
    client, power_user, partner, organisation
):
    sub = Organisation.objects.create(name="Partner North", slug="partner-north", parent=partner)
    sign_in(client, power_user)
    response = client.get(reverse("admin:users_user_add"))
    assert response.status_code == 200
    choices = set(response.context["adminform"].form.fields["organisation"].queryset)
    assert choices == {partner, sub}

    response = client.get(change_url(power_user))
    form = response.context["adminform"].form
    assert "groups" not in form.fields and "is_superuser" not in form.fields
    client.post(
        change_url(power_user),
        {
            "username": "power",
            "email": "power@partner.example",
            "organisation": partner.pk,
            "is_superuser": "on",
            "is_staff": "on",
            "groups": [1, 2, 3],
            "segment_memberships-TOTAL_FORMS": "0",
            "segment_memberships-INITIAL_FORMS": "0",
        },
    )
    power_user.refresh_from_db()
    assert not power_user.is_superuser
    assert list(power_user.groups.values_list("name", flat=True)) == ["Power user"]


def test_power_user_cannot_create_a_user_in_another_organisation(
    client, power_user, organisation, partner
):
    sign_in(client, power_user)
    response = client.post(
        reverse("admin:users_user_add"),
        {
            "username": "sneaky",
            "password1": "a-long-passphrase-77",
            "password2": "a-long-passphrase-77",
            "organisation": organisation.pk,
        },
    )
    assert response.status_code == 200  # the form shows an invalid choice
    assert not User.objects.filter(username="sneaky").exists()
    response = client.post(
        reverse("admin:users_user_add"),
        {
            "username": "newbie",
            "password1": "a-long-passphrase-77",
            "password2": "a-long-passphrase-77",
            "organisation": partner.pk,
        },
    )
    assert response.status_code == 302
    created = User.objects.get(username="newbie")
    assert created.organisation == partner
    assert created.history.first().history_user == power_user


def test_manager_reads_but_changes_nothing(client, manager, acme_learner):
    sign_in(client, manager)
    assert client.get(reverse("admin:users_user_changelist")).status_code == 200
    assert client.get(change_url(acme_learner)).status_code == 200
    response = client.post(change_url(acme_learner), {"username": "renamed"})
    assert response.status_code == 403
    response = client.post(
        reverse("admin:users_user_changelist"),
        {"action": "deactivate_selected", "_selected_action": [acme_learner.pk]},
    )
    assert User.objects.get(pk=acme_learner.pk).status == UserStatus.ACTIVE
    assert User.objects.get(pk=acme_learner.pk).username == "acme_learner"
    assert client.get(reverse("admin:users_user_add")).status_code == 403


def test_training_admin_deactivates_through_the_service(client, admin_user, acme_learner):
    sign_in(client, admin_user)
    response = client.post(
        reverse("admin:users_user_changelist"),
        {
            "action": "deactivate_selected",
            "index": "0",
            "confirm": "yes",
            "_selected_action": [acme_learner.pk],
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "Deactivated 1 users." in response.content.decode()
    acme_learner.refresh_from_db()
    assert acme_learner.status == UserStatus.INACTIVE
    last = acme_learner.history.first()
    assert last.history_user == admin_user
    assert last.history_change_reason == "Deactivated in the admin"


def test_admin_shows_a_refusal_in_plain_words(client, admin_user):
    sign_in(client, admin_user)
    response = client.post(
        reverse("admin:users_user_changelist"),
        {
            "action": "deactivate_selected",
            "index": "0",
            "confirm": "yes",
            "_selected_action": [admin_user.pk],
        },
        follow=True,
    )
    assert "last active training admin" in response.content.decode()
    assert User.objects.get(pk=admin_user.pk).status == UserStatus.ACTIVE


def test_no_hard_delete_in_the_admin(client, admin_user, acme_learner):
    sign_in(client, admin_user)
    url = reverse("admin:users_user_delete", args=[acme_learner.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=acme_learner.pk).exists()


def test_profile_edit_writes_history_with_the_admin_as_actor(client, admin_user, acme_learner):
    sign_in(client, admin_user)
    data = {
        "username": "acme_learner",
        "email": "new@example.com",
        "first_name": "Lee",
        "last_name": "Learner",
        "organisation": acme_learner.organisation_id,
        "segment_memberships-TOTAL_FORMS": "0",
        "segment_memberships-INITIAL_FORMS": "0",
    }
    response = client.post(change_url(acme_learner), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    acme_learner.refresh_from_db()
    assert acme_learner.email == "new@example.com"
    last = acme_learner.history.first()
    assert last.history_user == admin_user
    assert last.history_change_reason == "Profile changed in the admin"


def test_segment_members_stay_when_inactive(admin_user, make_user, organisation):
    segment = services.segment_create(
        name="Night shift", organisation=organisation, by=None, reason="t"
    )
    learner = make_user()
    services.segment_add_members(
        segment, User.objects.filter(pk=learner.pk), by=admin_user, reason="t"
    )
    services.user_deactivate(learner, by=admin_user, reason="Left")
    services.user_delete(learner, by=admin_user, reason="Gone")
    assert list(Segment.objects.get(pk=segment.pk).members.all()) == [learner]
