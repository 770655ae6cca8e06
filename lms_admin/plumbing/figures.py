"""The one interface through which the services tell the figures ledger what changed.

The analytics and as-of figures are read from a ledger of daily changes that must move in
the same transaction as every change the services make. The ledger itself is report code
(`reports.ledger_write`, kept in `reports.FigureDelta`); the services must not import report
code, which sits above them. So the services call the functions here, and the reports app
installs its ledger keeper when Django starts (`reports.apps.ReportsConfig.ready`). The calls
are synchronous and run inside the caller's transaction, exactly as a direct call would.

What each call means (the keeper works out every figure from it):
- `people_added(ids)`: people just created.
- `people_changing(ids)`: a bracket around a change of people's status or organisation;
  whatever they contributed before is taken away, whatever they contribute after is added.
- `people_left(ids)`: people a statement of this transaction has just taken out of access,
  changing only those who were active (the set-based bulk deactivation); all they
  contributed goes.
- `enrollments_added`, `enrollments_changing`, `memberships_added`, `memberships_removing`,
  `hold_people`: the same for enrolments and segment memberships.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

_keeper = None


def install(keeper) -> None:
    """Called once by the reports app: the module or object that keeps the ledger."""
    global _keeper
    _keeper = keeper


def _the_keeper():
    if _keeper is None:
        # Never skip silently: a change without its ledger entry would make figures drift.
        raise ImproperlyConfigured("No figures ledger is installed (is 'reports' installed?).")
    return _keeper


def people_added(user_ids, *, now=None) -> None:
    _the_keeper().people_added(user_ids, now=now)


def people_changing(user_ids, *, now=None):
    return _the_keeper().people_changing(user_ids, now=now)


def people_left(user_ids, *, now) -> None:
    _the_keeper().people_left(user_ids, now=now)


def hold_people(user_ids) -> None:
    _the_keeper().hold_people(user_ids)


def enrollments_added(ids, *, now=None) -> None:
    _the_keeper().enrollments_added(ids, now=now)


def enrollments_changing(ids, *, now=None):
    return _the_keeper().enrollments_changing(ids, now=now)


def memberships_added(ids, *, now=None) -> None:
    _the_keeper().memberships_added(ids, now=now)


def memberships_removing(ids, *, now=None) -> None:
    _the_keeper().memberships_removing(ids, now=now)
