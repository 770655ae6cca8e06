from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self):
        from lms_admin.plumbing import figures
        from reports import ledger_write, signals  # noqa: F401

        figures.install(ledger_write)
