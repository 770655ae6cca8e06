"""deploy/systemd: the scheduled jobs run as timers beside lms-web and lms-worker. Each
timer starts its own one-shot service, on a calendar systemd accepts, and that service runs
an existing management command of this project, with arguments its parser accepts, as
lms-web runs: the lms user, /srv/lms, the settings in /etc/lms/env.

Read as files (no systemd needed); `systemd-analyze calendar` checks the calendars where it
is installed.
"""

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
# What the README says cron (now the timers) must run.
SCHEDULED = {"purge_sign_in_events", "run_retention", "run_reviews"}
PYTHON, MANAGE = "/srv/lms/.venv/bin/python", "/srv/lms/manage.py"
TIMERS = sorted(UNITS.glob("*.timer"))


def read_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """{section: {key: [values]}}: systemd's own syntax (keys may repeat; # and ; comment)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{path.name}: {line!r} outside a section"
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def one(unit: dict, section: str, key: str) -> str:
    values = unit.get(section, {}).get(key, [])
    assert len(values) == 1, f"[{section}] {key}= should be set once, is {values}"
    return values[0]


def service_of(timer: Path) -> Path:
    unit = read_unit(timer)
    name = unit.get("Timer", {}).get("Unit", [timer.with_suffix(".service").name])[0]
    return UNITS / name


def command_of(service: Path) -> list[str]:
    """The management command and its arguments that the service's ExecStart runs."""
    words = shlex.split(one(read_unit(service), "Service", "ExecStart"))
    assert words[:2] == [PYTHON, MANAGE], f"{service.name} runs {words[:2]}"
    return words[2:]


def test_every_scheduled_command_has_a_timer():
    scheduled = {command_of(service_of(timer))[0] for timer in TIMERS}
    assert scheduled == SCHEDULED


@pytest.mark.parametrize("timer", TIMERS, ids=lambda path: path.name)
def test_each_timer_starts_a_one_shot_service_running_an_existing_command(timer):
    settings = read_unit(timer)
    assert one(settings, "Install", "WantedBy") == "timers.target"
    assert one(settings, "Timer", "Persistent") == "true"  # a missed run happens at boot
    assert one(settings, "Timer", "OnCalendar")
    service = service_of(timer)
    assert service.exists(), f"{timer.name} starts {service.name}, which is not in deploy/systemd"
    unit = read_unit(service)
    web = read_unit(UNITS / "lms-web.service")
    assert one(unit, "Service", "Type") == "oneshot"
    for key in ("User", "Group", "WorkingDirectory", "EnvironmentFile"):
        assert one(unit, "Service", key) == one(web, "Service", key), key
    assert "Install" not in unit, f"{service.name} is started by its timer, not enabled itself"
    name, *arguments = command_of(service)
    assert get_commands().get(name) not in (None, "django.core"), f"no command {name}"
    command = load_command_class(get_commands()[name], name)
    command.create_parser("manage.py", name).parse_args(arguments)  # exits on a bad option


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
@pytest.mark.parametrize("timer", TIMERS, ids=lambda path: path.name)
def test_each_calendar_is_one_systemd_accepts(timer):
    calendar = one(read_unit(timer), "Timer", "OnCalendar")
    check = subprocess.run(
        ["systemd-analyze", "calendar", calendar], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
