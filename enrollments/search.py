"""Searching enrolments and certificates by their person and course.

Django's admin search joins enrolments to people and courses and tests each column with
LIKE, which reads all ten million enrolments for a name (3.6 s for "davies", 8 s for a
course code). Here each search word is first looked up where it is cheap: people through
their search table's trigram index (users.search), courses in their own small table. The
enrolments are then read by person or by course from their indexes.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from enrollments.models import Certificate, Course, Enrollment
from users.folding import folded_contains
from users.models import User
from users.search import search_words, users_matching_words

# Up to this many people matching a word, their ids are sent to the database as a list,
# which lets it read enrolments by person and by course from two indexes at once. A word
# matching more people is common enough that reading enrolments newest first finds a page
# of them soon.
LISTED_PEOPLE = 20_000


def people_matching(words: list[str], field: str) -> Q:
    """`field` (a person's id) is one of the people matching every one of `words` in their
    name, username, email or SIS ID. Few such people are listed, so that the database can
    read their enrolments from the index by person; many are checked row by row instead,
    each through the person's primary key, as a page of them is soon found: a subquery of
    a million ids would be read again for every row it is tested against. Both use one
    finding of how to search (`known`): the second, inside a subquery, cannot be read to
    make its own."""
    known: dict = {}
    people = users_matching_words(User.objects.all(), words, known=known).order_by()
    ids = list(people.values_list("id", flat=True)[: LISTED_PEOPLE + 1])
    if len(ids) <= LISTED_PEOPLE:
        return Q(**{f"{field}__in": ids})
    each = users_matching_words(User.objects.filter(pk=OuterRef(field)), words, known=known)
    return Q(Exists(each))


def course_text_matches(text: str) -> Q:
    """A course whose code or name contains `text` (case and accents folded, as people's
    search does), or whose SIS ID is `text`."""
    return folded_contains("code", text) | folded_contains("name", text) | Q(sis_course_id=text)


def courses_matching(word: str) -> list[int]:
    return list(Course.objects.filter(course_text_matches(word)).values_list("id", flat=True))


def _enrolment_conditions(words: list[str], person: str, course: str) -> list[Q]:
    """One condition per group of words, all to be met: the words naming no course must all
    be in the person's searched text (one look-up for them together); a word naming a
    course is met by that course or by the person."""
    courses = {word: courses_matching(word) for word in words}
    people_words = [word for word in words if not courses[word]]
    conditions = [people_matching(people_words, person)] if people_words else []
    for word in words:
        if courses[word]:
            by_course = Q(**{f"{course}__in": courses[word]})
            conditions.append(people_matching([word], person) | by_course)
    return conditions


def search_enrolments(queryset: QuerySet, term: str) -> QuerySet:
    """Enrolments whose person or course matches every word of `term`."""
    for condition in _enrolment_conditions(search_words(term), "user_id", "course_id"):
        queryset = queryset.filter(condition)
    return queryset


def search_certificates(queryset: QuerySet, term: str) -> QuerySet:
    """Certificates matching every word of `term`: a word that is a verification code
    matches that certificate; the other words match certificates whose person or course
    they match."""
    words = []
    for word in search_words(term):
        by_code = list(
            Certificate.objects.filter(verification_code__in={word, word.upper()}).values_list(
                "id", flat=True
            )
        )
        if by_code:
            queryset = queryset.filter(pk__in=by_code)
        else:
            words.append(word)
    if words:
        enrolments = Enrollment.objects.all()
        for condition in _enrolment_conditions(words, "user_id", "course_id"):
            enrolments = enrolments.filter(condition)
        queryset = queryset.filter(enrollment_id__in=enrolments.values("id"))
    return queryset
