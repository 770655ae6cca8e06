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
