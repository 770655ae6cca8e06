"""/admin/users/review/: reviews of dormant accounts, for training admins and, scoped to
their organisation, power users (managers read them).

- the review page: the three candidate lists (never signed in, no sign-in for long, marked
  "to be deleted") with capped counts and each person's activity; start a review from
  them, or a deletion of never-used accounts created before a date;
- a review's page: its people with what the policy proposes; an admin's review is
  downloaded as CSV (reports' export, at `download.csv`), then applied by typing how many
  accounts it lists; a scheduled review is answered person by person, then attested.

A review out of the person's reach answers 404, as one that does not exist.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from lms_admin.plumbing.counting import COUNT_CAP, capped_count, count_label
from lms_admin.plumbing.errors import DomainError, NotPermitted
from lms_admin.plumbing.scoping import MANAGER, POWER_USER, TRAINING_ADMIN, role_of
from users import services
from users.models import ReviewAction, ReviewKind, ReviewReason, ReviewRun
from users.selectors.reviews import (
    DEFAULT_NEVER_SIGNED_IN_DAYS,
    DEFAULT_NO_SIGN_IN_DAYS,
    Criteria,
    activity_summaries,
    admin_accounts_left_out,
    candidate_counts,
    candidate_lists,
    candidates,
    list_page,
    reviewable_people,
    run_candidates,
    run_get,
    runs_visible_to,
)

ROWS_PER_PAGE = 100
LIST_LABELS = {
    ReviewReason.NEVER_SIGNED_IN: "Never signed in",
    ReviewReason.NO_SIGN_IN: "Active, no sign-in for long",
    ReviewReason.MARKED: "Marked “to be deleted”",
}


class ThresholdForm(forms.Form):
    never_signed_in_days = forms.IntegerField(
        min_value=1,
        max_value=36500,
        initial=DEFAULT_NEVER_SIGNED_IN_DAYS,
        label="Never signed in, created more than … days ago",
    )
    no_sign_in_days = forms.IntegerField(
        min_value=1,
        max_value=36500,
        initial=DEFAULT_NO_SIGN_IN_DAYS,
        label="Active, no sign-in for more than … days",
    )
    include_marked = forms.BooleanField(
        required=False, initial=True, label="Include people marked “to be deleted”"
    )

    def criteria(self) -> Criteria:
        data = self.cleaned_data
        return Criteria(
            never_signed_in_days=data["never_signed_in_days"],
            no_sign_in_days=data["no_sign_in_days"],
            include_marked=data["include_marked"],
        )


class NeverUsedForm(forms.Form):
    created_before = forms.DateField(
        label="Created before",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Never signed in, created before this day, and no activity at all.",
    )

    def clean_created_before(self):
        day = self.cleaned_data["created_before"]
        if day > timezone.localdate():
            raise forms.ValidationError("Choose a day in the past.")
        return day

    def criteria(self) -> Criteria:
        start = datetime.combine(self.cleaned_data["created_before"], time.min)
        return Criteria(created_before=timezone.make_aware(start))


def _threshold_form(data) -> ThresholdForm:
    values = {
        "never_signed_in_days": DEFAULT_NEVER_SIGNED_IN_DAYS,
        "no_sign_in_days": DEFAULT_NO_SIGN_IN_DAYS,
        "include_marked": "on",
    }
    if "never_signed_in_days" in data:
        values = data
    return ThresholdForm(values)


def _require_viewer(request) -> str:
    role = role_of(request.user)
    if not request.user.is_staff or role not in (TRAINING_ADMIN, POWER_USER, MANAGER):
        raise PermissionDenied("Reviews are for training admins and power users.")
    return role


def _require_reviewer(request) -> None:
    if _require_viewer(request) == MANAGER:
        raise PermissionDenied("Managers can read reviews, not change anything.")


def _page(request, template: str, context: dict) -> TemplateResponse:
    context = {**admin.site.each_context(request), **context}
    return TemplateResponse(request, f"admin/users/review/{template}", context)


def review_index(request):
    role = _require_viewer(request)
    form = _threshold_form(request.GET)
    never_used = NeverUsedForm(
        request.GET
        if "created_before" in request.GET
        else {"created_before": (timezone.localdate() - timedelta(days=30)).isoformat()}
    )
    people = reviewable_people(request.user)
    shown, rows, counts, never_used_count, admin_left_out = "", [], {}, None, None
    if form.is_valid():
        lists = candidate_lists(people, form.criteria())
        counts = candidate_counts(lists)
        admin_left_out = capped_count(
            candidates(admin_accounts_left_out(request.user), form.criteria())
        )
        shown = request.GET.get("list") or ReviewReason.NEVER_SIGNED_IN
        if shown not in lists:
            shown = ReviewReason.NEVER_SIGNED_IN
        rows = list_page(lists[shown])
    if "created_before" in request.GET and never_used.is_valid():
        never_used_count = capped_count(
            candidate_lists(people, never_used.criteria())[ReviewReason.NEVER_SIGNED_IN]
        )
    summaries = activity_summaries(user.pk for user in rows)
    query = request.GET.copy()
    tabs = []
    for reason, label in LIST_LABELS.items():
        if reason in counts:
            query["list"] = reason
            tabs.append(
                {
                    "label": label,
                    "count": count_label(counts[reason]),
                    "url": "?" + query.urlencode(),
                    "current": reason == shown,
                }
            )
    return _page(
        request,
        "index.html",
        {
            "title": "Review dormant accounts",
            "form": form,
            "never_used": never_used,
            "never_used_count": None if never_used_count is None else count_label(never_used_count),
            "admin_left_out": None if admin_left_out is None else count_label(admin_left_out),
            "tabs": tabs,
            "rows": [(user, summaries[user.pk]) for user in rows],
            "may_change": role != MANAGER,
            "runs": list(runs_visible_to(request.user)[:20]),
            "cap": COUNT_CAP,
        },
    )


@require_POST
def review_start(request):
    _require_reviewer(request)
    kind = request.POST.get("kind")
    form = (
        NeverUsedForm(request.POST)
        if kind == ReviewKind.NEVER_USED
        else _threshold_form(request.POST)
    )
    if kind not in (ReviewKind.MANUAL, ReviewKind.NEVER_USED) or not form.is_valid():
        errors = "; ".join(" ".join(error) for error in form.errors.values())
        messages.error(request, f"The review was not started: {errors or 'unknown kind'}.")
        return redirect("users_review_index")
    label = "Deletion of never-used accounts" if kind == ReviewKind.NEVER_USED else "Review"
    run = services.review_run_start(
        kind=kind, criteria=form.criteria(), by=request.user, reason=f"{label} started"
    )
    if not run.candidate_count:
        messages.info(request, "Nobody matches: there is nothing to review.")
    return redirect("users_review_run", run_id=run.pk)


def _run_or_404(request, run_id) -> ReviewRun:
    run = run_get(request.user, run_id)
    if run is None:
        raise Http404("No such review, or it belongs to another organisation.")
    return run


def review_run(request, run_id: int):
    role = _require_viewer(request)
    run = _run_or_404(request, run_id)
    paginator = Paginator(run_candidates(run), ROWS_PER_PAGE)
    paginator.count = run.candidate_count  # known: no COUNT over the review
    page = paginator.get_page(request.GET.get("page"))
    candidates = list(page.object_list)
    summaries = activity_summaries(candidate.user_id for candidate in candidates)
    now = timezone.now()
    return _page(
        request,
        "run.html",
        {
            "title": f"{run.get_kind_display()} #{run.pk}",
            "run": run,
            "page": page,
            "rows": [(candidate, summaries[candidate.user_id]) for candidate in candidates],
            "may_change": role != MANAGER and run.is_open,
            "past_deadline": run.deadline is not None and now > run.deadline,
            "scheduled": run.kind == ReviewKind.SCHEDULED,
            "download_url": reverse("users_review_download", args=[run.pk]),
            "criteria": run.criteria,
        },
    )


def _act(request, run_id: int, call, success: str):
    """Run a change; a refusal by the rules is shown plainly and changes nothing."""
    _require_reviewer(request)
    run = _run_or_404(request, run_id)
    try:
        with transaction.atomic():
            result = call(run)
    except NotPermitted:
        raise Http404("No such review, or it belongs to another organisation.") from None
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success.format(result=result))
    return redirect("users_review_run", run_id=run.pk)


def _reason(request, default: str) -> str:
    return (request.POST.get("reason") or "").strip() or default


@require_POST
def review_apply(request, run_id: int):
    def call(run):
        outcome = services.review_run_apply(
            run,
            typed_count=request.POST.get("typed_count", ""),
            by=request.user,
            reason=_reason(request, f"Review #{run.pk} of dormant accounts"),
        )
        done = f"{outcome['deleted']:,} deleted and {outcome['deactivated']:,} deactivated"
        kept = outcome["kept_admin"]
        if kept == 1:
            done += "; 1 account with admin rights was left as it is"
        elif kept:
            done += f"; {kept:,} accounts with admin rights were left as they are"
        return done

    return _act(request, run_id, call, "Review applied: {result}.")


@require_POST
def review_decide(request, run_id: int):
    decision = request.POST.get("decision")
    everyone = request.POST.get("everyone") == "1"
    ids = None if everyone else [int(i) for i in request.POST.getlist("user") if i.isdigit()]

    def call(run):
        if ids == []:
            raise DomainError("Tick the people to keep or deactivate, or choose everyone.")
        return services.review_candidates_decide(
            run,
            decision=decision,
            user_ids=ids,
            by=request.user,
            reason=_reason(request, f"Review #{run.pk} of dormant accounts"),
        )

    verb = "Kept" if decision == ReviewAction.KEEP else "Deactivated"
    return _act(request, run_id, call, verb + " {result:,} people.")


@require_POST
def review_attest(request, run_id: int):
    def call(run):
        return services.review_run_attest(
            run, by=request.user, reason=_reason(request, "Review done and attested")
        )

    return _act(request, run_id, call, "Thank you: the review is recorded as done.")


def review_urls() -> list:
    """Mounted at admin/users/review/ by lms_admin/urls.py; the CSV download beside them
    (`users_review_download`) is reports' (every download is written there)."""
    wrap = admin.site.admin_view
    return [
        path("", wrap(review_index), name="users_review_index"),
        path("start/", wrap(review_start), name="users_review_start"),
        path("<int:run_id>/", wrap(review_run), name="users_review_run"),
        path("<int:run_id>/apply/", wrap(review_apply), name="users_review_apply"),
        path("<int:run_id>/decide/", wrap(review_decide), name="users_review_decide"),
        path("<int:run_id>/attest/", wrap(review_attest), name="users_review_attest"),
    ]
