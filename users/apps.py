from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = "Users and organisations"

    def ready(self):
        from users import folding, lookups, signals  # noqa: F401
