"""Every non-trivial read of organisations and users, narrowed to what the viewer may see.

- accounts: ids (Canvas's `sis_user_id:` forms), users and accounts as the API reads them,
  a person's history entries;
- duplicates: likely duplicate accounts (the finder) and merges that can be undone;
- card: what the user card shows (status timeline, training history, field changes) and
  who has activity (never deletable from a review).
"""

from users.selectors.accounts import (  # noqa: F401
    ACCOUNT_ID_KINDS,
    HISTORY_SOURCES,
    MAX_ID,
    USER_ID_KINDS,
    HistoryEntry,
    HistorySource,
    account_get,
    account_users,
    accounts_administered,
    get_or_404,
    id_lookup,
    root_ids,
    sub_accounts,
    user_get,
    user_history,
    user_history_entries,
    user_lookup,
    visible_users,
)
from users.selectors.duplicates import (  # noqa: F401, E402
    REASONS,
    DuplicateGroup,
    duplicate_groups,
    merges_to_split,
    merges_visible,
    visible_merge_candidates,
)
from users.selectors.sign_in_events import (  # noqa: F401, E402
    authentication_events_of_account,
    authentication_events_of_user,
    recent_sign_in_events,
)
