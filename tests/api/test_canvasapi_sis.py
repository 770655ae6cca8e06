"""canvasapi, unchanged, against a live server: SIS imports, Progress, logins, sessions,
sign-in events, profiles and channels."""

import time

import pytest
from canvasapi import Canvas
from canvasapi.exceptions import BadRequest

from enrollments.models import Enrollment
from imports.models import ImportJob
from tests.api.conftest import client_for
from tests.api.test_canvasapi import roles  # noqa: F401  (the role groups, put back)
from tests.conftest import add_later_grants
from tests.imports.helpers import zipped
from users.models import User

pytestmark = pytest.mark.django_db(transaction=True)

USERS = (
    "user_id,login_id,first_name,last_name,email,status,pronouns\n"
    "U-1,ann,Ann,Archer,ann@example.com,active,she/her\n"
    "U-2,bob,Bob,Baker,bob@example.com,active,he/him\n"
)
COURSES = "course_id,short_name,long_name,status\nC-1,SAFE1,Safety one,active\n"
SECTIONS = "section_id,course_id,name,status\nS-1,C-1,Morning,active\n"
ENROLLMENTS = (
    "course_id,user_id,role,section_id,status\nC-1,U-1,student,S-1,active\n"
    "C-1,U-2,student,S-1,active\n"
)


@pytest.fixture(autouse=True)
def import_grants(roles):  # noqa: F811
    """The imports app's role grants and the later ones (terms), which a transactional
    test's flush also removes."""
    import importlib

    from django.apps import apps

    importlib.import_module("imports.migrations.0002_status_words_and_roles").assign(apps)
    add_later_grants()


