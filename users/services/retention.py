"""The retention policy's run: set-based anonymisation of the people it has come due for,
one receipt per organisation. Started by the scheduled task (users.tasks) or by cron
through `manage.py run_retention`."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models, transaction
from django.utils import timezone

from lms_admin.plumbing.errors import DomainError
from users.models import ErasureKind, ErasureReceipt, Organisation, RetentionPolicy
from users.selectors.retention import retention_due
from users.services.erasure import users_anonymise

RETENTION_REASON = "Anonymised by the retention policy"


@dataclass
class RetentionOutcome:
    dry_run: bool
    # {organisation name or "No organisation": number of people}
    people: dict[str, int] = field(default_factory=dict)
    receipts: list[ErasureReceipt] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.people.values())


def retention_run(*, by=None, dry_run: bool = False, now=None) -> RetentionOutcome:
    """Anonymise everyone the policies have come due for; a dry run only counts them."""
    now = now or timezone.now()
    due = retention_due(now=now)
    per_organisation = dict(
        due.order_by()
        .values("organisation_id")
        .annotate(n=models.Count("id"))
        .values_list("organisation_id", "n")
    )
    names = dict(
        Organisation.objects.filter(id__in=[pk for pk in per_organisation if pk]).values_list(
            "id", "name"
        )
    )
    outcome = RetentionOutcome(dry_run=dry_run)
    for organisation_id, count in sorted(per_organisation.items(), key=lambda item: item[0] or 0):
        outcome.people[names.get(organisation_id, "No organisation")] = count
        if dry_run:
            continue
        if organisation_id is None:
            people = due.filter(organisation_id__isnull=True)
        else:
            people = due.filter(organisation_id=organisation_id)
        outcome.receipts.append(
            users_anonymise(
                people,
                by=by,
                reason=RETENTION_REASON,
                kind=ErasureKind.RETENTION,
                organisation=Organisation.objects.filter(pk=organisation_id).first(),
            )
        )
    return outcome


@transaction.atomic
def retention_policy_save(
    organisation: Organisation, *, by, reason: str, **values
) -> RetentionPolicy:
    """Create or change an organisation's policy, with a history row."""
    for name in ("inactive_years", "deleted_days"):
        if name in values and (values[name] is None or int(values[name]) < 1):
            raise DomainError("Retention periods must be at least 1. Nothing was changed.")
    policy = RetentionPolicy.objects.select_for_update().filter(organisation=organisation).first()
    policy = policy or RetentionPolicy(organisation=organisation)
    for name, value in values.items():
        setattr(policy, name, value)
    policy._history_user = by
    policy._change_reason = reason
    policy.full_clean()
    policy.save()
    return policy
