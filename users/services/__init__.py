"""The one door for every change to organisations, users and segments.

`from users import services` then `services.user_deactivate(user, by=..., reason=...)`.
The functions live in modules by subject; this package exposes them all.
"""

from users.services.accounts import (
    MailOutcome,
    organisation_create,
    user_consume_temporary_password,
    user_create,
    user_set_password,
    user_set_roles,
    user_update,
    users_email,
)
from users.services.common import (
    PROFILE_FIELDS,
    BulkOutcome,
    Credentials,
    mask_email,
    password_reset_url,
    send_password_reset_link,
)
from users.services.import_plan import (
    IMPORTABLE_FIELDS,
    ImportOutcome,
    segments_apply_import,
    users_apply_import,
    users_clear_deletion_mark,
    users_mark_for_deletion,
)
from users.services.lifecycle import (
    REVERT_STATUS,
    user_deactivate,
    user_delete,
    user_reactivate,
    user_reset_password,
    user_revert_change,
    user_undelete,
    users_deactivate,
    users_delete,
    users_reactivate,
    users_undelete,
)
from users.services.logins import LOGIN_STATES, login_state, user_login_update
from users.services.reviews import (
    review_candidates_decide,
    review_notice_send,
    review_policy_save,
    review_run_apply,
    review_run_attest,
    review_run_expire,
    review_run_record_download,
    review_run_remind,
    review_run_schedule,
    review_run_start,
    review_runs_tick,
)
from users.services.segments import (
    segment_add_members,
    segment_create,
    segment_membership_delete,
    segment_remove_members,
)
from users.services.sign_in import user_record_sign_in_lock, user_unlock_sign_in
from users.services.sign_in_events import (
    authentication_event_record,
    authentication_events_purge,
    user_end_sessions,
)

__all__ = [
    "review_candidates_decide",
    "review_notice_send",
    "review_policy_save",
    "review_run_apply",
    "review_run_attest",
    "review_run_expire",
    "review_run_record_download",
    "review_run_remind",
    "review_run_schedule",
    "review_run_start",
    "review_runs_tick",
    "LOGIN_STATES",
    "login_state",
    "user_login_update",
    "authentication_event_record",
    "authentication_events_purge",
    "user_end_sessions",
    "user_record_sign_in_lock",
    "user_unlock_sign_in",
    "IMPORTABLE_FIELDS",
    "ImportOutcome",
    "segments_apply_import",
    "users_apply_import",
    "users_clear_deletion_mark",
    "users_mark_for_deletion",
    "PROFILE_FIELDS",
    "REVERT_STATUS",
    "BulkOutcome",
    "Credentials",
    "MailOutcome",
    "mask_email",
    "organisation_create",
    "password_reset_url",
    "segment_add_members",
    "segment_create",
    "segment_membership_delete",
    "segment_remove_members",
    "send_password_reset_link",
    "user_consume_temporary_password",
    "user_create",
    "user_deactivate",
    "user_delete",
    "user_reactivate",
    "user_reset_password",
    "user_revert_change",
    "user_set_password",
    "user_set_roles",
    "user_undelete",
    "user_update",
    "users_deactivate",
    "users_delete",
    "users_email",
    "users_reactivate",
    "users_undelete",
]
