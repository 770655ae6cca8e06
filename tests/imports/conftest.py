"""Fixtures the import tests share."""

import pytest

from enrollments import services as enrollment_services

from .helpers import world


@pytest.fixture
def evening(course, admin_user):
    return enrollment_services.section_create(
        course, name="Evening", sis_section_id="SEC-EVE", by=admin_user, reason="Test set-up"
    )


@pytest.fixture
def before(admin_user, organisation):
    """The state of every table an import writes, before the test imports anything."""
    return world()
