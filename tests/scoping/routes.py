"""Every URL pattern of the project, each with what a power user of org A must get from it.

`Page`: GET it (with each query string given); the answer has the stated status and nothing
of org B. `Probe`: an address naming org B's objects (`{b.…}`) answers, for each method,
exactly as the same address naming ids that do not exist (same status, same body once ids
are set aside), and nothing of org B. `Elsewhere`: not a page of data, with the reason, or
the test that covers it. A pattern missing from ROUTES fails tests/scoping/test_matrix.py.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    url: str
    status: int = 200
    queries: tuple[str, ...] = ("",)
    api: bool = False


@dataclass(frozen=True)
class Probe:
    url: str
    methods: tuple[str, ...] = ("GET",)
    api: bool = False


@dataclass(frozen=True)
class Elsewhere:
    reason: str


def admin_model(path: str, *, key: str, may_list: bool = True, may_add: bool = True) -> dict:
    """The stock pages of one model admin, for a model with org B rows behind `{b.<key>}`.
    Lists and add pages a power user has no permission for answer 403."""
    base = f"admin/{path}/"
    probe = f"{base}{{b.{key}}}/"
    return {
        f"{base}": Page(base, status=200 if may_list else 403),
        f"{base}add/": Page(f"{base}add/", status=200 if may_add else 403),
        f"{base}<path:object_id>/": Probe(probe),
        f"{base}<path:object_id>/change/": Probe(f"{probe}change/", ("GET", "POST")),
        f"{base}<path:object_id>/delete/": Probe(f"{probe}delete/", ("GET", "POST")),
        f"{base}<path:object_id>/history/": Probe(f"{probe}history/"),
        f"{base}^([^/]+)/history/([^/]+)/$": Probe(f"{probe}history/{{b.{key}_history}}/"),
    }


def admin_routes(path: str) -> list[str]:
    """The URL patterns of one model admin's stock pages."""
    return list(admin_model(path, key="unused"))


def forbidden_admin(path: str, *, reason: str) -> dict:
    """A model admin a power user has no permission for at all: its lists are refused."""
    base = f"admin/{path}/"
    return {
        f"{base}": Page(base, status=403),
        f"{base}add/": Page(f"{base}add/", status=403),
        f"{base}<path:object_id>/": Elsewhere(reason),
        f"{base}<path:object_id>/change/": Elsewhere(reason),
        f"{base}<path:object_id>/delete/": Elsewhere(reason),
        f"{base}<path:object_id>/history/": Elsewhere(reason),
    }


REPORT_QUERIES = ("", "organisation={a.org}", "segment={a.segment}")
API_USER = "api/v1/users/{b.person}"

