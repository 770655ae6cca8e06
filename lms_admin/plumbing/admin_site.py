"""The admin site every page is served by (Django's default site, as `admin.site`).

Its one change to Django's: the navigation's links. Every admin page lists every model the
person may see, with its list and "Add" links, and Django resolves each of those links again
on every request: some forty lookups in the URL configuration per page, which were more
than half of building the navigation. The links never change while the process runs (they
depend only on the URL configuration and the address the site is served under), so each is
resolved once; which models a person sees is still worked out on every request, by the
same permission checks as Django's.
"""

from __future__ import annotations

from functools import lru_cache

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.text import capfirst


@lru_cache(maxsize=1024)
def _admin_link(name: str, app_label: str | None, site: str, prefix: str, urlconf) -> str:
    kwargs = {"app_label": app_label} if app_label else None
    return reverse(f"admin:{name}", kwargs=kwargs, current_app=site, urlconf=urlconf)


def admin_link(name: str, *, site: str, app_label: str | None = None) -> str | None:
    """reverse("admin:<name>") for a link without an object id, resolved once per process
    for each URL configuration and script prefix; None where it does not resolve."""
    try:
        return _admin_link(name, app_label, site, get_script_prefix(), get_urlconf())
    except NoReverseMatch:
        return None


class LifecycleAdminSite(admin.AdminSite):
    site_header = "Learner lifecycle admin"
    site_title = "Learner lifecycle admin"
    index_title = "Training administration"

    def _build_app_dict(self, request, label=None):
        """Django's AdminSite._build_app_dict (5.2), the same dictionary, with the links
        from admin_link."""
        app_dict = {}
        models = {
            model: model_admin
            for model, model_admin in self._registry.items()
            if not label or model._meta.app_label == label
        }
        for model, model_admin in models.items():
            app_label = model._meta.app_label
            has_module_perms = model_admin.has_module_permission(request)
            if not has_module_perms:
                continue
            perms = model_admin.get_model_perms(request)
            if True not in perms.values():
                continue
            info = f"{app_label}_{model._meta.model_name}"
            model_dict = {
                "model": model,
                "name": capfirst(model._meta.verbose_name_plural),
                "object_name": model._meta.object_name,
                "perms": perms,
                "admin_url": None,
                "add_url": None,
            }
            if perms.get("change") or perms.get("view"):
                model_dict["view_only"] = not perms.get("change")
                model_dict["admin_url"] = admin_link(f"{info}_changelist", site=self.name)
            if perms.get("add"):
                model_dict["add_url"] = admin_link(f"{info}_add", site=self.name)
            if app_label in app_dict:
                app_dict[app_label]["models"].append(model_dict)
            else:
                app_dict[app_label] = {
                    "name": apps.get_app_config(app_label).verbose_name,
                    "app_label": app_label,
                    "app_url": admin_link("app_list", site=self.name, app_label=app_label),
                    "has_module_perms": has_module_perms,
                    "models": [model_dict],
                }
        return app_dict


class LifecycleAdminConfig(AdminConfig):
    """django.contrib.admin with LifecycleAdminSite as its default site (INSTALLED_APPS)."""

    default_site = "lms_admin.plumbing.admin_site.LifecycleAdminSite"
