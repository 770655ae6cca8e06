"""The users page writes its rows itself (users/templatetags/users_list.py): the same HTML as
Django's `items_for_result`, row for row (each row's cells written as one string), for every
kind of row and viewer."""

import pytest
from django.contrib.admin.templatetags.admin_list import items_for_result

from tests.conftest import PASSWORD
from users.models import Organisation, User
from users.templatetags.users_list import users_result_list

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/users/user/"


def rows_both_ways(client, url):
    response = client.get(url)
    assert response.status_code == 200
    cl = response.context["cl"]
    fast = ["".join(row) for row in users_result_list(cl)["results"]]
    django = ["".join(items_for_result(cl, row, None)) for row in cl.result_list]
    return fast, django, response


def test_each_cell_is_what_django_writes(client, admin_user, make_user):
    acme = Organisation.objects.create(name="Acme & Co <b>")
    make_user(username="ann", first_name="Ann", last_name="<Lee>", email="", organisation=acme)
    make_user(username="bo", first_name="", last_name="", email="bo@x.test", sis_user_id="S&1")
    assert client.login(username=admin_user.username, password=PASSWORD)
    for url in (CHANGELIST, CHANGELIST + "?status=all&q=a", CHANGELIST + "?o=2"):
        fast, django, response = rows_both_ways(client, url)
        assert fast and fast == django, url
        assert "&lt;Lee&gt;" in response.content.decode()


def test_a_power_users_rows_without_tick_boxes_match_too(client, make_user, power_user, partner):
    make_user(username="learner", organisation=partner)
    assert client.login(username=power_user.username, password=PASSWORD)
    fast, django, _ = rows_both_ways(client, CHANGELIST + "?status=all")
    assert fast == django
    assert len(fast) == User.objects.filter(organisation=partner).count() >= 2
    assert any('class="action-checkbox">-<' in row for row in fast)


def test_the_actions_counter_counts_only_the_rows_that_can_be_ticked(
    client, make_user, power_user, partner, admin_user
):
    """A power user's own row has no tick box: the counter says "0 of 2 selected" for the
    two learners, not "0 of 3", and Django's script counts up to 2 from the same figure."""
    make_user(username="learner", organisation=partner)
    make_user(username="second", organisation=partner)
    assert client.login(username=power_user.username, password=PASSWORD)
    page = client.get(CHANGELIST + "?status=all").content.decode()
    assert page.count('class="action-select"') == 2
    assert '<span class="action-counter" data-actions-icnt="2">0 of 2 selected</span>' in page

    # Everyone's rows can be ticked by a training admin: the count is the rows on the page.
    client.force_login(admin_user)
    response = client.get(CHANGELIST + "?status=all")
    rows = len(response.context["cl"].result_list)
    assert response.content.decode().count('class="action-select"') == rows
    assert f'data-actions-icnt="{rows}">0 of {rows} selected</span>' in response.content.decode()
