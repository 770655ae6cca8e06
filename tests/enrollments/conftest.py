import pytest


@pytest.fixture
def tasks_run_at_once(settings):
    """The task queue runs each task as it is enqueued (django-tasks' immediate backend)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
