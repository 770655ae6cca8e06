"""users.services.merging is a package of modules under DESIGN's ~500 lines (plan, merge,
undo, journal), and each public name of its modules is importable from the package and
from users.services, as it was when it was one file."""

import importlib
import inspect
import pkgutil
from pathlib import Path

import users.services
import users.services.merging as merging

MODULES = ("journal", "merge", "plan", "undo")
# The names importable from users.services.merging when it was one module.
PUBLIC = {
    "PERSONAL_DATA_IN_MERGE_JOURNAL",
    "STATE_RANK",
    "Conflict",
    "MergePlan",
    "UndoItem",
    "UndoReport",
    "merge_journal_of",
    "merge_plan",
    "merge_refusal",
    "merge_undo",
    "users_merge",
}


def test_merging_is_a_package_of_small_modules():
    assert hasattr(merging, "__path__"), "users.services.merging should be a package"
    found = {module.name for module in pkgutil.iter_modules(merging.__path__)}
    assert found == set(MODULES)
    for name in MODULES:
        lines = len(
            Path(importlib.import_module(f"{merging.__name__}.{name}").__file__)
            .read_text()
            .splitlines()
        )
        assert lines < 500, f"{name}.py has {lines} lines"


def test_every_public_name_is_importable_from_the_package_and_from_users_services():
    for name in MODULES:
        module = importlib.import_module(f"{merging.__name__}.{name}")
        defined = {
            attribute
            for attribute, value in vars(module).items()
            if (inspect.isfunction(value) or inspect.isclass(value))
            and value.__module__ == module.__name__
            and not attribute.startswith("_")
        }
        assert defined <= PUBLIC, f"{name}.py defines {defined - PUBLIC}: export them"
    assert set(merging.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(users.services, name) is getattr(merging, name), name
        assert name in users.services.__all__, name
