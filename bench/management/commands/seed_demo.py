"""Demo data for `make run`, and scale data for benchmarks (`--users N`).

The demo is built through the services, so it has a true history: each change is stamped
with the demo loader as actor and a reason, and back-dated over the past two years so that
reports as of a past date have something to show.
"""

import random
from datetime import timedelta
from decimal import Decimal
from unittest import mock

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Max
from django.test.utils import override_settings
from django.utils import timezone

from enrollments import services as enrollment_services
from enrollments.models import EnrollmentMethod, EnrollmentState
from lms_admin.plumbing.scoping import MANAGER, POWER_USER, TRAINING_ADMIN
from reports.ledger_rebuild import rebuild_ledger
from reports.models import SignInEvent
from users import services
from users.models import Organisation, User, UserStatus

DEMO_PASSWORD = "demo-password-2026"
DEMO_ACCOUNTS = [
    ("trainer", TRAINING_ADMIN, "acme", "Tessa", "Trainer"),
    ("manager", MANAGER, "acme", "Mona", "Manager"),
    ("partner_power", POWER_USER, "northwind", "Piet", "Power"),
]
FIRST_NAMES = (
    "Amara Ben Chloe Dev Elif Farah Gus Hana Ivan Jo Kai Lena Milo Nia Omar Priya Quinn Rosa "
    "Sam Tariq Uma Vic Wen Yara Zoe"
).split()
LAST_NAMES = (
    "Adams Brown Costa Dubois Evans Fischer Garcia Hughes Ito Jensen Khan Lopez Murphy Novak "
    "Okafor Patel Rossi Silva Tanaka Usman Vogel Walsh Young Zhang"
).split()
COURSES = [
    ("ONB101", "Welcome and onboarding", EnrollmentMethod.EVERYONE),
    ("SAFE110", "Health and safety essentials", EnrollmentMethod.MANUAL),
    ("GDPR120", "Data protection in practice", EnrollmentMethod.MANUAL),
    ("FIRE130", "Fire marshal training", EnrollmentMethod.MANUAL),
    ("MGT200", "First-time managers", EnrollmentMethod.MANUAL),
    ("CUST210", "Customer conversations", EnrollmentMethod.MANUAL),
    ("FIN220", "Budgets for non-finance staff", EnrollmentMethod.MANUAL),
    ("EQ230", "Equality and inclusion", EnrollmentMethod.MANUAL),
    ("CYB240", "Spotting phishing", EnrollmentMethod.MANUAL),
    ("LEAD300", "Leading change", EnrollmentMethod.MANUAL),
]


