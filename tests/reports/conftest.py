from datetime import datetime, time, timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone


@pytest.fixture
def client_for():
    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def admin_client(client_for, admin_user):
    return client_for(admin_user)


@pytest.fixture
def manager_client(client_for, manager):
    return client_for(manager)


@pytest.fixture
def power_client(client_for, power_user):
    return client_for(power_user)


class Clock:
    """A movable timezone.now(): services, history and the report pages all read it."""

    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now

    def at(self, day_offset: int, hour: int = 10, minute: int = 0):
        base = timezone.localtime(self.start).date() + timedelta(days=day_offset)
        self.now = timezone.make_aware(datetime.combine(base, time(hour, minute)))
        return self.now


@pytest.fixture
def clock(db):
    clock = Clock(timezone.now())
    clock.start = clock.now
    with mock.patch("django.utils.timezone.now", clock):
        yield clock
