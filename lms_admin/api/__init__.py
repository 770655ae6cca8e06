"""The REST API, in Canvas's shapes, in one place: the faces over every app's services and
selectors.

- urls: every route under /api/v1/;
- base: what every view shares (Canvas's errors, parameters, `Link` pagination, tokens,
  permissions) — the Canvas API base view;
- users, user_serializers: accounts (our organisations) and users;
- enrollments, enrollment_serializers: courses, sections and enrolments;
- reports: the Archived report.
"""
