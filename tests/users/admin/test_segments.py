import pytest
from django.urls import reverse

from tests.conftest import PASSWORD
from users import services
from users.models import Segment

pytestmark = pytest.mark.django_db


def test_segment_page_adds_and_removes_members_and_keeps_inactive_ones(
    client, admin_user, make_user, organisation
):
    segment = services.segment_create(name="Night", organisation=organisation, by=None, reason="t")
    active = make_user(username="amy", sis_user_id="E-1")
    inactive = make_user(username="ivo")
    services.user_deactivate(inactive, by=admin_user, reason="Leave")
    assert client.login(username="admin", password=PASSWORD)
    members_url = reverse("admin:users_segment_members", args=[segment.pk])

    response = client.post(members_url, {"people": "E-1\nivo\nnobody"}, follow=True)
    assert "Added 2 members." in response.content.decode()
    assert "Not found (or not yours to manage): nobody" in response.content.decode()
    page = client.get(reverse("admin:users_segment_change", args=[segment.pk]))
    text = page.content.decode()
    assert 'status-badge status-inactive">Inactive' in text
    assert set(Segment.objects.get(pk=segment.pk).members.all()) == {active, inactive}

    client.post(members_url, {"remove": "1", "member": [active.pk]})
    assert list(Segment.objects.get(pk=segment.pk).members.all()) == [inactive]
    removal = segment.memberships.model.history.filter(history_type="-").first()
    assert removal.history_user == admin_user


def test_power_user_cannot_add_people_from_another_organisation(
    client, power_user, partner, make_user
):
    segment = services.segment_create(name="Crew", organisation=partner, by=None, reason="t")
    make_user(username="outsider")
    assert client.login(username="power", password=PASSWORD)
    client.post(reverse("admin:users_segment_members", args=[segment.pk]), {"people": "outsider"})
    assert not Segment.objects.get(pk=segment.pk).members.exists()
