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
from users.services.erasure import (
    ERASED_REASON,
    pseudonym_label,
    user_anonymise,
    users_anonymise,
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
from users.services.purge import organisation_purge
from users.services.retention import RetentionOutcome, retention_policy_save, retention_run
from users.services.segments import (
    segment_add_members,
    segment_create,
    segment_membership_delete,
    segment_remove_members,
)
from users.services.sign_in import user_record_sign_in_lock, user_unlock_sign_in

__all__ = [
    "ERASED_REASON",
    "pseudonym_label",
    "user_anonymise",
    "users_anonymise",
    "organisation_purge",
    "RetentionOutcome",
    "retention_policy_save",
    "retention_run",
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
