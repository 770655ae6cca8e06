"""Searching users (users/search.py): one trigram index over the searched columns joined,
with the same matches as searching each column; the users page reads a search's matches
once for its tab counts and its page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import PASSWORD
from users import services
from users.folding import fold
from users.models import User
from users.search import (
    SEARCH_INDEX,
    SearchPlan,
    candidate_ids,
    index_key,
    index_serves,
    is_broad,
    search_plan,
    users_matching,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/users/user/"


def names(queryset):
    return sorted(queryset.values_list("username", flat=True))


@pytest.fixture
def people(make_user):
    make_user(username="ann.lee", first_name="Ann", last_name="Lee", email="ann@acme.test")
    make_user(
        username="bob.smith",
        first_name="Bob",
        last_name="Smith",
        email="bob@partner.test",
        sis_user_id="EMP-100",
    )
    make_user(username="carol", first_name="Carol", last_name="Ann Smith", email="c@x.test")


def test_every_word_must_match_some_column(people):
    assert names(users_matching(User.objects.all(), "ann")) == ["ann.lee", "carol"]
    assert names(users_matching(User.objects.all(), "ann smith")) == ["carol"]
    assert names(users_matching(User.objects.all(), "SMITH partner")) == ["bob.smith"]
    assert names(users_matching(User.objects.all(), "emp-1")) == ["bob.smith"]
    assert names(users_matching(User.objects.all(), "nobody")) == []


def test_a_quoted_phrase_never_spans_two_columns(people):
    # "Lee ann" would be found in the joined text of ann.lee ("ann.lee Ann Lee ann@...").
    assert names(users_matching(User.objects.all(), '"Lee ann"')) == []
    assert names(users_matching(User.objects.all(), '"ann smith"')) == ["carol"]


def test_a_blank_search_changes_nothing(people):
    assert users_matching(User.objects.all(), "   ").count() == User.objects.count()


def test_the_page_counts_each_tab_of_a_search_and_pages_it(client, admin_user, make_user):
    people = [make_user(username=f"cohort{n:02}", last_name="Cohort") for n in range(30)]
    services.users_deactivate(
        User.objects.filter(pk__in=[p.pk for p in people[:7]]), by=admin_user, reason="left"
    )
    assert client.login(username=admin_user.username, password=PASSWORD)
    response = client.get(CHANGELIST + "?q=cohort&per_page=25")
    tabs = {tab["label"]: tab["count"] for tab in response.context["status_tabs"]}
    assert (tabs["Active"], tabs["Inactive"], tabs["Deleted"], tabs["All"]) == (
        "23",
        "7",
        "0",
        "30",
    )
    first = [user.username for user in response.context["cl"].result_list]
    assert first == [f"cohort{n:02}" for n in range(7, 30)][:25]
    second = client.get(CHANGELIST + "?q=cohort&per_page=25&status=all&p=2")
    assert [user.username for user in second.context["cl"].result_list] == [
        f"cohort{n:02}" for n in range(25, 30)
    ]


def test_a_search_page_stays_within_ten_queries(client, admin_user, make_user):
    for n in range(120):
        make_user(username=f"many{n:03}")
    assert client.login(username=admin_user.username, password=PASSWORD)
    client.get(CHANGELIST + "?q=many")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST + "?q=many&per_page=100")
    assert len(response.context["cl"].result_list) == 100
    assert len(queries.captured_queries) <= 10, [q["sql"] for q in queries.captured_queries]


postgresql_only = pytest.mark.postgresql("the search table is kept on PostgreSQL")


@postgresql_only
def test_someones_whole_email_sis_id_or_username_is_looked_up_without_sampling(people, monkeypatch):
    # As on a table large enough to sample (users.search.is_broad).
    monkeypatch.setattr("users.search._estimated_rows", lambda using, table: 1_000_000)

    def sampled(words, among=None):
        with CaptureQueriesContext(connection) as queries:
            broad = is_broad(words, using="default", among=among)
        return broad, any("TABLESAMPLE" in q["sql"] for q in queries.captured_queries)

    for exact in ("ANN@acme.test", "EMP-100", "bob.smith"):
        assert sampled([exact]) == (False, False), exact
    # A fragment, or someone's email beside another word, is sampled as before.
    assert sampled(["acme"])[1]
    assert sampled(["ann@acme.test", "lee"])[1]
    # Only people the viewer may see count: someone else's email is sampled like any
    # fragment, so the time a search takes says nothing of who exists elsewhere.
    others = User.objects.exclude(username="bob.smith")
    assert sampled(["bob@partner.test"], among=others)[1]
    assert sampled(["bob@partner.test"], among=User.objects.all()) == (False, False)
    # And the exact search still finds everyone who holds it.
    assert names(users_matching(User.objects.all(), "bob.smith")) == ["bob.smith"]


def test_the_index_is_asked_only_for_words_it_can_narrow():
    # pg_trgm finds no trigram in a run of fewer than three letters or digits.
    for word in ("li", "Wu", "a.b", "x_y", "12@", "-"):
        assert not index_serves(word), word
    for word in ("lee", "Łukasz", "ann@acme.test", "12@acme.test", "EMP-100", "a.b.cde"):
        assert index_serves(word), word


@postgresql_only
def test_a_sample_decides_how_a_search_is_read_and_whether_to_list_its_matches(people, monkeypatch):
    """On a large table (a million rows here): a fifth of everyone or more is read in the
    list's order (broad), and so is a search with no word the index can narrow ("li",
    "wu": reading the index whole would be slowest); clearly more matches than the cap
    (twice) are not read first to see whether they could be listed (many)."""
    monkeypatch.setattr("users.search._estimated_rows", lambda using, table: 1_000_000)
    monkeypatch.setattr("lms_admin.plumbing.counting.COUNT_CAP", 10_000)
    share = {}
    monkeypatch.setattr(
        "users.search._sampled_share", lambda words, using, table, rows: share["now"]
    )

    def plan(words, sampled):
        share["now"] = sampled
        return search_plan(words, using="default")

    assert plan(["smith"], 0.25) == SearchPlan(broad=True, many=True)
    assert plan(["smith"], 0.05) == SearchPlan(broad=False, many=True)
    assert plan(["smith"], 0.015) == SearchPlan(broad=False, many=False)
    assert plan(["li"], 0.0) == SearchPlan(broad=True, many=False)
    assert plan(["li"], 0.05) == SearchPlan(broad=True, many=True)
    assert plan(["li", "smith"], 0.001) == SearchPlan(broad=False, many=False)
    # Of several words, the index is asked only for those it can narrow; every word must
    # still match.
    both = candidate_ids(["an", "smith"], using="default", broad=False)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        text_plan = both.explain()
    assert SEARCH_INDEX in text_plan, text_plan
    assert "Index Cond: (text ~~ '%smith%'::text)" in text_plan, text_plan
    assert "'an'" not in text_plan.partition("Index Cond")[2], text_plan
    assert "Filter: (strpos(text, 'an'::text) > 0)" in text_plan, text_plan
    assert names(users_matching(User.objects.all(), "an smith")) == ["carol"]


@postgresql_only
def test_a_search_the_sample_shows_many_match_is_not_read_first_to_list_them(
    client, admin_user, people, monkeypatch
):
    monkeypatch.setattr(
        "users.search.search_plan",
        lambda words, using, among=None: SearchPlan(broad=False, many=True),
    )

    def listed(*args, **kwargs):
        raise AssertionError("the matches were read to see whether they could be listed")

    monkeypatch.setattr("users.search.matching_ids", listed)
    assert client.login(username=admin_user.username, password=PASSWORD)
    response = client.get(CHANGELIST + "?q=smith")
    # Read as a large search: the current tab counted (capped), the others left blank.
    tabs = {tab["status"]: tab["count"] for tab in response.context["status_tabs"]}
    assert tabs == {"active": "2", "inactive": "", "deleted": "", "all": ""}
    assert [u.username for u in response.context["cl"].result_list] == ["bob.smith", "carol"]


@postgresql_only
def test_every_way_of_searching_finds_exactly_what_folding_says(make_user):
    """The index and the read in order both answer "does the folded text hold the folded
    word", as SQLite does (tests/users/test_folding.py): no way is looser than the other,
    even for letters that UPPER() makes one (a final and a middle sigma, the micro sign and
    mu, Greek's symbol forms)."""
    make_user(username="odysseas", first_name="Οδυσσέας", last_name="Li")
    make_user(username="liesel", first_name="Lieſel", last_name="Weiß")
    make_user(username="zoe", first_name="Zoë", last_name="Wu", email="zoe@acme.test")
    make_user(username="micro", first_name="µ-Lab", last_name="ϐeta")
    people = list(User.objects.all())

    def expected(word):
        return sorted(
            p.username
            for p in people
            if any(
                fold(word) in fold(value or "")
                for value in (p.username, p.first_name, p.last_name, p.email, p.sis_user_id)
            )
        )

    for word in (
        "οδυσσεας",
        "οδυσσεασ",
        "ΟΔΥΣΣΈΑΣ",
        "lieſel",
        "liesel",
        "weiss",
        "li",
        "wu",
        "ZOE",
        "zoë@acme",
        "ë",
    ):
        for broad in (False, True):
            found = candidate_ids([word], using="default", broad=broad)
            usernames = sorted(User.objects.filter(pk__in=found).values_list("username", flat=True))
            assert usernames == expected(word), (word, broad)


@postgresql_only
def test_postgresql_finds_matches_through_the_search_tables_trigram_index(people):
    queryset = candidate_ids(["smith"], using="default", broad=False)
    with connection.cursor() as cursor:
        # With three rows a scan of the whole table is cheapest; rule that out (and a walk
        # of a whole index) to see what a large table would use.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = queryset.explain()
    assert SEARCH_INDEX in plan, plan
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE tablename = 'users_user' "
            "AND indexdef LIKE '%%gin_trgm_ops%%'"
        )
        assert cursor.fetchone()[0] == 0, "users_user itself keeps no trigram index"
        # On the folded text as stored, so that a row read in turn is checked by a plain
        # LIKE rather than UPPER(text) LIKE, which costs three times as much.
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [SEARCH_INDEX])
        assert cursor.fetchone()[0].endswith("USING gin (text gin_trgm_ops)")


