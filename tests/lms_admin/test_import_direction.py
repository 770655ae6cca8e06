"""Dependencies point one way (DESIGN rule 9), read from every module's imports.

Layers, bottom to top: lms_admin.plumbing (shared plumbing, imports no app); the apps'
models; their services and selectors; their faces (admin, API, views, commands, tasks,
template tags); lms_admin itself (settings, URLs, the API router), which nothing imports.
`bench` (demo and scale data, benchmarks) is tooling: it may import anything, and nothing
imports it. The figures ledger is fed through lms_admin.plumbing.figures, so no users or
enrollments module imports report code.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("users", "enrollments", "reports", "imports")
PROJECT = (*APPS, "lms_admin", "bench")
FACES = ("admin", "api", "views", "management", "tasks", "templatetags", "urls", "forms")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules():
    for top in PROJECT:
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            yield module_name(path), path


def imports_of(name: str, path: Path) -> set[str]:
    """Every project module that `name` imports, at any depth of its code."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            # `from users import services` names a module, not only a package
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {module for module in found if module.split(".")[0] in PROJECT}


GRAPH = {name: imports_of(name, path) for name, path in project_modules()}
KNOWN = set(GRAPH)
EDGES = sorted(
    (source, target) for source, targets in GRAPH.items() for target in targets if target in KNOWN
)


def is_plumbing(module: str) -> bool:
    return module == "lms_admin.plumbing" or module.startswith("lms_admin.plumbing.")


def app_of(module: str) -> str:
    return module.split(".")[0]


def is_face(module: str) -> bool:
    parts = module.split(".")
    return len(parts) > 1 and parts[1] in FACES


def layer_violations():
    for source, target in EDGES:
        if source == target:
            continue
        source_app, target_app = app_of(source), app_of(target)
        if target_app == "lms_admin" and source_app != "lms_admin" and not is_plumbing(target):
            yield source, target, "nothing imports lms_admin but Django (its plumbing aside)"
        if is_plumbing(source) and not is_plumbing(target):
            yield source, target, "the plumbing imports no app"
        if target_app == "bench" and source_app != "bench":
            yield source, target, "no app imports the benchmarks or the demo data"
        if source_app in APPS and is_face(target) and target_app != source_app:
            yield source, target, "no app imports another app's faces"
        is_model = source.endswith(".models") or ".models." in source
        if is_model and (".services" in target or ".selectors" in target or is_face(target)):
            yield source, target, "models import no services, selectors or faces"
        # A service may enqueue its own app's background tasks: that is a side effect it
        # does on commit, like sending mail; the task then calls services again.
        enqueues = target == f"{source_app}.tasks"
        if (".services" in source or ".selectors" in source) and is_face(target) and not enqueues:
            yield source, target, "services and selectors import no faces"
        if source_app == "enrollments" and target.startswith("users.services"):
            yield source, target, "enrollments never calls users services"
        # Their services, selectors and models feed the figures ledger through the plumbing,
        # never by importing report code; their pages may write files with the reports'
        # one file writer (reports.exports), as every app's pages do.
        if (
            source_app in ("users", "enrollments")
            and not is_face(source)
            and target_app in ("reports", "imports")
        ):
            yield source, target, "users and enrollments import no report or import code"


def test_the_graph_is_read():
    # The checks below mean nothing if the graph came out empty.
    assert ("users.services.lifecycle", "users.models") in EDGES
    assert ("users.admin.users", "lms_admin.plumbing.admin") in EDGES
    assert len(EDGES) > 300


def test_dependencies_point_one_way():
    found = sorted(set(layer_violations()))
    message = "\n".join(f"{source} -> {target}: {why}" for source, target, why in found)
    assert not found, "Imports against the layering:\n" + message


def test_the_checker_catches_a_wrong_import(monkeypatch):
    monkeypatch.setattr(
        "tests.lms_admin.test_import_direction.EDGES",
        [("users.services.lifecycle", "reports.ledger_write"), ("users.models", "users.admin")],
    )
    reasons = {why for _, _, why in layer_violations()}
    assert "users and enrollments import no report or import code" in reasons
    assert "models import no services, selectors or faces" in reasons
