"""The merge pages: the duplicate finder (/admin/users/duplicates/), the merge preview
(everything that moves, every conflict and its winner; choose the primary, confirm), and a
merge's page with its undo and the item-by-item report of what was given back.

Mounted by lms_admin/urls.py under /admin/users/ (see `merge_urls`), wrapped in the admin
site's login and staff checks. Power users see and merge people of their organisation only.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from lms_admin.plumbing.errors import DomainError
from lms_admin.plumbing.scoping import MANAGER, role_of
from users import selectors, services
from users.models import MergeJournalKind


def _render(request, template, context):
    context = {**admin.site.each_context(request), **context}
    return TemplateResponse(request, f"admin/users/merge/{template}", context)


def _require_change(request):
    if role_of(request.user) == MANAGER or not request.user.has_perm("users.change_user"):
        raise PermissionDenied("Only training admins and power users can merge accounts.")


def _ids(text: str) -> list[int]:
    return [int(part) for part in (text or "").split(",") if part.strip().isdigit()]


def duplicates(request):
    """Likely duplicates, one reason per tab, a page at a time."""
    _require_change(request)
    reason = request.GET.get("reason", "email")
    after = request.GET.get("after", "")
    groups, following = selectors.duplicate_groups(request.user, reason=reason, after=after)
    return _render(
        request,
        "duplicates.html",
        {
            "title": "Duplicate accounts",
            "reasons": selectors.REASONS,
            "reason": reason if reason in selectors.REASONS else "email",
            "groups": groups,
            "following": following,
        },
    )


def preview(request):
    """What a merge of the chosen people would do; the primary is chosen here."""
    _require_change(request)
    ids = _ids(request.POST.get("ids") or request.GET.get("ids"))
    people = list(selectors.visible_merge_candidates(request.user, ids))
    if len(people) != len(set(ids)) or len(people) < 2:
        raise Http404("Some of these people do not exist or are out of your reach.")
    chosen = request.POST.get("primary") or request.GET.get("primary") or people[0].pk
    primary = next((person for person in people if str(person.pk) == str(chosen)), people[0])
    others = [person for person in people if person.pk != primary.pk]
    plan, refusal = None, None
    try:
        plan = services.merge_plan(primary=primary, others=others, by=request.user)
    except DomainError as error:
        refusal = error.message
    if request.method == "POST" and plan is not None:
        reason = (request.POST.get("reason") or "").strip()
        try:
            merge = services.users_merge(
                primary=primary,
                others=others,
                by=request.user,
                reason=reason,
                keep_sign_in_names=request.POST.get("keep_sign_in_names") == "on",
            )
        except DomainError as error:
            refusal = error.message
        else:
            messages.success(
                request,
                f"Merged {', '.join(o.username for o in others)} into {primary.username}. "
                "You can undo this merge at any time on this page.",
            )
            return redirect(reverse("merge_detail", args=[merge.pk]))
    return _render(
        request,
        "preview.html",
        {
            "title": "Merge accounts",
            "people": people,
            "primary": primary,
            "others": others,
            "plan": plan,
            "moves": [
                (other.username, what, count)
                for other in others
                for what, count in (plan.moving[other.pk].items() if plan else [])
            ],
            "refusal": refusal,
            "ids": ",".join(str(person.pk) for person in people),
            "reason": request.POST.get("reason", ""),
        },
    )


def merge_detail(request, merge_id):
    """A merge: who went into whom, what moved; undo it (POST) and see the report."""
    _require_change(request)
    merge = selectors.merges_visible(request.user).filter(pk=merge_id).first()
    if merge is None:
        raise Http404("No such merge, or it is out of your reach.")
    report, refusal = None, None
    if request.method == "POST":
        try:
            report = services.merge_undo(
                merge, by=request.user, reason=(request.POST.get("reason") or "").strip()
            )
        except DomainError as error:
            refusal = error.message
        else:
            merge.refresh_from_db()
            messages.success(request, "The merge was undone. Each account has its records back.")
    journal = merge.journal.values("kind").order_by("kind")
    counts = {}
    for row in journal:
        counts[row["kind"]] = counts.get(row["kind"], 0) + 1
    return _render(
        request,
        "merge.html",
        {
            "title": f"Merge into {merge.primary.username}",
            "merge": merge,
            "accounts": merge.accounts.select_related("user"),
            "counts": {MergeJournalKind(kind).label: n for kind, n in counts.items()},
            "report": report,
            "refusal": refusal,
        },
    )


def merge_urls():
    """The pages, for lms_admin/urls.py to mount under /admin/users/."""
    wrap = admin.site.admin_view
    return [
        path("duplicates/", wrap(duplicates), name="merge_duplicates"),
        path("duplicates/preview/", wrap(preview), name="merge_preview"),
        path("merges/<int:merge_id>/", wrap(merge_detail), name="merge_detail"),
    ]
