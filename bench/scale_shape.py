"""What the scale data looks like: its organisations, course catalogue, names, and the
shares of each status, state, role and source, with the per-user hashes that spread them.

`bench.scale_data` writes rows of this shape; PostgreSQL's SQL and SQLite's Python paths
both draw from the same tables here, so the two give the same data.
"""

from __future__ import annotations

from dataclasses import dataclass

REASON = "Scale data for benchmarks"
USER_PREFIX = "scale_user_"
SIS_PREFIX = "SCALE-"
# The first organisation is the parent of all the others.
ORGANISATIONS = [
    ("scale-group", "Scale Group"),
    ("scale-north", "Scale North"),
    ("scale-south", "Scale South"),
    ("scale-east", "Scale East"),
    ("scale-west", "Scale West"),
    ("scale-retail", "Scale Retail"),
    ("scale-logistics", "Scale Logistics"),
    ("scale-labs", "Scale Labs"),
]
# Cumulative shares of users per organisation (bisect/width_bucket): uneven, like life.
ORGANISATION_SHARES = [0.03, 0.25, 0.45, 0.60, 0.73, 0.84, 0.93]
CATALOGUE = 120  # courses without an organisation, open to everyone
PER_ORGANISATION = 10  # courses each organisation owns; every user takes two of their own
STRIDE = 7  # coprime with CATALOGUE, so a user's catalogue courses are all different
COURSES = CATALOGUE + PER_ORGANISATION * len(ORGANISATIONS)
SEGMENTS = ["Night shift", "First aiders", "New starters", "Line managers", "Fire wardens"]
TOPICS = [
    "Fire safety", "Manual handling", "Data protection", "Information security", "First aid",
    "Equality and diversity", "Health and safety", "Anti-bribery", "Customer service",
    "Leadership", "Food hygiene", "Working at height", "Display screen equipment",
    "Safeguarding", "Lone working", "Project management", "Spreadsheets", "Conflict resolution",
    "Time management", "Environmental awareness",
]  # fmt: skip
LEVELS = ["Essentials", "Refresher", "Advanced", "For managers", "Practical", "Assessment",
          "Workshop", "Update 2024", "Update 2025", "Masterclass"]  # fmt: skip
FIRST_NAMES = [
    "Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Mia", "Arthur", "Ivy", "Leo",
    "Freya", "Oscar", "Lily", "Harry", "Sophia", "Jack", "Grace", "Muhammad", "Ella", "Theo",
    "Aisha", "Kwame", "Mei", "Priya", "Sven", "Zofia", "Mateo", "Chloe", "Ravi", "Nadia",
]  # fmt: skip
LAST_NAMES = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Khan", "Lewis", "Nowak", "Okafor", "Chen", "Murphy", "Kaur", "Singh", "Hughes", "Clarke",
    "Ahmed", "Wood", "Harris", "Martin", "Jackson", "Clark", "Turner", "Hill", "Scott", "Cooper",
]  # fmt: skip
# Shares: users active / inactive / deleted; enrolments invited / active / inactive /
# completed, 2 % of them deleted by an admin; roles; sources.
USER_STATUS = [(0.80, "active"), (0.95, "inactive"), (1.0, "deleted")]
ENROLLMENT_STATE = [(0.08, "invited"), (0.48, "active"), (0.58, "inactive"), (1.0, "completed")]
ENROLLMENT_TYPE = [(0.97, "StudentEnrollment"), (0.98, "TeacherEnrollment"),
                   (0.99, "TaEnrollment"), (0.995, "ObserverEnrollment"),
                   (1.0, "DesignerEnrollment")]  # fmt: skip
ENROLLMENT_SOURCE = [(0.7, "manual"), (0.9, "import"), (1.0, "api")]
ADMIN_DELETED = 0.02


@dataclass
class Catalogue:
    organisations: list[int]
    courses: list[int]  # index: the catalogue first, then PER_ORGANISATION per organisation
    default_sections: list[int]
    extra_sections: list[int | None]
    segments: list[int]


def pick(table, roll: float) -> str:
    return next(value for limit, value in table if roll < limit)


def sql_case(table, column: str) -> str:
    """The SQL twin of `pick`."""
    arms = " ".join(f"WHEN {column} < {limit} THEN '{value}'" for limit, value in table[:-1])
    return f"CASE {arms} ELSE '{table[-1][1]}' END"


def user_hash(user_id: int) -> float:
    # Per user, not per row: a user's catalogue courses must all come from one starting point.
    return user_id * 2654435761 % 1000003 / 1000003


def course_index(user_id: int, e: int, organisation_index: int) -> int:
    if e < 2:
        return CATALOGUE + PER_ORGANISATION * organisation_index + (user_id + e) % PER_ORGANISATION
    # Squaring the hash makes the first catalogue courses the popular ones.
    return (int(CATALOGUE * user_hash(user_id) ** 2) + (e - 2) * STRIDE) % CATALOGUE
