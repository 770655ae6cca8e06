"""The retention run: inactive for more than N years, deleted for more than N days,
per organisation, set-based, with a dry run and the command cron starts."""

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from users import services
from users.models import ErasureReceipt, User
from users.selectors.retention import retention_due
from users.tasks import run_retention


def _age(user, days):
    User.objects.filter(pk=user.pk).update(status_changed_at=timezone.now() - timedelta(days=days))


def _leavers(admin_user, make_user, organisation):
    old_leaver = make_user(username="old.leaver", organisation=organisation)
    services.user_deactivate(old_leaver, by=admin_user, reason="Left")
    _age(old_leaver, 365 * 7)
    recent_leaver = make_user(username="recent.leaver", organisation=organisation)
    services.user_deactivate(recent_leaver, by=admin_user, reason="Left")
    _age(recent_leaver, 365 * 2)
    deleted = make_user(username="deleted.long.ago", organisation=organisation)
    services.user_delete(deleted, by=admin_user, reason="Gone")
    _age(deleted, 45)
    make_user(username="active.one", organisation=organisation)
    return old_leaver, recent_leaver, deleted


def test_the_run_anonymises_who_the_default_policy_says(admin_user, make_user, organisation):
    old_leaver, recent_leaver, deleted = _leavers(admin_user, make_user, organisation)

    outcome = services.retention_run(by=None)

    assert outcome.total == 2
    erased = set(User.objects.filter(anonymised_at__isnull=False).values_list("pk", flat=True))
    assert erased == {old_leaver.pk, deleted.pk}
    old_leaver.refresh_from_db()
    assert old_leaver.username == f"former-learner-{old_leaver.pk:x}"
    assert set(User.history.filter(id=old_leaver.pk).values_list("username", flat=True)) == {
        old_leaver.username
    }
    assert User.history.filter(id=old_leaver.pk).first().history_change_reason == (
        services.ERASED_REASON
    )
    receipt = ErasureReceipt.objects.get()
    assert receipt.kind == "retention" and receipt.people == 2


def test_an_organisations_own_policy_applies_and_a_disabled_one_does_nothing(
    admin_user, make_user, organisation
):
    old_leaver, recent_leaver, deleted = _leavers(admin_user, make_user, organisation)
    services.retention_policy_save(
        organisation, by=admin_user, reason="Shorter", inactive_years=1, deleted_days=90
    )
    assert set(retention_due().values_list("pk", flat=True)) == {old_leaver.pk, recent_leaver.pk}
    services.retention_policy_save(organisation, by=admin_user, reason="Off", enabled=False)
    assert not retention_due().exists()


def test_a_dry_run_changes_nothing_and_says_who(admin_user, make_user, organisation):
    _leavers(admin_user, make_user, organisation)
    out = StringIO()
    call_command("run_retention", "--dry-run", stdout=out)
    assert "Would anonymise 2 people of Acme Training" in out.getvalue()
    assert not User.objects.filter(anonymised_at__isnull=False).exists()


def test_the_command_and_the_task_run_it(admin_user, make_user, organisation):
    _leavers(admin_user, make_user, organisation)
    out = StringIO()
    call_command("run_retention", stdout=out)
    assert "Anonymised 2 people in all." in out.getvalue()
    assert run_retention.call() == {"people": 0, "receipts": []}


def test_admin_accounts_are_never_anonymised_by_the_schedule(admin_user, make_user):
    staff = make_user(username="old.staff", is_staff=True)
    services.user_deactivate(staff, by=admin_user, reason="Left")
    _age(staff, 365 * 10)
    assert not retention_due().filter(pk=staff.pk).exists()


def test_bulk_anonymising_an_already_anonymised_person_changes_nothing(admin_user, make_user):
    person = make_user()
    services.user_anonymise(person, by=admin_user, reason="Request")
    rows = User.history.filter(id=person.pk).count()
    receipt = services.users_anonymise(User.objects.filter(pk=person.pk), by=None, reason="r")
    assert receipt.people == 0 and User.history.filter(id=person.pk).count() == rows
