# ruff: noqa: E501  (a mutation is clearer as one line of the source it replaces)
"""Hand mutations of the scope narrowing: each one widens (or drops) a narrowing in
lms_admin/plumbing/scoping.py or enrollments/selectors.py; the tests that guard scoping must
fail for every one. Not a test module (pytest collects only test_*.py): run it by hand,

    python tests/mutation/run_scope_mutations.py [--only NAME-PREFIX] [--list]

from the checkout's root. One mutant at a time: the file is rewritten, the tests run with
-x (stopping at the first failure), and the file is put back whatever happens. Prints a
table: mutation, caught by (the first failing test) or SURVIVED, seconds.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCOPING = "lms_admin/plumbing/scoping.py"
SELECTORS = "enrollments/selectors.py"

# Most specific first, so a caught mutant stops early; the rest of the brief's set after.
TESTS = [
    "tests/lms_admin/plumbing/test_scoping.py",
    "tests/enrollments/test_selectors.py",
    "tests/scoping",
    "tests/reports/test_permissions.py",
    "tests/api",
    "tests/enrollments",
    "tests/users",
]
# Slow and about concurrency or scale, not scope.
IGNORED = [
    "tests/users/services/test_lifecycle_concurrency.py",
    "tests/bench/test_seed_demo.py",
    "tests/enrollments/services/test_seats_concurrency.py",
    "tests/api/test_schemathesis.py",
]

# (name, file, original text, mutated text): the original must occur exactly once.
MUTATIONS = [
    (
        "scoped_by (for_user) returns everything",
        SCOPING,
        "    scope = organisation_scope(user)\n    if scope is EVERYTHING:",
        "    return queryset\n    scope = organisation_scope(user)\n    if scope is EVERYTHING:",
    ),
    (
        "scoped_by (for_user): empty scope sees everything",
        SCOPING,
        "    if not scope:\n        return queryset.none()",
        "    if not scope:\n        return queryset",
    ),
    (
        "scoped_by (for_user): unowned rows shared by every model",
        SCOPING,
        'if getattr(model, "scope_includes_unowned", False):',
        "if True:",
    ),
    (
        "scoped_by (for_user): drop scope_includes_unowned (narrows)",
        SCOPING,
        'if getattr(model, "scope_includes_unowned", False):',
        "if False:",
    ),
    (
        "organisation_scope: power user sees EVERYTHING",
        SCOPING,
        "        scope = organisation_tree_ids(user.organisation_id)",
        "        scope = EVERYTHING",
    ),
    (
        "organisation_scope: no role sees EVERYTHING",
        SCOPING,
        "    else:\n        scope = set()",
        "    else:\n        scope = EVERYTHING",
    ),
    (
        "organisation_scope: power user without organisation",
        SCOPING,
        "elif role == POWER_USER and user.organisation_id:",
        "elif role == POWER_USER:",
    ),
    (
        "organisation_scope: ignore the cached scope's owner (cache EVERYTHING)",
        SCOPING,
        "    user._lms_scope = scope\n",
        "    user._lms_scope = EVERYTHING\n",
    ),
    (
        "organisation_tree_ids: every organisation",
        SCOPING,
        "    found = {root_id}\n    frontier = {root_id}",
        "    return set(organisation.objects.values_list('id', flat=True))\n    found = {root_id}\n    frontier = {root_id}",
    ),
    (
        "organisation_tree_ids: drop sub-organisations (narrows)",
        SCOPING,
        "    found = {root_id}\n    frontier = {root_id}",
        "    return {root_id}\n    found = {root_id}\n    frontier = {root_id}",
    ),
    (
        "organisation_tree_ids: only one level down",
        SCOPING,
        "        found |= frontier\n",
        "        found |= frontier\n        break\n",
    ),
    ("admin_account_condition: drop role-group members", SCOPING, " | Q(Exists(memberships))", ""),
    (
        "admin_account_condition: drop staff",
        SCOPING,
        "return Q(is_staff=True) | Q(is_superuser=True) | Q(Exists",
        "return Q(is_superuser=True) | Q(Exists",
    ),
    (
        "admin_account_condition: drop superusers",
        SCOPING,
        "return Q(is_staff=True) | Q(is_superuser=True) | Q(Exists",
        "return Q(is_staff=True) | Q(Exists",
    ),
    (
        "is_admin_account: always False",
        SCOPING,
        "    if user.is_staff or user.is_superuser:\n        return True",
        "    return False",
    ),
    (
        "is_admin_account: drop role groups",
        SCOPING,
        "return user.pk is not None and user.groups.exists()",
        "return False",
    ),
    (
        "restricted_to_plain_accounts: nobody",
        SCOPING,
        "return role_of(actor) == POWER_USER",
        "return False",
    ),
    (
        "may_manage: always True",
        SCOPING,
        "    if not restricted_to_plain_accounts(actor):\n        return True\n    scope",
        "    return True\n    scope",
    ),
    (
        "may_manage: any organisation",
        SCOPING,
        "return target.organisation_id in scope and not",
        "return not",
    ),
    (
        "may_manage: admin accounts too",
        SCOPING,
        "return target.organisation_id in scope and not is_admin_account(target)",
        "return target.organisation_id in scope",
    ),
    (
        "manageable_users: everyone",
        SCOPING,
        "    if not restricted_to_plain_accounts(actor):\n        return queryset\n    return queryset.for_user",
        "    return queryset\n    return queryset.for_user",
    ),
    (
        "manageable_users: drop for_user",
        SCOPING,
        "return queryset.for_user(actor).exclude(",
        "return queryset.exclude(",
    ),
    (
        "manageable_users: drop the admin-account exclusion",
        SCOPING,
        "return queryset.for_user(actor).exclude(admin_account_condition())",
        "return queryset.for_user(actor)",
    ),
    (
        "course_get: .all()",
        SELECTORS,
        "get_or_404(Course.objects.for_user(viewer)",
        "get_or_404(Course.objects.all()",
    ),
    (
        "section_get: .all()",
        SELECTORS,
        "sections = Section.objects.for_user(viewer).select_related",
        "sections = Section.objects.all().select_related",
    ),
    (
        "account_courses: .all()",
        SELECTORS,
        "courses = Course.objects.for_user(viewer).filter(",
        "courses = Course.objects.all().filter(",
    ),
    (
        "account_courses: drop the account's tree",
        SELECTORS,
        "courses = Course.objects.for_user(viewer).filter(\n        organisation_id__in=organisation_tree_ids(account.pk)\n    )",
        "courses = Course.objects.for_user(viewer)",
    ),
    (
        "course_sections: .all()",
        SELECTORS,
        "        Section.objects.for_user(viewer)\n        .filter(course=course)",
        "        Section.objects.all()\n        .filter(course=course)",
    ),
    (
        "visible_enrollments: .all()",
        SELECTORS,
        "scoped = Enrollment.objects.for_user(viewer) |",
        "scoped = Enrollment.objects.all() |",
    ),
    (
        "enrollment_get: unscoped enrolments",
        SELECTORS,
        "enrollments = visible_enrollments(viewer).filter(course=course)",
        "enrollments = Enrollment.objects.filter(course=course)",
    ),
    (
        "enrollments_list: unscoped enrolments",
        SELECTORS,
        'enrollments = visible_enrollments(viewer).order_by("id")',
        'enrollments = Enrollment.objects.order_by("id")',
    ),
    (
        "seat_entries: .all()",
        SELECTORS,
        "SeatCreditEntry.objects.for_user(viewer)",
        "SeatCreditEntry.objects.all()",
    ),
    (
        "learner_enrollments: anyone's",
        SELECTORS,
        'Enrollment.objects.filter(user=user, state__in=LEARNER_STATES)\n        .select_related("course")\n        .prefetch_related',
        'Enrollment.objects.filter(state__in=LEARNER_STATES)\n        .select_related("course")\n        .prefetch_related',
    ),
    (
        "learner_enrollment: anyone's",
        SELECTORS,
        "Enrollment.objects.filter(user=user, state__in=LEARNER_STATES, pk=enrollment_id)",
        "Enrollment.objects.filter(state__in=LEARNER_STATES, pk=enrollment_id)",
    ),
    (
        "learner_certificates: anyone's",
        SELECTORS,
        "Certificate.objects.filter(enrollment__user=user, enrollment__state__in=LEARNER_STATES)",
        "Certificate.objects.filter(enrollment__state__in=LEARNER_STATES)",
    ),
]

FAILED = re.compile(r"^FAILED (\S+)", re.M)
ERROR = re.compile(r"^ERROR (\S+)", re.M)


def run(name, path, original, mutated, timeout):
    target = ROOT / path
    source = target.read_text()
    if source.count(original) != 1:
        return "NOT APPLIED (text not found once)", 0.0
    started = time.monotonic()
    try:
        target.write_text(source.replace(original, mutated))
        command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
        command += [t for t in TESTS if (ROOT / t).exists()]
        command += [f"--ignore={path}" for path in IGNORED]
        try:
            result = subprocess.run(
                command, cwd=ROOT, capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            return f"UNKNOWN (no failure within {timeout}s)", time.monotonic() - started
    finally:
        target.write_text(source)
    output = result.stdout + result.stderr
    found = FAILED.search(output) or ERROR.search(output)
    if result.returncode == 0:
        return "SURVIVED", time.monotonic() - started
    return (found.group(1) if found else f"exit {result.returncode}"), time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run the mutations whose name starts with this")
    parser.add_argument("--list", action="store_true", help="list the mutations and stop")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per mutant")
    arguments = parser.parse_args()
    chosen = [m for m in MUTATIONS if not arguments.only or m[0].startswith(arguments.only)]
    if arguments.list:
        print("\n".join(m[0] for m in chosen))
        return
    survivors = 0
    print("| mutation | caught by | seconds |\n|---|---|---|", flush=True)
    for name, path, original, mutated in chosen:
        verdict, seconds = run(name, path, original, mutated, arguments.timeout)
        survivors += not verdict.startswith("tests/")
        print(f"| {path}: {name} | {verdict} | {seconds:.0f} |", flush=True)
    sys.exit(1 if survivors else 0)


if __name__ == "__main__":
    main()
