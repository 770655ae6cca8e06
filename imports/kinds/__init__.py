"""The kinds of import, by the name the command line and the upload form use."""

from imports.kinds.courses import CoursesKind, SectionsKind
from imports.kinds.enrollments import EnrollmentsKind
from imports.kinds.memberships import MembershipsKind
from imports.kinds.terms import TermsKind
from imports.kinds.users import UsersKind

KINDS = {
    kind.name: kind
    for kind in (
        UsersKind(),
        CoursesKind(),
        SectionsKind(),
        EnrollmentsKind(),
        MembershipsKind(),
        TermsKind(),
    )
}
