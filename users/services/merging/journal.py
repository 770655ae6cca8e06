"""What a merge's journal keeps and how: a row set aside is kept whole (`_snapshot`) and
put back exactly (`_restored`); and, for erasure, every merge record that holds a copy of a
person's data (`PERSONAL_DATA_IN_MERGE_JOURNAL`, `merge_journal_of`)."""

from __future__ import annotations

import json
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from users.models import MergeAccount, MergeJournalEntry, SignInName

# For erasure (user_anonymise): the merge journal keeps copies of a person's rows. Each
# entry: (model, field, what it holds). `before` holds whole enrolment and membership rows
# (user id, dates, score); an erasure must scrub or delete the journal entries whose
# from_user is the person, and the MergeAccount rows of the person (their old password
# hash), and the SignInName rows (their former usernames). See `merge_journal_of`.
PERSONAL_DATA_IN_MERGE_JOURNAL = (
    (MergeJournalEntry, "before", "copies of the person's enrolment and membership rows"),
    (MergeJournalEntry, "from_user", "whose row it was"),
    (MergeAccount, "password_before", "the merged-away account's password hash"),
    (SignInName, "name", "a former username, kept as an extra sign-in name"),
)


def merge_journal_of(user_id: int) -> dict[str, models.QuerySet]:
    """Every merge record holding a copy of this person's data, for erasure to scrub."""
    return {
        "journal": MergeJournalEntry.objects.filter(from_user_id=user_id),
        "accounts": MergeAccount.objects.filter(user_id=user_id),
        "sign_in_names": SignInName.objects.filter(user_id=user_id),
    }


class _ExactEncoder(DjangoJSONEncoder):
    """Datetimes to the microsecond (Django's encoder stops at the millisecond)."""

    def default(self, o):
        if isinstance(o, datetime):
            return o.isoformat()
        return super().default(o)


def _snapshot(instance: models.Model) -> dict:
    """Every column of a row, JSON-ready, to put it back exactly as it was."""
    values = {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}
    return json.loads(json.dumps(values, cls=_ExactEncoder))


def _restored(model: type[models.Model], data: dict) -> models.Model:
    fields = {f.attname: f for f in model._meta.concrete_fields}
    return model(**{name: fields[name].to_python(value) for name, value in data.items()})
