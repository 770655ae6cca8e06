import pytest
from rest_framework.test import APIClient

from enrollments import services as enrollment_services
from users.tokens import token_create


def client_for(user, **token_options) -> APIClient:
    _, secret = token_create(user, by=user, reason="Test set-up", **token_options)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    client.secret = secret
    return client


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Argon2 is right for production and needlessly slow for hundreds of test users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api(admin_user):
    """An API client holding a training admin's token."""
    return client_for(admin_user)


@pytest.fixture
def power_api(power_user):
    return client_for(power_user)


@pytest.fixture
def manager_api(manager):
    return client_for(manager)


@pytest.fixture
def learner(make_user):
    return make_user(username="jdoe", sis_user_id="S-1", first_name="Jane", last_name="Doe")


@pytest.fixture
def enrol(admin_user):
    def make(user, course, state="active", section=None, **extra):
        enrollment = enrollment_services.enrollment_create(
            user=user,
            course=course,
            section=section,
            by=admin_user,
            reason="Test set-up",
            notify=False,
            **extra,
        )
        if state != "active":
            enrollment_services.enrollment_set_state(
                enrollment, state, by=admin_user, reason="Test set-up"
            )
        return enrollment

    return make
