from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = "Users and organisations"

    def ready(self):
        from users import signals  # noqa: F401
