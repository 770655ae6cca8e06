"""What every app shares, once, below the apps: it imports no app.

- admin: the scoped admin base (`ScopedAdmin`): scoped lists, choices and object pages;
- scoping: roles and `for_user`, the one place where a person's view is narrowed;
- history: history rows, one at a time or set-based for bulk work, and the body of a plain
  `<entity>_update` service (`update_with_history`);
- stale: the one stale-edit check (`refuse_stale_edit`, `StaleEdit`, `edit_version`);
- bulk: set-based writing (COPY on PostgreSQL);
- lookups: `__any_of`, a long id list as one array parameter;
- counting: capped counts ("10,000+") and the capped admin paginator;
- errors: `DomainError` (a refusal with a plain message) and `NotPermitted`;
- figures: the interface through which the services feed the figures ledger.
"""
