"""The one door (DESIGN rule 1): only services write a model that keeps history.

Every module of the project (not migrations, tests or the bench tooling) is read as a
syntax tree. A write is a call of `.save(`, `.update(`, `.delete(`, `bulk_create`,
`bulk_update`, `_raw_delete`, `.create(`, `get_or_create` or `update_or_create`, or an
assignment to `_history_user`. Outside a services package (or an app's `services.py`) a
write is allowed only when it plainly writes a model without history
(`ImportRow.objects.filter(...).delete()`), or when ALLOWED names it with the reason it is
not a write of a history-tracked model (a dict's update, a form that is not a model
form...). Anything else fails the test, naming the file, line and function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("users", "enrollments", "reports", "imports", "lms_admin")
WRITE_METHODS = {
    "save",
    "update",
    "delete",
    "bulk_create",
    "bulk_update",
    "_raw_delete",
    "create",
    "get_or_create",
    "update_or_create",
}

# (module path, enclosing function, method) -> why it is not a write of a model with history.
HELPER = "the history helper the services call"
DICT = "a dict's or set's update, not a model's"
UNTRACKED = "a model without history"
ALLOWED = {
    ("lms_admin/plumbing/history.py", "save_with_history", "_history_user"): HELPER,
    ("lms_admin/plumbing/history.py", "save_with_history", "save"): HELPER,
    ("lms_admin/plumbing/history.py", "create_with_history", "_history_user"): HELPER,
    ("lms_admin/plumbing/history.py", "create_with_history", "save"): HELPER,
    ("lms_admin/plumbing/history.py", "delete_with_history", "_history_user"): HELPER,
    ("lms_admin/plumbing/history.py", "delete_with_history", "delete"): HELPER,
    ("users/models.py", "UserManager.create_user", "save"): (
        "Django's own door (createsuperuser, test fixtures); people are created by user_create"
    ),
    ("imports/models.py", "StatusWord.save", "save"): "the model's save, deriving `normalised`",
    ("users/signals.py", "record_last_login", "update"): "last_login, which history leaves out",
    ("users/tokens.py", "token_authenticate", "update"): "last_used_at, which history leaves out",
    ("users/views.py", "choose_password", "save"): "ChoosePasswordForm.save calls a service",
    ("users/admin/tokens.py", "AccessTokenAdmin.save_model", "update"): DICT,
    ("users/selectors/accounts.py", "root_ids", "update"): DICT,
    ("enrollments/filters.py", "states_for", "update"): DICT,
    ("reports/exports.py", "export_response.finished", "save"): UNTRACKED + " (ExportRecord)",
    ("reports/selectors/changes.py", "_related_names", "update"): DICT,
    ("reports/selectors/period.py", "_by_course", "update"): DICT,
    ("reports/views/base.py", "ReportView.query_string", "update"): DICT,
    ("reports/views/base.py", "ReportView.get", "update"): DICT,
    ("reports/views/base.py", "ReportView.page_context", "update"): DICT,
    ("reports/views/pages.py", "HistoryView.report_context", "update"): DICT,
    ("imports/engine.py", "planned", "update"): DICT,
    ("imports/engine.py", "apply", "update"): DICT + " (a Counter)",
    ("imports/engine.py", "one_pass", "update"): DICT + " (a Counter)",
    ("imports/engine.py", "one_pass", "save"): UNTRACKED + " (ImportJob)",
    ("imports/engine.py", "_add_late_errors", "save"): UNTRACKED + " (ImportRow)",
    ("imports/engine.py", "check", "save"): UNTRACKED + " (ImportJob)",
    ("imports/engine.py", "_done", "save"): UNTRACKED + " (ImportJob)",
    ("imports/kinds/users.py", "UsersKind._lookup", "update"): DICT,
    ("imports/reading.py", "read_json", "update"): DICT,
    ("imports/status_words.py", "meanings", "update"): DICT,
    ("lms_admin/api/base.py", "Params.__init__", "update"): DICT,
    ("lms_admin/plumbing/counting.py", "capped_counts", "update"): DICT,
    ("lms_admin/settings.py", "<module>", "update"): DICT,
    ("enrollments/certificate_pdf.py", "certificate_pdf", "save"): "reportlab's canvas",
    ("enrollments/models.py", "SeatCreditEntry.save", "save"): (
        "the model's own save, refusing to change an append-only ledger row"
    ),
    ("imports/management/commands/import_data.py", "Command.handle", "save"): (
        UNTRACKED + " (ImportJob)"
    ),
    ("imports/sis_restore.py", "_end", "update"): UNTRACKED + " (ImportJob, Progress)",
    ("imports/sis_services.py", "sis_import_abort", "save"): UNTRACKED + " (ImportJob)",
    ("imports/sis_services.py", "sis_import_restore_states", "save"): UNTRACKED + " (ImportJob)",
    ("lms_admin/api/sis_imports.py", "SisImportSerializer.get_data", "update"): DICT,
    ("lms_admin/plumbing/erasure.py", "scrub_rows", "update"): DICT,
    ("lms_admin/plumbing/erasure.py", "scrub_rows", "bulk_update"): (
        "erasure's scrubbing, called only by the erasure services: a history row here would "
        "copy what is being erased"
    ),
}


def history_models() -> set[str]:
    """Class names of the project's models that keep history (simple-history)."""
    return {
        model.__name__
        for model in apps.get_models()
        if hasattr(model, "history") and model.__module__.split(".")[0] in SCANNED
    }


