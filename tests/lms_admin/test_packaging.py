"""pyproject.toml packages every app of the project, with its migrations, templates and
static files, so that a non-editable `pip install .` runs the whole admin (the imports app
was once left out)."""

import fnmatch
import tomllib
from pathlib import Path

from django.apps import apps
from setuptools import find_namespace_packages

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def packaged() -> set[str]:
    include = CONFIG["packages"]["find"]["include"]
    return set(find_namespace_packages(where=str(ROOT), include=include))


def project_apps():
    for config in apps.get_app_configs():
        if Path(config.path).resolve().parent == ROOT:
            yield config


def test_every_app_with_models_is_packaged_with_its_migrations():
    found = packaged()
    with_models = [config for config in project_apps() if config.models_module is not None]
    assert {config.name for config in with_models} >= {"users", "enrollments", "imports"}
    for config in with_models:
        assert config.name in found, f"{config.name} is missing from pyproject's packages"
        assert f"{config.name}.migrations" in found


def test_every_template_and_static_file_is_package_data():
    found = packaged()
    patterns = CONFIG["package-data"]["*"]
    data = [*ROOT.glob("templates/**/*"), *ROOT.glob("*/static/**/*")]
    data += [*ROOT.glob("*/templates/**/*")]
    files = [path for path in data if path.is_file()]
    assert files
    for path in files:
        package = ".".join(path.parent.relative_to(ROOT).parts)
        assert package in found, f"{path.relative_to(ROOT)} is in no package"
        assert any(fnmatch.fnmatch(path.name, pattern) for pattern in patterns), path