@pytest.fixture(autouse=True)
def tasks_now(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def canvas(live_server, roles, admin_user):  # noqa: F811
    return Canvas(live_server.url, client_for(admin_user).secret)


def poll(
    account,
    sis_import,
    until=("imported", "imported_with_messages", "failed", "failed_with_messages", "aborted"),
):
    for _ in range(100):
        sis_import = account.get_sis_import(sis_import.id)
        if sis_import.workflow_state in until:
            return sis_import
        time.sleep(0.1)
    raise AssertionError(f"still {sis_import.workflow_state}")


def test_a_zip_in_any_order_is_imported_whole_and_polled_to_imported(
    canvas, organisation, tmp_path
):
    path = tmp_path / "nightly.zip"
    # Enrolments first in the zip: applied after the people, courses and sections anyway.
    path.write_bytes(
        zipped(
            **{
                "enrollments.csv": ENROLLMENTS,
                "sections.csv": SECTIONS,
                "courses.csv": COURSES,
                "users.csv": USERS,
            }
        )
    )
    account = canvas.get_account(organisation.pk)
    started = account.create_sis_import(str(path), import_type="instructure_csv")
    assert started.workflow_state in ("created", "importing", "imported_with_messages")
    done = poll(account, started)
    assert done.workflow_state == "imported_with_messages"
    counts = done.data["counts"]
    assert (counts["users"], counts["courses"], counts["sections"], counts["enrollments"]) == (
        2,
        1,
        1,
        2,
    )
    assert done.progress == 100
    assert ["users.csv", "These columns are not imported and were ignored: pronouns."] in (
        done.processing_warnings
    )
    assert Enrollment.objects.filter(course__sis_course_id="C-1").count() == 2
    listed = list(account.get_sis_imports())
    assert done.id in {item.id for item in listed}
    with pytest.raises(BadRequest):
        done.abort()


def test_an_error_in_a_later_file_undoes_the_earlier_ones(canvas, organisation, tmp_path):
    path = tmp_path / "bad.zip"
    bad = "course_id,user_id,role,section_id,status\nC-1,U-404,student,S-1,active\n"
    path.write_bytes(
        zipped(
            **{
                "users.csv": USERS,
                "courses.csv": COURSES,
                "sections.csv": SECTIONS,
                "enrollments.csv": bad,
            }
        )
    )
    account = canvas.get_account(organisation.pk)
    done = poll(account, account.create_sis_import(str(path)))
    assert done.workflow_state == "failed_with_messages"
    assert done.processing_errors[0][0] == "enrollments.csv"
    assert not User.objects.filter(sis_user_id__in=["U-1", "U-2"]).exists()


def test_restore_states_undoes_a_suspension_once(canvas, organisation, make_user, tmp_path):
    person = make_user(username="cy", sis_user_id="U-3")
    path = tmp_path / "users.csv"
    path.write_text("user_id,login_id,first_name,last_name,status\nU-3,cy,Cy,Cole,suspended\n")
    account = canvas.get_account(organisation.pk)
    done = poll(account, account.create_sis_import(str(path)))
    assert done.workflow_state == "imported", done.processing_errors
    assert User.objects.get(pk=person.pk).status == "inactive"
    progress = done.restore_states()
    progress = canvas.get_progress(progress.id)
    assert (progress.workflow_state, progress.completion) == ("completed", 100)
    assert User.objects.get(pk=person.pk).status == "active"
    reasons = [row.history_change_reason for row in person.history.all()[:1]]
    assert reasons[0].startswith("Restore states of SIS import")
    with pytest.raises(BadRequest):
        done.restore_states()


def test_batch_mode_marks_the_omitted_and_deletes_nobody(canvas, organisation, make_user, tmp_path):
    gone = make_user(username="old", sis_user_id="U-OLD")
    path = tmp_path / "users.csv"
    path.write_text(USERS)
    account = canvas.get_account(organisation.pk)
    done = poll(account, account.create_sis_import(str(path), batch_mode=True))
    assert done.workflow_state == "imported_with_messages"
    assert any("U-OLD" in message for _, message in done.processing_warnings)
    gone.refresh_from_db()
    assert gone.status == "active" and gone.marked_for_deletion_at is not None


def test_batch_mode_for_a_term_marks_only_its_omitted_enrolments_and_restore_undoes_it(
    canvas, organisation, tmp_path
):
    terms = "term_id,name,status\nFALL25,Fall 2025,active\nSPR26,Spring 2026,active\n"
    courses = (
        "course_id,short_name,long_name,status,term_id\nC-1,SAFE1,Safety one,active,FALL25\n"
        "C-2,SAFE2,Safety two,active,SPR26\n"
    )
    both_terms = ENROLLMENTS + "C-2,U-2,student,,active\n"
    path = tmp_path / "first.zip"
    path.write_bytes(
        zipped(
            **{
                "terms.csv": terms,
                "users.csv": USERS,
                "courses.csv": courses,
                "sections.csv": SECTIONS,
                "enrollments.csv": both_terms,
            }
        )
    )
    account = canvas.get_account(organisation.pk)
    assert poll(account, account.create_sis_import(str(path))).data["counts"]["terms"] == 2
    with pytest.raises(BadRequest):
        account.create_sis_import(str(path), batch_mode=True, batch_mode_term_id="sis_term_id:X")
    path = tmp_path / "fall.zip"
    path.write_bytes(zipped(**{"enrollments.csv": ENROLLMENTS.split("C-1,U-2")[0]}))
    done = poll(
        account,
        account.create_sis_import(
            str(path), batch_mode=True, batch_mode_term_id="sis_term_id:FALL25"
        ),
    )
    assert done.workflow_state == "imported_with_messages", done.processing_errors
    assert any("U-2 in SAFE1" in message for _, message in done.processing_warnings)
    marked = Enrollment.objects.filter(marked_for_deletion_at__isnull=False)
    assert list(marked.values_list("course__sis_course_id", "user__sis_user_id", "state")) == [
        ("C-1", "U-2", "active")
    ]
    progress = canvas.get_progress(done.restore_states().id)
    assert progress.workflow_state == "completed", progress.message
    assert not marked.exists()


def test_abort_all_pending(canvas, organisation, admin_user, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from imports.sis_services import sis_import_create

    job = sis_import_create(
        account=organisation, content=USERS.encode(), file_name="users.csv", by=admin_user
    )
    account = canvas.get_account(organisation.pk)
    assert account.abort_sis_imports_pending() is True
    assert account.get_sis_import(job.pk).workflow_state == "aborted"


def test_logins_sessions_events_profile_and_channels(canvas, organisation, make_user):
    person = make_user(username="dee", sis_user_id="U-4", first_name="Dee", last_name="Dale")
    user = canvas.get_user(person.pk)
    [login] = list(user.get_user_logins())
    assert (login.unique_id, login.sis_user_id) == ("dee", "U-4")
    login.account_id = organisation.pk
    edited = login.edit(login={"workflow_state": "suspended"})
    assert edited.workflow_state == "suspended"
    assert User.objects.get(pk=person.pk).status == "inactive"
    with pytest.raises(BadRequest):
        login.delete()
    account = canvas.get_account(organisation.pk)
    with pytest.raises(BadRequest):
        account.create_user_login(user={"id": person.pk}, login={"unique_id": "dee2"})
    assert "dee" in {item.unique_id for item in account.get_user_logins()}
    assert user.terminate_sessions() == "ok"
    assert list(user.get_authentication_events()) == []
    assert list(account.get_authentication_events()) == []
    assert user.get_profile()["login_id"] == "dee"
    [channel] = list(user.get_communication_channels())
    assert channel.address == person.email
    assert ImportJob.objects.count() == 0
