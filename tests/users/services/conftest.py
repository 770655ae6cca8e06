import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django_tasks_db.models import DBTaskResult

from enrollments import services as enrollment_services
from imports.models import ImportJob, ImportRow
from reports.models import ExportRecord, SignInEvent
from users import services
from users.models import User, UserSession
from users.tokens import token_create

FORMER = {
    "username": "zelda.quist",
    "email": "Zelda.Quist@Mailbox.example",
    "first_name": "Zelda",
    "last_name": "Quistgaard",
    "sis_user_id": "SIS-ZQ-90817",
}


@pytest.fixture
def person_everywhere(db, admin_user, course, make_user):
    """A person whose identifiers sit in every kind of table that can hold them."""
    from axes.models import AccessAttempt, AccessFailureLog

    person = make_user(**{**FORMER, "last_name": "Quist"})
    services.user_update(
        person, by=admin_user, reason=f"Asked by {FORMER['email']}", last_name=FORMER["last_name"]
    )
    enrollment = enrollment_services.enrollment_create(
        user=person, course=course, by=admin_user, reason=f"Enrolled {FORMER['username']}"
    )
    enrollment_services.enrollment_set_state(
        enrollment, "completed", by=admin_user, reason="Finished"
    )
    enrollment_services.certificate_issue(enrollment, by=admin_user, reason="Passed")
    segment = services.segment_create(
        name="Cohort", description="Led by Zelda Quistgaard", by=admin_user, reason="Set-up"
    )
    services.segment_add_members(
        segment, User.objects.filter(pk=person.pk), by=admin_user, reason="Set-up"
    )
    token_create(person, by=admin_user, reason="Set-up", purpose="zelda.quist laptop script")
    UserSession.objects.create(
        session_key="s" * 32, session_data="x", expire_date="2099-01-01T00:00Z", user=person
    )
    SignInEvent.objects.create(user=person)
    for model in (AccessAttempt, AccessFailureLog):
        values = dict(
            username=FORMER["username"],
            ip_address="203.0.113.9",
            user_agent="Firefox",
            http_accept="*/*",
            path_info="/account/login/",
        )
        if model is AccessAttempt:
            values.update(get_data="", post_data="username=zelda.quist", failures_since_start=1)
        model.objects.create(**values)
    job = ImportJob.objects.create(
        kind="users",
        file_name="people.csv",
        format="csv",
        content=b"username,email\nzelda.quist,Zelda.Quist@Mailbox.example\nother,o@x.example\n",
        created_by=admin_user,
        created_by_name="admin",
        findings={"notes": [f"Line 2: {FORMER['sis_user_id']} is new"]},
    )
    ImportRow.objects.create(
        job=job,
        line=2,
        outcome="updated",
        key=FORMER["username"],
        changes=[["email", "old@x.example", FORMER["email"]]],
        messages=[f"{FORMER['first_name']} {FORMER['last_name']} was updated"],
    )
    ExportRecord.objects.create(
        user=person,
        username=FORMER["username"],
        report="archived",
        format="csv",
        filters={"q": FORMER["email"]},
        file_name="archived.csv",
    )
    DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {"username": FORMER["username"]}},
        task_path="imports.tasks.check_import",
        backend_name="default",
        run_after="2099-01-01T00:00Z",
        return_value={"who": FORMER["sis_user_id"]},
    )
    LogEntry.objects.log_actions(
        user_id=admin_user.pk,
        queryset=[person],
        action_flag=CHANGE,
        change_message="[]",
    ) if hasattr(LogEntry.objects, "log_actions") else LogEntry.objects.create(
        user=admin_user,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(person.pk),
        object_repr=FORMER["username"],
        action_flag=CHANGE,
    )
    return person


def whole_database_text() -> str:
    """Every row of every table, as text (SQLite: its own dump; both: every table read)."""
    parts = []
    if connection.vendor == "sqlite":
        parts += list(connection.connection.iterdump())
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                parts.append(
                    repr(
                        [
                            bytes(value).decode("latin-1")
                            if isinstance(value, bytes | memoryview)
                            else value
                            for value in row
                        ]
                    )
                )
    return "\n".join(parts).lower()


def leftovers(text: str) -> list[str]:
    needles = [
        FORMER["username"],
        FORMER["email"],
        FORMER["sis_user_id"],
        f"{FORMER['first_name']} {FORMER['last_name']}",
        FORMER["last_name"],
    ]
    return [needle for needle in needles if needle.lower() in text]
