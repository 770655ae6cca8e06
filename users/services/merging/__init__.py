"""Merging duplicate accounts into the primary one the admin chose, and undoing it.

`merge_plan` says, before anything changes, what moves and who wins each conflict; the
preview page shows it and `users_merge` carries it out. Every moved row is journaled
(MergeJournalEntry: which row, from whom, and, for a conflict's loser, all of it), so
`merge_undo` puts each row back exactly, at any time. Moves are set-based: one UPDATE per
table, with the journal written by INSERT ... SELECT before it.

A conflict: two of the accounts in the same section with the same role. The enrolment that
wins stays (or moves to the primary); the other is set aside: removed from the table, kept
whole in the journal, its certificates moved to the winner. Two memberships of one segment:
the primary's (or the oldest) stays, the other is set aside the same way.

Merged-away accounts become deleted and cannot sign in; their usernames may be kept as
extra sign-in names of the primary (SignInName, read by users.auth).

The package: `plan` (what a merge would do, for the preview), `merge` (doing it), `undo`
(undoing it), and `journal` (how rows are kept, and what erasure must scrub). Every public
name is importable from here and from `users.services`.
"""

from users.services.merging.journal import PERSONAL_DATA_IN_MERGE_JOURNAL, merge_journal_of
from users.services.merging.merge import users_merge
from users.services.merging.plan import (
    STATE_RANK,
    Conflict,
    MergePlan,
    merge_plan,
    merge_refusal,
)
from users.services.merging.undo import UndoItem, UndoReport, merge_undo

__all__ = [
    "PERSONAL_DATA_IN_MERGE_JOURNAL",
    "STATE_RANK",
    "Conflict",
    "MergePlan",
    "UndoItem",
    "UndoReport",
    "merge_journal_of",
    "merge_plan",
    "merge_refusal",
    "merge_undo",
    "users_merge",
]
