"""Every table's rows, to check that a merge then an unmerge leaves them as they were."""

from django.apps import apps

# History, the merge record itself, the figures ledger (its net change is checked against
# direct counts instead), the status counts (rows of +n and -n; their sums follow the
# users' statuses, which are compared) and sessions (a merge ends the merged-away account's
# sessions).
SKIPPED = {
    "users.statuscount",
    "users.merge",
    "users.mergeaccount",
    "users.mergejournalentry",
    "reports.figuredelta",
    "users.usersession",
}


def table_snapshot() -> dict:
    snapshot = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in SKIPPED or model.__name__.startswith("Historical") or model._meta.proxy:
            continue
        if not model._meta.managed:
            continue
        snapshot[label] = list(model._base_manager.order_by("pk").values())
    return snapshot
