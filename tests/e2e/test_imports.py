"""Importing a file as a training admin does it: from the Users page, through the preview
and its live progress bar, to the result, with a background worker doing the work."""

import threading

import pytest
from django.db import connection
from django_tasks_db.management.commands.db_worker import Worker as DBWorker

from imports.models import ImportJob, ImportState
from tests.e2e.test_users_page import sign_in
from users.models import User, UserStatus

pytestmark = pytest.mark.django_db(transaction=True)
ROWS = 40


class ThreadWorker(DBWorker):
    """django-tasks-db's worker, in a thread: only the main thread may set signal handlers."""

    def configure_signals(self):
        pass

    def reset_signals(self):
        pass


class Worker:
    """A task worker beside the live server: the page sees its progress as a real one's."""

    def __init__(self):
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        worker = ThreadWorker(
            queue_names=["default"],
            interval=0.1,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="e2e-worker",
            excluded_queue_names=[],
        )
        try:
            while not self.stop.is_set():
                worker.run()
                self.stop.wait(0.2)
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=30)


def test_import_people_with_a_preview_and_live_progress(
    page, screenshot, admin_user, organisation, settings, tmp_path
):
    settings.IMPORT_BACKGROUND_ROWS = 10
    path = tmp_path / "previous-lms-users.csv"
    lines = ["user_id,login_id,first_name,last_name,email,status"]
    lines += [
        f"P{n},person{n},Pat,Person{n},p{n}@example.com,{'Long Term Leave' if n % 4 else 'active'}"
        for n in range(ROWS)
    ]
    path.write_text("\n".join(lines) + "\n")

    sign_in(page, "admin")
    page.goto("/admin/users/user/")
    page.get_by_role("link", name="Import…").click()
    page.get_by_label("What the file holds").select_option(label="People")
    page.locator("#id_file").set_input_files(str(path))
    page.get_by_label("Organisation").select_option(label=organisation.name)
    page.get_by_role("button", name="Check the file").click()

    # Nothing has checked the file yet: the page says so, with a progress bar.
    page.get_by_text("Waiting for a worker to check the file").wait_for()
    assert page.locator("progress#import-progress-bar").count() == 1
    screenshot("import-waiting")

    with Worker():
        page.get_by_text("Preview ready").wait_for(timeout=60000)
        screenshot("import-preview")
        assert page.get_by_role("link", name=f"New ({ROWS})").count() == 1
        assert not User.objects.filter(username__startswith="person").exists()
        page.get_by_role("button", name=f"Import: {ROWS} new").click()
        page.get_by_role("heading", name="Imported").wait_for(timeout=60000)
        screenshot("import-done")

    job = ImportJob.objects.get()
    assert job.state == ImportState.DONE
    imported = User.objects.filter(username__startswith="person")
    assert imported.count() == ROWS
    assert imported.filter(status=UserStatus.INACTIVE).count() == ROWS - ROWS // 4
    assert set(imported.values_list("organisation", flat=True)) == {organisation.pk}
    assert page.get_by_text(f"{ROWS} created").count() == 1
