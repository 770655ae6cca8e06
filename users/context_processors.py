from django.contrib import admin


def site_names(request):
    """The admin's names on the pages outside the admin (sign-in, new password, learner)."""
    return {"site_header": admin.site.site_header, "site_title": admin.site.site_title}