ROUTES = {
    "": Page("/", status=302),
    "account/login/": Page("account/login/"),
    "account/choose-password/": Page("account/choose-password/"),
    "account/logout/": Elsewhere("signs out; shows no data"),
    "account/reset/<uidb64>/<token>/": Elsewhere("needs a signed reset token; shows no data"),
    "account/reset/done/": Page("account/reset/done/"),
    "account/tokens/": Page("account/tokens/"),
    "account/tokens/<int:token_id>/revoke/": Probe(
        "account/tokens/{b.token}/revoke/", ("GET", "POST")
    ),
    "api/schema/": Page("api/schema/"),
    "api/docs/": Page("api/docs/"),
    "api/login/": Page("api/login/"),
    "api/logout/": Elsewhere("signs out; shows no data"),
    # The admin site's own pages.
    "admin/": Page("admin/"),
    "admin/login/": Page("admin/login/", status=302),
    "admin/logout/": Elsewhere("signs out; shows no data"),
    "admin/password_change/": Page("admin/password_change/"),
    "admin/password_change/done/": Page("admin/password_change/done/"),
    "admin/autocomplete/": Elsewhere("test_matrix.py::test_autocomplete_lists_nothing_of_org_b"),
    "admin/jsi18n/": Page("admin/jsi18n/"),
    "admin/r/<path:content_type_id>/<path:object_id>/": Elsewhere(
        "no model has get_absolute_url, so 'view on site' answers 404 for every object"
    ),
    "admin/^(?P<app_label>auth|django_tasks_database|users|enrollments|reports|imports)/$": Page(
        "admin/users/", queries=("",)
    ),
    "admin/(?P<url>.*)$": Elsewhere("catch-all: redirects to add a slash or answers 404"),
    # Reports.
    "admin/reports/": Page("admin/reports/"),
    "admin/reports/analytics/": Page("admin/reports/analytics/", queries=REPORT_QUERIES),
    "admin/reports/archived/": Page("admin/reports/archived/", queries=REPORT_QUERIES),
    "admin/reports/history/": Page(
        "admin/reports/history/", queries=(*REPORT_QUERIES, "as_of=2020-01-01")
    ),
    "admin/reports/changes/": Page("admin/reports/changes/", queries=("", "actor={a.power}")),
    "admin/reports/^analytics/export/(?P<fmt>csv|xlsx|json)/$": Page(
        "admin/reports/analytics/export/csv/"
    ),
    "admin/reports/^archived/export/(?P<fmt>csv|xlsx|json)/$": Page(
        "admin/reports/archived/export/csv/"
    ),
    "admin/reports/^history/export/(?P<fmt>csv|xlsx|json)/$": Page(
        "admin/reports/history/export/csv/"
    ),
    "admin/reports/^changes/export/(?P<fmt>csv|xlsx|json)/$": Page(
        "admin/reports/changes/export/csv/"
    ),
    "admin/reports/seats/": Page("admin/reports/seats/", queries=("", "organisation={a.org}")),
    "admin/reports/^seats/export/(?P<fmt>csv|xlsx|json)/$": Page(
        "admin/reports/seats/export/csv/", queries=("organisation={a.org}",)
    ),
    # The learner's pages show the signed-in person's own enrolments and certificates only.
    "learn/": Page("learn/"),
    "learn/certificates/": Page("learn/certificates/"),
    "learn/enrolments/<int:enrollment_id>/start/": Probe(
        "learn/enrolments/{b.enrollment}/start/", ("GET", "POST")
    ),
    "learn/enrolments/<int:enrollment_id>/accept/": Probe(
        "learn/enrolments/{b.enrollment}/accept/", ("GET", "POST")
    ),
    "learn/certificates/<str:code>.pdf": Elsewhere(
        "another person's certificate file answers as a forged code: tests/scoping/test_learner.py"
    ),
    "certificates/verify/<str:code>": Elsewhere(
        "public by design (name, course, date, valid or revoked of a known code): "
        "tests/scoping/test_learner.py"
    ),
    "account/password-reset/": Page("account/password-reset/"),
    "account/password-reset/sent/": Page("account/password-reset/sent/"),
    # Models.
    **forbidden_admin("auth/group", reason="roles belong to no organisation"),
    **forbidden_admin(
        "django_tasks_database/dbtaskresult",
        reason="task results are named by random UUIDs and need a permission no role has",
    ),
    **admin_model("users/organisation", key="org", may_add=False),
    **admin_model("users/user", key="person"),
    **admin_model("users/segment", key="segment"),
    **admin_model("users/segmentmembership", key="membership"),
    **admin_model("users/accesstoken", key="token", may_list=False, may_add=False),
    **admin_model("enrollments/enrollmentterm", key="term", may_add=False),
    **admin_model("enrollments/course", key="course", may_add=False),
    **admin_model("enrollments/section", key="section", may_add=False),
    # The lists' "to be deleted" filter (org B's course and section are marked too).
    "admin/enrollments/course/": Page(
        "admin/enrollments/course/", queries=("", "to_be_deleted=yes", "to_be_deleted=no")
    ),
    "admin/enrollments/section/": Page(
        "admin/enrollments/section/", queries=("", "to_be_deleted=yes", "to_be_deleted=no")
    ),
    **admin_model("enrollments/enrollment", key="enrollment"),
    **admin_model("enrollments/certificate", key="certificate", may_add=False),
    "admin/reports/exportrecord/": Page("admin/reports/exportrecord/", status=403),
    "admin/reports/exportrecord/add/": Page("admin/reports/exportrecord/add/", status=403),
    "admin/reports/exportrecord/<path:object_id>/": Probe("admin/reports/exportrecord/{b.export}/"),
    "admin/reports/exportrecord/<path:object_id>/change/": Probe(
        "admin/reports/exportrecord/{b.export}/change/", ("GET", "POST")
    ),
    "admin/reports/exportrecord/<path:object_id>/delete/": Probe(
        "admin/reports/exportrecord/{b.export}/delete/", ("GET", "POST")
    ),
    "admin/reports/exportrecord/<path:object_id>/history/": Probe(
        "admin/reports/exportrecord/{b.export}/history/"
    ),
    "admin/users/user/<path:object_id>/toggle/": Probe(
        "admin/users/user/{b.person}/toggle/", ("GET", "POST")
    ),
    "admin/users/user/<path:object_id>/unlock-sign-in/": Probe(
        "admin/users/user/{b.person}/unlock-sign-in/", ("GET", "POST")
    ),
    "admin/users/user/<path:object_id>/reset-password/": Probe(
        "admin/users/user/{b.person}/reset-password/", ("GET", "POST")
    ),
    "admin/users/user/<path:object_id>/lifecycle-delete/": Probe(
        "admin/users/user/{b.person}/lifecycle-delete/", ("GET", "POST")
    ),
    "admin/users/user/<path:object_id>/undelete/": Probe(
        "admin/users/user/{b.person}/undelete/", ("GET", "POST")
    ),
    "admin/users/user/<path:object_id>/revert/<int:history_id>/": Probe(
        "admin/users/user/{b.person}/revert/{b.person_history}/", ("GET", "POST")
    ),
    "admin/users/user/credentials/<str:key>.csv": Elsewhere(
        "keyed by a one-time key kept in the signed-in person's own session"
    ),
    # Topping up credits: training admins only; org B answers as a missing organisation
    # (a power user's own organisation answers 403: tests/users/admin/test_organisation_credits.py).
    "admin/users/organisation/<path:object_id>/credits/": Probe(
        "admin/users/organisation/{b.org}/credits/", ("GET", "POST")
    ),
    # Erasure, retention and purge (issue 16): their own scoping tests, by name.
    "admin/users/organisation/<path:object_id>/purge/": Elsewhere(
        "tests/scoping/test_erasure.py::test_power_user_cannot_purge"
    ),
    "admin/users/user/<path:object_id>/erase/": Elsewhere(
        "tests/scoping/test_erasure.py::"
        "test_power_user_erase_page_for_another_organisation_reads_as_nonexistent"
    ),
    **{
        route: Elsewhere(
            "tests/scoping/test_erasure.py::"
            "test_the_retention_preview_shows_only_the_power_users_organisation"
        )
        for route in admin_routes("users/retentionpolicy")
    },
    **{
        route: Elsewhere(
            "tests/scoping/test_erasure.py::test_receipts_and_their_downloads_are_scoped"
        )
        for route in [
            *admin_routes("users/erasurereceipt"),
            "admin/users/erasurereceipt/<int:receipt_id>/download.<str:fmt>",
        ]
    },
    # Reviews of dormant accounts (issue 16).
    **admin_model("users/reviewpolicy", key="review_policy", may_add=False),
    "admin/users/review/": Page(
        "admin/users/review/",
        queries=("", "list=no_sign_in", "list=marked", "created_before=2025-01-01"),
    ),
    "admin/users/review/start/": Elsewhere(
        "POST only; starts a review of the person's own people: "
        "tests/users/admin/test_review_pages.py::"
        "test_a_power_user_sees_only_their_organisation_and_gets_404_for_another"
    ),
    "admin/users/review/<int:run_id>/": Probe("admin/users/review/{b.review}/"),
    "admin/users/review/<int:run_id>/download.csv": Probe(
        "admin/users/review/{b.review}/download.csv"
    ),
    "admin/users/review/<int:run_id>/apply/": Probe(
        "admin/users/review/{b.review}/apply/", ("GET", "POST")
    ),
    "admin/users/review/<int:run_id>/decide/": Probe(
        "admin/users/review/{b.review}/decide/", ("GET", "POST")
    ),
    "admin/users/review/<int:run_id>/attest/": Probe(
        "admin/users/review/{b.review}/attest/", ("GET", "POST")
    ),
    "admin/users/duplicates/": Page(
        "admin/users/duplicates/", queries=("", "reason=name", "reason=sis", "reason=course")
    ),
    "admin/users/duplicates/preview/": Probe(
        "admin/users/duplicates/preview/?ids={a.person},{b.person}", ("GET", "POST")
    ),
    "admin/users/merges/<int:merge_id>/": Elsewhere(
        "tests/scoping/test_merging.py: org B's merge answers as one that does not exist"
    ),
    "admin/users/segment/<path:object_id>/members/": Probe(
        "admin/users/segment/{b.segment}/members/", ("GET", "POST")
    ),
    "admin/enrollments/course/<path:object_id>/roster/<int:enrollment_id>/state/": Probe(
        "admin/enrollments/course/{b.course}/roster/{b.enrollment}/state/", ("GET", "POST")
    ),
    "admin/enrollments/course/<path:object_id>/enrolment-method/": Probe(
        "admin/enrollments/course/{b.course}/enrolment-method/", ("GET", "POST")
    ),
    "admin/enrollments/course/<path:object_id>/sections/": Probe(
        "admin/enrollments/course/{b.course}/sections/", ("GET", "POST")
    ),
    # Imports.
    "admin/imports/importjob/": Page("admin/imports/importjob/"),
    "admin/imports/importjob/add/": Page("admin/imports/importjob/add/", status=302),
    "admin/imports/importjob/new/": Page("admin/imports/importjob/new/"),
    "admin/imports/importjob/<int:pk>/": Probe("admin/imports/importjob/{b.job}/"),
    "admin/imports/importjob/<int:pk>/progress/": Probe(
        "admin/imports/importjob/{b.job}/progress/"
    ),
    "admin/imports/importjob/<int:pk>/confirm/": Probe(
        "admin/imports/importjob/{b.job}/confirm/", ("GET", "POST")
    ),
    "admin/imports/importjob/<int:pk>/cancel/": Probe(
        "admin/imports/importjob/{b.job}/cancel/", ("GET", "POST")
    ),
    "admin/imports/importjob/<int:pk>/restart/": Probe(
        "admin/imports/importjob/{b.job}/restart/", ("GET", "POST")
    ),
    "admin/imports/importjob/<int:pk>/passwords.csv": Probe(
        "admin/imports/importjob/{b.job}/passwords.csv"
    ),
    "admin/imports/importjob/<path:object_id>/": Probe("admin/imports/importjob/{b.job}/x/"),
    "admin/imports/importjob/<path:object_id>/change/": Probe(
        "admin/imports/importjob/{b.job}/change/"
    ),
    "admin/imports/importjob/<path:object_id>/delete/": Probe(
        "admin/imports/importjob/{b.job}/delete/"
    ),
    "admin/imports/importjob/<path:object_id>/history/": Probe(
        "admin/imports/importjob/{b.job}/history/"
    ),
    "admin/imports/importjob/template/<str:kind>/<int:index>.csv": Page(
        "admin/imports/importjob/template/users/0.csv"
    ),
    "admin/imports/importjob/export/<str:kind>/<str:fmt>/": Elsewhere(
        "test_matrix.py::test_every_export_download_holds_nothing_of_org_b"
    ),
    "admin/imports/statusword/": Page("admin/imports/statusword/"),
    "admin/imports/statusword/add/": Page("admin/imports/statusword/add/", status=403),
    "admin/imports/statusword/<path:object_id>/": Elsewhere(
        "status words belong to no organisation"
    ),
    "admin/imports/statusword/<path:object_id>/change/": Elsewhere(
        "status words belong to no organisation"
    ),
    "admin/imports/statusword/<path:object_id>/delete/": Elsewhere(
        "status words belong to no organisation"
    ),
    "admin/imports/statusword/<path:object_id>/history/": Elsewhere(
        "status words belong to no organisation"
    ),
    # The API.
    "api/v1/": Probe("api/v1/nothing-here/{b.person}", api=True),
    "api/v1/accounts": Page("api/v1/accounts", api=True),
    "api/v1/accounts/<id:account_id>": Probe("api/v1/accounts/{b.org}", api=True),
    "api/v1/accounts/<id:account_id>/sub_accounts": Probe(
        "api/v1/accounts/{b.org}/sub_accounts", api=True
    ),
    "api/v1/accounts/<id:account_id>/users": Probe(
        "api/v1/accounts/{b.org}/users", ("GET", "POST"), api=True
    ),
    "api/v1/accounts/<id:account_id>/users/<id:user_id>": Probe(
        "api/v1/accounts/{a.org}/users/{b.person}", ("DELETE",), api=True
    ),
    "api/v1/accounts/<id:account_id>/users/<id:user_id>/restore": Probe(
        "api/v1/accounts/{a.org}/users/{b.person}/restore", ("PUT",), api=True
    ),
    "api/v1/accounts/<id:account_id>/terms": Probe("api/v1/accounts/{b.org}/terms", api=True),
    "api/v1/accounts/<id:account_id>/terms/<id:term_id>": Probe(
        "api/v1/accounts/{a.org}/terms/{b.term}", api=True
    ),
    "api/v1/accounts/<id:account_id>/reports/archived": Probe(
        "api/v1/accounts/{b.org}/reports/archived", api=True
    ),
    "api/v1/accounts/<id:account_id>/courses": Probe(
        "api/v1/accounts/{b.org}/courses", ("GET", "POST"), api=True
    ),
    "api/v1/users/<id:user_id>": Probe(API_USER, ("GET", "PUT"), api=True),
    "api/v1/users/<id:user_id>/history": Probe(f"{API_USER}/history", api=True),
    "api/v1/users/<id:user_id>/logins": Probe(f"{API_USER}/logins", api=True),
    "api/v1/users/<id:user_id>/logins/<id:login_id>": Probe(
        f"{API_USER}/logins/{{b.person}}", ("DELETE",), api=True
    ),
    "api/v1/users/<id:user_id>/sessions": Probe(f"{API_USER}/sessions", ("DELETE",), api=True),
    "api/v1/users/<id:user_id>/profile": Probe(f"{API_USER}/profile", api=True),
    "api/v1/users/<id:user_id>/communication_channels": Probe(
        f"{API_USER}/communication_channels", api=True
    ),
    "api/v1/audit/authentication/users/<id:user_id>": Probe(
        "api/v1/audit/authentication/users/{b.person}", api=True
    ),
    "api/v1/audit/authentication/accounts/<id:account_id>": Probe(
        "api/v1/audit/authentication/accounts/{b.org}", api=True
    ),
    "api/v1/accounts/<id:account_id>/logins": Probe(
        "api/v1/accounts/{b.org}/logins", ("GET", "POST"), api=True
    ),
    "api/v1/accounts/<id:account_id>/logins/<id:login_id>": Probe(
        "api/v1/accounts/{a.org}/logins/{b.person}", ("PUT",), api=True
    ),
    "api/v1/accounts/<id:account_id>/sis_imports": Probe(
        "api/v1/accounts/{b.org}/sis_imports", ("GET", "POST"), api=True
    ),
    "api/v1/accounts/<id:account_id>/sis_imports/abort_all_pending": Probe(
        "api/v1/accounts/{b.org}/sis_imports/abort_all_pending", ("PUT",), api=True
    ),
    "api/v1/accounts/<id:account_id>/sis_imports/<id:import_id>": Probe(
        "api/v1/accounts/{a.org}/sis_imports/{b.job}", api=True
    ),
    "api/v1/accounts/<id:account_id>/sis_imports/<id:import_id>/abort": Probe(
        "api/v1/accounts/{a.org}/sis_imports/{b.job}/abort", ("PUT",), api=True
    ),
    "api/v1/accounts/<id:account_id>/sis_imports/<id:import_id>/restore_states": Probe(
        "api/v1/accounts/{a.org}/sis_imports/{b.job}/restore_states", ("PUT",), api=True
    ),
    "api/v1/progress/<id:progress_id>": Probe("api/v1/progress/{b.progress}", api=True),
    "api/v1/users/<id:user_id>/merge_into/<id:destination_user_id>": Probe(
        f"{API_USER}/merge_into/{{a.person}}", ("PUT",), api=True
    ),
    (
        "api/v1/users/<id:user_id>/merge_into/accounts/<id:account_id>/users/"
        "<id:destination_user_id>"
    ): Probe(f"{API_USER}/merge_into/accounts/{{a.org}}/users/{{a.person}}", ("PUT",), api=True),
    "api/v1/users/<id:user_id>/split": Probe(f"{API_USER}/split", ("POST",), api=True),
    "api/v1/users/<id:user_id>/enrollments": Probe(f"{API_USER}/enrollments", api=True),
    "api/v1/courses/<id:course_id>": Probe("api/v1/courses/{b.course}", api=True),
    "api/v1/courses/<id:course_id>/sections": Probe(
        "api/v1/courses/{b.course}/sections", ("GET", "POST"), api=True
    ),
    "api/v1/courses/<id:course_id>/sections/<id:section_id>": Probe(
        "api/v1/courses/{b.course}/sections/{b.section}", api=True
    ),
    "api/v1/courses/<id:course_id>/enrollments": Probe(
        "api/v1/courses/{b.course}/enrollments", ("GET", "POST"), api=True
    ),
    "api/v1/courses/<id:course_id>/enrollments/<id:enrollment_id>": Probe(
        "api/v1/courses/{b.course}/enrollments/{b.enrollment}", ("GET", "DELETE"), api=True
    ),
    "api/v1/courses/<id:course_id>/enrollments/<id:enrollment_id>/reactivate": Probe(
        "api/v1/courses/{b.course}/enrollments/{b.enrollment}/reactivate", ("PUT",), api=True
    ),
    "api/v1/sections/<id:section_id>": Probe("api/v1/sections/{b.section}", api=True),
    "api/v1/sections/<id:section_id>/enrollments": Probe(
        "api/v1/sections/{b.section}/enrollments", ("GET", "POST"), api=True
    ),
}