def search_text_of(user) -> tuple[str, int]:
    """The search row's text and the transaction that last wrote it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT text, xmin::text::bigint FROM users_usersearch WHERE user_id = %s", [user.pk]
        )
        return cursor.fetchone()


@postgresql_only
def test_the_search_table_follows_every_change_of_a_searched_column(admin_user, make_user):
    learner = make_user(username="jo.k", first_name="Jo", last_name="King", email="jo@a.test")
    assert search_text_of(learner)[0] == "jo.k jo king jo@a.test "  # folded
    services.user_update(learner, last_name="Queen", sis_user_id="S-9", by=admin_user, reason="t")
    assert search_text_of(learner)[0] == "jo.k jo queen jo@a.test s-9"
    assert names(users_matching(User.objects.all(), "queen")) == ["jo.k"]
    assert names(users_matching(User.objects.all(), "king")) == []


@postgresql_only
def test_a_change_of_status_leaves_the_search_row_alone(admin_user, make_user):
    learner = make_user()
    written = search_text_of(learner)
    services.users_deactivate(User.objects.filter(pk=learner.pk), by=admin_user, reason="Left")
    services.user_reactivate(User.objects.get(pk=learner.pk), by=admin_user, reason="Back")
    assert search_text_of(learner) == written


@postgresql_only
def test_a_removed_user_leaves_no_search_row(make_user):
    learner = make_user()
    User.objects.filter(pk=learner.pk).delete()
    assert search_text_of(learner) is None


@postgresql_only
def test_one_statement_changing_many_users_rewrites_only_the_changed_texts(make_user):
    people = [make_user(last_name=f"Old{n}") for n in range(5)]
    untouched = search_text_of(people[4])
    User.objects.filter(pk__in=[p.pk for p in people[:3]]).update(last_name="Renamed")
    User.objects.filter(pk__in=[p.pk for p in people]).update(is_staff=False)
    assert all("renamed" in search_text_of(p)[0] for p in people[:3])
    assert search_text_of(people[4]) == untouched
    assert names(users_matching(User.objects.all(), "renamed")) == sorted(
        p.username for p in people[:3]
    )


@postgresql_only
def test_a_broad_search_is_written_so_that_the_index_is_not_used(people):
    queryset = candidate_ids(["smith"], using="default", broad=True)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    assert SEARCH_INDEX not in plan, plan
    narrow = candidate_ids(["smith"], using="default", broad=False)
    assert sorted(queryset.values_list("user_id", flat=True)) == sorted(
        narrow.values_list("user_id", flat=True)
    )
    assert queryset.exists()


@postgresql_only
def test_a_search_more_than_the_cap_match_pages_and_counts_without_reading_every_match(
    client, admin_user, make_user, monkeypatch
):
    """Past COUNT_CAP matches: the current tab is counted (capped), the others show no
    number, exact matches come first and the rest in username order, page after page."""
    monkeypatch.setattr("lms_admin.plumbing.counting.COUNT_CAP", 5)
    monkeypatch.setattr("users.admin.changelist.COUNT_CAP", 5)
    for n in range(12):
        make_user(username=f"zed{n:02}", last_name="Zedson")
    exact = make_user(username="zedson", last_name="Other")
    services.users_deactivate(User.objects.filter(pk=exact.pk), by=admin_user, reason="Left")
    assert client.login(username=admin_user.username, password=PASSWORD)
    for broad in (False, True):
        monkeypatch.setattr(
            "users.search.search_plan",
            lambda words, using, among=None, broad=broad: SearchPlan(broad=broad),
        )
        response = client.get(CHANGELIST + "?q=zedson&status=all&per_page=25")
        tabs = {tab["status"]: tab["count"] for tab in response.context["status_tabs"]}
        assert tabs == {"active": "", "inactive": "", "deleted": "", "all": "5+"}, broad
        shown = [user.username for user in response.context["cl"].result_list]
        assert shown == ["zedson", *(f"zed{n:02}" for n in range(12))], broad

        response = client.get(CHANGELIST + "?q=zedson&per_page=25")
        shown = [user.username for user in response.context["cl"].result_list]
        assert shown == [f"zed{n:02}" for n in range(12)], broad


def test_the_index_is_asked_for_the_rare_part_of_a_long_word():
    assert index_key("theo.patel.624979@example.org") == "624979"
    assert index_key("ann.lee@acme.test") == "ann.lee"
    assert index_key("SCALE-0624979") == "0624979"
    assert index_key("walker") == "walker"
    assert index_key("@acme.test") == "@acme.test"


@postgresql_only
def test_a_word_looked_up_by_its_rare_part_is_still_matched_whole(make_user):
    make_user(username="ann.lee", email="ann.lee@acme.test")
    make_user(username="ann.lee2", email="ann.lee@other.test")
    assert names(users_matching(User.objects.all(), "ann.lee@acme.test")) == ["ann.lee"]
    assert names(users_matching(User.objects.all(), "ann.lee@")) == ["ann.lee", "ann.lee2"]


@postgresql_only
def test_a_large_search_whose_matches_come_late_in_the_order_is_sorted_instead(
    client, admin_user, make_user, monkeypatch
):
    """Past WALK_ROWS people read without filling the page, a search that is not broad
    sorts its matches: the same page either way."""
    monkeypatch.setattr("lms_admin.plumbing.counting.COUNT_CAP", 3)
    monkeypatch.setattr("users.admin.changelist.COUNT_CAP", 3)
    monkeypatch.setattr("users.admin.changelist.WALK_ROWS", 4)
    monkeypatch.setattr(
        "users.search.search_plan", lambda words, using, among=None: SearchPlan(broad=False)
    )
    for n in range(8):
        make_user(username=f"aaa{n}", last_name="Other")
    for n in range(6):
        make_user(username=f"zz{n}", last_name="Quill")
    assert client.login(username=admin_user.username, password=PASSWORD)
    response = client.get(CHANGELIST + "?q=quill&per_page=25")
    shown = [user.username for user in response.context["cl"].result_list]
    assert shown == [f"zz{n}" for n in range(6)]
    response = client.get(CHANGELIST + "?q=quill&per_page=25&p=1")
    assert [user.username for user in response.context["cl"].result_list][:2] == ["zz0", "zz1"]


@postgresql_only
def test_a_power_users_search_is_counted_among_their_own_people_however_many_match_elsewhere(
    client, admin_user, power_user, partner, make_user, monkeypatch
):
    """Past COUNT_CAP matches a search shows only the current tab's count; whether that
    happens must not tell a power user how many people of other organisations match.
    Their tabs read the same whether another organisation holds many matches or none."""
    monkeypatch.setattr("lms_admin.plumbing.counting.COUNT_CAP", 5)
    monkeypatch.setattr("users.admin.changelist.COUNT_CAP", 5)
    make_user(username="zed.partner", last_name="Zedson", organisation=partner)
    assert client.login(username=power_user.username, password=PASSWORD)

    def tabs():
        response = client.get(CHANGELIST + "?q=zedson")
        shown = [user.username for user in response.context["cl"].result_list]
        counts = {tab["status"]: tab["count"] for tab in response.context["status_tabs"]}
        return counts, shown

    alone = tabs()
    assert alone == ({"active": "1", "inactive": "0", "deleted": "0", "all": "1"}, ["zed.partner"])
    for n in range(8):  # in the other organisation (make_user's default)
        make_user(username=f"zed{n}", last_name="Zedson")
    assert tabs() == alone
    # Among everyone it is a large search: a training admin sees only the current tab.
    client.logout()
    assert client.login(username=admin_user.username, password=PASSWORD)
    counts, _ = tabs()
    assert counts == {"active": "5+", "inactive": "", "deleted": "", "all": ""}


@postgresql_only
def test_a_large_search_for_nobodys_exact_name_skips_the_exact_lookup_and_pages_the_same(
    client, admin_user, make_user, monkeypatch
):
    """Judging a search on a large table already asks whether its one word is someone's SIS
    ID, email or username among the people listed; when it is nobody's, the large search's
    page does not ask again. When it is someone's, that person still comes first."""
    monkeypatch.setattr("lms_admin.plumbing.counting.COUNT_CAP", 5)
    monkeypatch.setattr("users.admin.changelist.COUNT_CAP", 5)
    monkeypatch.setattr("users.search._estimated_rows", lambda using, table: 1_000_000)
    monkeypatch.setattr("users.search._sampled_share", lambda words, **kwargs: 0.05)
    for n in range(8):
        make_user(username=f"zed{n:02}", last_name="Zedson")
    make_user(username="zedson", last_name="Other", sis_user_id="zedso")
    assert client.login(username=admin_user.username, password=PASSWORD)

    def page(term):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(CHANGELIST + f"?q={term}&per_page=25")
        shown = [user.username for user in response.context["cl"].result_list]
        counts = {tab["status"]: tab["count"] for tab in response.context["status_tabs"]}
        # exact_condition's form; the page's own order (CASE WHEN ...) is not a lookup.
        exact_lookups = [
            q["sql"]
            for q in queries.captured_queries
            if 'LOWER("users_user"."email") =' in q["sql"] and "CASE WHEN" not in q["sql"]
        ]
        return shown, counts["active"], len(exact_lookups)

    # "zedso" is a fragment of everyone here, and the SIS ID of one: asked once, first.
    shown, count, lookups = page("zedso")
    assert (shown[0], count) == ("zedson", "5+")
    assert sorted(shown[1:]) == [f"zed{n:02}" for n in range(8)]
    assert lookups >= 2
    # "edso" is nobody's: the judging asked, and the page did not ask again.
    shown, count, lookups = page("edso")
    assert (sorted(shown), count) == (sorted(["zedson", *(f"zed{n:02}" for n in range(8))]), "5+")
    assert shown == sorted(shown)
    assert lookups == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_counting_a_large_search_leaves_the_connections_join_settings_as_they_were(make_user):
    from django.db import transaction

    from users.search import capped_count_of_large_search

    def settings():
        with connection.cursor() as cursor:
            cursor.execute("SHOW enable_hashjoin")
            hashjoin = cursor.fetchone()[0]
            cursor.execute("SHOW enable_mergejoin")
            return hashjoin, cursor.fetchone()[0]

    make_user(username="zed1", last_name="Zedson")
    make_user(username="zed2", last_name="Zedson")
    matches = users_matching(User.objects.all(), "zedson")
    assert capped_count_of_large_search(matches, 5) == 2
    assert settings() == ("on", "on")
    with transaction.atomic():
        assert capped_count_of_large_search(matches, 1) == 2
        assert settings() == ("on", "on")