def all_model_names() -> set[str]:
    return {model.__name__ for model in apps.get_models()}


def is_service_module(relative: str) -> bool:
    parts = Path(relative).parts
    return "services" in parts[:-1] or parts[-1] == "services.py"


def scanned_modules():
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "migrations" in path.parts or is_service_module(relative):
                continue
            yield relative, path.read_text()


def receiver_root(node: ast.AST) -> str | None:
    """The name a call chain starts from: `Model` in `Model.objects.filter(...).update()`."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        elif isinstance(node, ast.Name):
            return node.id
        else:
            return None


class WriteFinder(ast.NodeVisitor):
    def __init__(self, relative: str, *, tracked: set[str], untracked: set[str]):
        self.relative = relative
        self.tracked = tracked
        self.untracked = untracked
        self.scope: list[str] = []
        self.found: list[tuple[int, str, str]] = []

    def _enter(self, node):
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _enter

    def _function(self) -> str:
        return ".".join(self.scope) or "<module>"

    def _report(self, node, method: str):
        self.found.append((node.lineno, self._function(), method))

    def visit_Call(self, node: ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in WRITE_METHODS:
            root = receiver_root(func.value)
            plainly_untracked = root in self.untracked and root not in self.tracked
            if not plainly_untracked:
                self._report(node, func.attr)
        self.generic_visit(node)

    def _assigned(self, targets):
        for target in targets:
            if isinstance(target, ast.Attribute) and target.attr == "_history_user":
                self._report(target, "_history_user")

    def visit_Assign(self, node: ast.Assign):
        self._assigned(node.targets)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign):
        self._assigned([node.target])
        self.generic_visit(node)


def side_doors(relative: str, source: str) -> list[str]:
    """Writes in `source` that are neither plainly untracked nor allowed, as messages."""
    tracked = history_models()
    finder = WriteFinder(relative, tracked=tracked, untracked=all_model_names() - tracked)
    finder.visit(ast.parse(source, filename=relative))
    return [
        f"{relative}:{line} in {function}: .{method}"
        for line, function, method in finder.found
        if (relative, function, method) not in ALLOWED
    ]


def test_only_services_write_models_that_keep_history(db):
    found = [
        door for relative, source in scanned_modules() for door in side_doors(relative, source)
    ]
    assert not found, "Writes outside the services (use a service):\n" + "\n".join(found)


def test_every_allowance_is_still_needed(db):
    """An allowance for a write that no longer exists would hide the next one."""
    found = set()
    tracked = history_models()
    for relative, source in scanned_modules():
        finder = WriteFinder(relative, tracked=tracked, untracked=all_model_names() - tracked)
        finder.visit(ast.parse(source, filename=relative))
        found.update((relative, function, method) for _, function, method in finder.found)
    assert set(ALLOWED) <= found, sorted(set(ALLOWED) - found)


BAD_SNIPPETS = {
    "an admin saving a model": """
class OrganisationAdmin:
    def save_model(self, request, obj, form, change):
        obj._history_user = request.user
        super().save_model(request, obj, form, change)
        obj.save()
""",
    "a queryset update of a tracked model": """
def deactivate(ids):
    User.objects.filter(id__in=ids).update(status="inactive")
""",
    "a bulk create of a tracked model": """
def enrol(rows):
    Enrollment.objects.bulk_create(rows)
""",
    "a delete through a variable": """
def remove(token):
    token.delete()
""",
}


@pytest.mark.parametrize("snippet", BAD_SNIPPETS.values(), ids=BAD_SNIPPETS.keys())
def test_the_scan_finds_a_side_door(db, snippet):
    assert side_doors("users/admin/example.py", snippet)


def test_the_scan_lets_untracked_models_and_services_through(db):
    untracked = """
def forget(job):
    ImportRow.objects.filter(job=job).delete()
"""
    assert side_doors("imports/engine.py", untracked) == []
    assert is_service_module("users/services/lifecycle.py")
    assert is_service_module("imports/services.py")
    assert not is_service_module("users/admin/users.py")
