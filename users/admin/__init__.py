"""The admin pages of organisations, users, segments and API tokens, one module per page.

- organisations: the organisations list and page;
- users: the users list and the user card (tabs, row switch, row menu), built from
  changelist (the list's rows and tab counts), filters (the sidebar), bulk (bulk actions with
  their confirmation pages), marks (people marked "to be deleted") and user_pages (one-user
  pages: toggle, reset password, delete, undelete, revert, credentials download);
- segments: segments and their members;
- tokens: API tokens;
- reviews: reviews of dormant accounts (mounted at admin/users/review/ by lms_admin/urls.py)
  and review_policies: each organisation's review policy.
- erasure: erase one person, purge an organisation's people, retention policies.

Every model is registered here, in one place, so nothing depends on an import's side effect.
"""

from django.contrib import admin

from users.admin.erasure import RetentionPolicyAdmin
from users.admin.organisations import OrganisationAdmin
from users.admin.review_policies import ReviewPolicyAdmin
from users.admin.segments import SegmentAdmin, SegmentMembershipAdmin
from users.admin.tokens import AccessTokenAdmin
from users.admin.users import UserAdmin
from users.models import (
    AccessToken,
    Organisation,
    RetentionPolicy,
    ReviewPolicy,
    Segment,
    SegmentMembership,
    User,
)

admin.site.register(Organisation, OrganisationAdmin)
admin.site.register(User, UserAdmin)
admin.site.register(Segment, SegmentAdmin)
admin.site.register(SegmentMembership, SegmentMembershipAdmin)
admin.site.register(AccessToken, AccessTokenAdmin)
admin.site.register(ReviewPolicy, ReviewPolicyAdmin)
admin.site.register(RetentionPolicy, RetentionPolicyAdmin)
