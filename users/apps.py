from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = "Users and organisations"

    def ready(self):
        from lms_admin.plumbing import lookups  # noqa: F401
        from users import folding, signals  # noqa: F401