# Org B's people, found by the other ways the API names them; and lists of org A asked for
# org B's names. Neither may show anything of B.
API_PROBES = (
    Probe("api/v1/users/sis_user_id:{b.sis}", ("GET", "PUT"), api=True),
    Probe("api/v1/users/sis_login_id:{b.login}", api=True),
    Probe("api/v1/courses/sis_course_id:{b.course_sis}", api=True),
    Probe("api/v1/courses/{a.course}/enrollments?user_id={b.person}", api=True),
    Probe("api/v1/accounts/{a.org}/courses?search_term={b.course_sis}", api=True),
    Probe("api/v1/accounts/{b.org}/terms/{b.term}", api=True),
    Probe("api/v1/accounts/{a.org}/terms/sis_term_id:{b.term_sis}", api=True),
)
API_PAGES = (
    Page("api/v1/accounts/{a.org}/users", queries=("", "state[]=all"), api=True),
    Page("api/v1/accounts/{a.org}/sub_accounts", api=True),
    Page("api/v1/accounts/{a.org}/courses", api=True),
    Page(
        "api/v1/accounts/{a.org}/terms",
        queries=("", "workflow_state[]=all", "workflow_state[]=deleted"),
        api=True,
    ),
    Page("api/v1/accounts/{a.org}/reports/archived", api=True),
    Page("api/v1/courses/{a.course}/enrollments", queries=("", "state[]=all"), api=True),
    Page("api/v1/users/{a.person}/history", api=True),
)
API_SEARCHES = (
    Page(
        "api/v1/accounts/{a.org}/users",
        queries=("search_term=Zorblatt", "search_term=SIS-BSECRET-1", "search_term=bsecret"),
    ),
    Page("api/v1/accounts/{a.org}/courses", queries=("search_term=Borealis",)),
    Page("api/v1/accounts/{a.org}/terms", queries=("term_name=Borealis",)),
)
# Admin lists asked, through their own filters and search, for org B's rows.
ADMIN_PROBES = (
    Probe("admin/users/user/?organisation={b.org}&status=all"),
    Probe("admin/users/user/?segment={b.segment}&status=all"),
    Probe("admin/users/segment/?organisation__id__exact={b.org}"),
    Probe("admin/users/segmentmembership/?segment__id__exact={b.segment}"),
    Probe("admin/enrollments/course/?organisation__id__exact={b.org}"),
    Probe("admin/enrollments/course/?term__id__exact={b.term}"),
    Probe("admin/enrollments/course/?to_be_deleted=yes&organisation__id__exact={b.org}"),
    Probe("admin/enrollments/course/?to_be_deleted=yes&term__id__exact={b.term}"),
    Probe("admin/enrollments/enrollmentterm/?organisation__id__exact={b.org}"),
    Probe("admin/enrollments/enrollment/?to_be_deleted=yes&course__id__exact={b.course}"),
    Probe("admin/reports/analytics/?organisation={b.org}"),
    Probe("admin/reports/seats/?organisation={b.org}"),
    Probe("admin/reports/seats/export/csv/?organisation={b.org}"),
    Probe("admin/reports/analytics/?segment={b.segment}"),
    Probe("admin/reports/analytics/?course={b.course}"),
    Probe("admin/reports/archived/?organisation={b.org}"),
    Probe("admin/reports/history/?segment={b.segment}"),
    Probe("admin/reports/changes/?actor={b.power}"),
)
ADMIN_SEARCHES = ("Zorblatt", "Borealis", "bsecret", "SIS-BSECRET-1", "BSECRET101")