class Command(BaseCommand):
    help = "Load demo data once (idempotent), or --users N rows of scale data for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument(
            "--users",
            type=int,
            default=0,
            help="Load this many scale users (about 10 enrolments each) instead of the demo.",
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed for the demo.")

    def handle(self, *args, users, seed, **options):
        if users:
            from bench.scale_data import seed_scale

            seed_scale(users, stdout=self.stdout)
            return
        if User.objects.filter(username="trainer").exists():
            self.stdout.write("Demo data already loaded.")
        else:
            # The story's reactivation mails stay out of the console: they are sent on commit.
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                self.load_demo(random.Random(seed))
        self.print_accounts()

    def print_accounts(self):
        self.stdout.write(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
        for username, role, *_ in DEMO_ACCOUNTS:
            self.stdout.write(f"  {role:<15} {username}")

    @transaction.atomic
    def load_demo(self, rng: random.Random):
        now = timezone.now()
        start = now - timedelta(days=730)
        clock = {"now": start}

        def at(moment):
            clock["now"] = min(moment, now)

        # Only the demo's own people get the demo password, even on a database that already
        # holds scale data: rewriting a million rows would leave them all dead tuples.
        before = User.objects.aggregate(highest=Max("pk"))["highest"] or 0
        # Back-date every change: services and history read timezone.now().
        with mock.patch("django.utils.timezone.now", lambda: clock["now"]):
            self._build(rng, at, start, now)
        # One hash for every demo learner: hashing 300 passwords with Argon2 takes a minute.
        User.objects.filter(pk__gt=before, is_staff=False).exclude(status="deleted").update(
            password=make_password(DEMO_PASSWORD)
        )
        # The story moves the clock back and forth (each learner's life from their joining
        # day), and the analytics ledger counts each change on the day it is written; so
        # build it again from the history, which keeps every change in order.
        rebuild_ledger()
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))

    def _build(self, rng, at, start, now):
        reason = "Demo data"
        acme = services.organisation_create(
            name="Acme Training", slug="acme", sis_account_id="ACME", by=None, reason=reason
        )
        services.organisation_create(
            name="Acme Retail",
            slug="acme-retail",
            sis_account_id="ACME-RETAIL",
            parent=acme,
            by=None,
            reason=reason,
        )
        northwind = services.organisation_create(
            name="Northwind Partners",
            slug="northwind",
            sis_account_id="NW",
            seat_limit=150,
            by=None,
            reason=reason,
        )
        organisations = list(Organisation.objects.all())
        accounts = {}
        for username, role, org_slug, first, last in DEMO_ACCOUNTS:
            accounts[username] = services.user_create(
                username=username,
                email=f"{username}@example.com",
                first_name=first,
                last_name=last,
                organisation=Organisation.objects.get(slug=org_slug),
                password=DEMO_PASSWORD,
                is_staff=True,
                groups=[role],
                by=None,
                reason=reason,
            )
        trainer = accounts["trainer"]
        courses = []
        for index, (code, name, method) in enumerate(COURSES):
            at(start + timedelta(days=index))
            courses.append(
                enrollment_services.course_create(
                    code=code,
                    name=name,
                    organisation=acme if method == EnrollmentMethod.EVERYONE else None,
                    sis_course_id=f"SIS-{code}",
                    enrollment_method=method,
                    by=trainer,
                    reason=reason,
                )
            )
            enrollment_services.section_create(
                courses[-1],
                name=f"{code} cohort B",
                sis_section_id=f"SIS-{code}-B",
                by=trainer,
                reason=reason,
            )
        segments = [
            services.segment_create(
                name="Night shift", organisation=acme, by=trainer, reason=reason
            ),
            services.segment_create(
                name="Fire marshals", organisation=acme, by=trainer, reason=reason
            ),
            services.segment_create(
                name="Northwind field staff", organisation=northwind, by=trainer, reason=reason
            ),
        ]
        learners, last_sign_ins = [], {}
        for n in range(300):
            joined = start + timedelta(days=rng.randint(10, 700), hours=rng.randint(0, 23))
            at(joined)
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            organisation = rng.choice(organisations)
            has_email = n % 7 != 0
            learner = services.user_create(
                username=f"{first}.{last}{n}".lower(),
                email=f"{first}.{last}{n}@example.com".lower() if has_email else "",
                first_name=first,
                last_name=last,
                sis_user_id=f"EMP{10000 + n}",
                organisation=organisation,
                by=trainer,
                date_joined=joined,
                reason="Imported from the previous LMS" if n < 150 else "Joined",
            )
            if n % 5:
                last_sign_ins[learner.pk] = min(joined + timedelta(days=rng.randint(1, 400)), now)
            learners.append((learner, joined))
            self._enrol(rng, at, learner, joined, courses, trainer, now)
            if n % 4 == 0:
                segment = segments[2] if organisation == northwind else rng.choice(segments[:2])
                services.segment_add_members(
                    segment, User.objects.filter(pk=learner.pk), by=trainer, reason=reason
                )
        self._lifecycle(rng, at, learners, trainer, now)
        self._sign_ins({learner.pk: joined for learner, joined in learners}, last_sign_ins)

    def _sign_ins(self, joined_on: dict, last_sign_ins: dict):
        """Each sign-in is an event, as a real one is (reports.signals): the analytics count
        the events, the Users page each person's last sign-in, so both come from the same
        sign-ins. Nobody signs in while inactive or deleted."""
        events = []
        left = dict(
            User.objects.filter(pk__in=last_sign_ins)
            .exclude(status=UserStatus.ACTIVE)
            .values_list("pk", "status_changed_at")
        )
        for user_id, last in last_sign_ins.items():
            joined = joined_on[user_id]
            if left.get(user_id):
                last = min(last, left[user_id] - timedelta(hours=1))
            if last <= joined:
                continue
            rng = random.Random(user_id)  # the rest of the story keeps its own random draws
            moments = sorted(
                joined + (last - joined) * rng.random() for _ in range(rng.randint(0, 5))
            )
            events += [SignInEvent(user_id=user_id, at=moment) for moment in [*moments, last]]
            User.objects.filter(pk=user_id).update(last_login=last)
        SignInEvent.objects.bulk_create(events, batch_size=1000)

    def _enrol(self, rng, at, learner, joined, courses, trainer, now):
        for course in rng.sample(courses[1:], rng.randint(1, 4)):
            moment = joined + timedelta(days=rng.randint(0, 60))
            if moment >= now:
                continue
            at(moment)
            enrollment = enrollment_services.enrollment_create(
                user=learner, course=course, notify=False, by=trainer, reason="Enrolled"
            )
            roll = rng.random()
            later = moment + timedelta(days=rng.randint(5, 120))
            if later >= now:
                continue
            at(later)
            if roll < 0.45:
                enrollment_services.enrollment_record_progress(
                    enrollment,
                    started_at=moment + timedelta(days=1),
                    last_activity_at=later,
                    score=Decimal(rng.randint(55, 100)),
                    by=trainer,
                    reason="Progress synchronised",
                )
                enrollment_services.enrollment_set_state(
                    enrollment, EnrollmentState.COMPLETED, by=trainer, reason="Course completed"
                )
                enrollment_services.certificate_issue(
                    enrollment, by=trainer, reason="Certificate earned"
                )
            elif roll < 0.6:
                enrollment_services.enrollment_set_state(
                    enrollment, EnrollmentState.INACTIVE, by=trainer, reason="Withdrew"
                )
            elif roll < 0.7:
                enrollment_services.enrollment_set_state(
                    enrollment, EnrollmentState.INVITED, by=trainer, reason="Invitation resent"
                )
            elif roll < 0.75:
                enrollment_services.enrollment_set_state(
                    enrollment, EnrollmentState.DELETED, by=trainer, reason="Enrolled by mistake"
                )

    def _lifecycle(self, rng, at, learners, trainer, now):
        """Leavers, re-hires, duplicates: the stories the product exists for."""
        ordered = sorted(learners, key=lambda item: item[1])
        for index, (learner, joined) in enumerate(ordered):
            left = joined + timedelta(days=rng.randint(30, 400))
            if left >= now:
                continue
            if index % 4 == 1:
                at(left)
                services.user_deactivate(learner, by=trainer, reason="Left the company")
                if index % 12 == 1 and left + timedelta(days=60) < now:
                    at(left + timedelta(days=60))
                    services.user_reactivate(learner, by=trainer, reason="Re-hired")
            elif index % 15 == 2:
                at(left)
                services.user_deactivate(learner, by=trainer, reason="Long-term leave")
            elif index % 20 == 3:
                at(left)
                services.user_delete(learner, by=trainer, reason="Duplicate account")
