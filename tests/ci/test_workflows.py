"""The GitHub workflows and the LocalStack compose file say what the project relies on.

GitHub Actions and Docker cannot run here, so these check the files' structure: triggers, the
commands each job runs and in which order, the secret, the artifacts, the mounts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from stack_config import load_platform

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
HOOK_DIR = "/etc/localstack/init/ready.d"
# EventBridge numbers days 1 (SUN) to 7; cron in GitHub Actions 0 (SUN) to 6.
DAYS = {"SUN": "0", "MON": "1", "TUE": "2", "WED": "3", "THU": "4", "FRI": "5", "SAT": "6"}


def workflow(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    # YAML 1.1 reads the bare key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def steps(data: dict[str, Any]) -> list[dict[str, Any]]:
    [job] = data["jobs"].values()
    return job["steps"]


def index_of(all_steps: list[dict[str, Any]], needle: str) -> int:
    found = [i for i, s in enumerate(all_steps) if needle in str(s.get("run", "")) + str(s.get("uses", ""))]
    assert len(found) == 1, f"expected one step with {needle!r}, found {len(found)}"
    return found[0]


def github_cron(eventbridge: str) -> str:
    """``cron(30 5 ? * WED *)`` as GitHub Actions writes it; only the simple forms we use."""
    minute, hour, day, month, weekday, year = re.fullmatch(r"cron\((.+)\)", eventbridge).group(1).split()
    assert year == "*"
    return " ".join(
        [
            minute,
            hour,
            "*" if day == "?" else day,
            month,
            "*" if weekday == "?" else DAYS.get(weekday, weekday),
        ]
    )


def test_ci_tests_then_drills_on_every_push_and_keeps_the_reports() -> None:
    data = workflow("ci.yml")
    assert {"push", "pull_request"} <= set(data["on"])
    [job] = data["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest"
    all_steps = steps(data)
    python = all_steps[index_of(all_steps, "actions/setup-python")]
    assert python["with"]["python-version"] == "3.11"
    assert (
        index_of(all_steps, "actions/checkout")
        < index_of(all_steps, "make test")
        < index_of(all_steps, "make drill")
    )
    upload = all_steps[index_of(all_steps, "actions/upload-artifact")]
    assert (upload["if"], upload["with"]["path"]) == ("always()", "reports/")


def test_game_day_runs_on_schedule_and_on_demand_against_seeded_localstack() -> None:
    data = workflow("gameday.yml")
    assert set(data["on"]) == {"schedule", "workflow_dispatch"}
    [job] = data["jobs"].values()
    assert job["env"]["LOCALSTACK_AUTH_TOKEN"] == "${{ secrets.LOCALSTACK_AUTH_TOKEN }}"
    all_steps = steps(data)
    up = index_of(all_steps, "docker compose -f localstack/compose.yaml up -d")
    wait = index_of(all_steps, "localstack/wait_ready.py")
    drills = index_of(all_steps, "-m drills run")
    assert up < wait < drills
    command = all_steps[drills]["run"]
    assert "--target localstack" in command and '--stack "$GAMEDAY_STACK"' in command
    assert job["env"]["GAMEDAY_STACK"] == "staging"
    upload = all_steps[index_of(all_steps, "actions/upload-artifact")]
    assert (upload["if"], upload["with"]["path"]) == ("always()", "reports/")
    down = all_steps[index_of(all_steps, "compose.yaml down")]
    assert down["if"].startswith("always()") and down is all_steps[-1]


def test_the_game_day_workflow_runs_when_staging_announces_it() -> None:
    [schedule] = workflow("gameday.yml")["on"]["schedule"]
    staging = load_platform("staging").game_day
    assert staging.enabled
    assert schedule["cron"] == github_cron(staging.schedule)


def test_localstack_compose_pins_the_image_and_mounts_the_hook_and_the_checkout() -> None:
    compose = yaml.safe_load((ROOT / "localstack" / "compose.yaml").read_text(encoding="utf-8"))
    service = compose["services"]["localstack"]
    image = service["image"]
    assert image.startswith("localstack/localstack") and re.search(r":-?\d{4}\.\d+\.\d+\}$", image), image
    assert service["environment"]["LOCALSTACK_AUTH_TOKEN"].startswith("${LOCALSTACK_AUTH_TOKEN")
    assert "127.0.0.1:4566:4566" in service["ports"]
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in service["volumes"]}
    assert mounts[HOOK_DIR] == "./init/ready.d"
    assert (ROOT / "localstack" / mounts[HOOK_DIR]).is_dir()
    hook = (ROOT / "localstack" / "init" / "ready.d" / "10-seed-platform.sh").read_text(encoding="utf-8")
    project_dir = re.search(r'PROJECT_DIR="\$\{PROJECT_DIR:-(.+?)\}"', hook).group(1)
    assert mounts[project_dir] == ".."  # the checkout, relative to localstack/
