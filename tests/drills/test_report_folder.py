"""The report folder is checked before anything is injected; reports are replaced atomically.

Tests run as root, where permission bits stop nothing: an unwritable folder is made with a path
under a regular file, or by os.access saying no (the check asks it first, then really writes).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from drills.cli import main
from drills.exceptions import DrillError
from drills.report import check_report_dir, write_atomically
from runbook_check.cli import main as runbook_check_main


def test_a_missing_report_folder_is_created(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "reports"
    check_report_dir(folder)
    assert folder.is_dir() and list(folder.iterdir()) == []  # the write check left nothing


def test_a_file_is_refused_as_report_folder(tmp_path: Path) -> None:
    (tmp_path / "reports").write_text("not a folder")
    with pytest.raises(DrillError) as raised:
        check_report_dir(tmp_path / "reports")
    assert str(raised.value) == (
        f"report folder {tmp_path / 'reports'} is a file; give --report-dir a folder"
    )


def test_a_folder_under_a_file_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(DrillError) as raised:
        check_report_dir(tmp_path / "file" / "reports")
    assert str(raised.value) == (
        f"report folder {tmp_path / 'file' / 'reports'} is not writable "
        "(Not a directory); give --report-dir a folder you can write to"
    )


def test_a_folder_the_user_may_not_write_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(DrillError, match=r"is not writable \(permission denied\)"):
        check_report_dir(tmp_path)


def test_a_folder_even_root_cannot_write_into_is_refused() -> None:
    """sysfs takes no new files from anyone, root included: the check's real write finds out."""
    sysfs = Path("/sys")
    assert sysfs.is_dir()
    with pytest.raises(DrillError, match="report folder /sys is not writable"):
        check_report_dir(sysfs)


@pytest.mark.parametrize("command", [["run", "p0-a"], ["run", "all"], ["gameday", "p0-a"]])
def test_a_bad_report_dir_is_refused_before_the_target_opens(
    no_target_may_open, tmp_path: Path, capsys, command
) -> None:
    report_file = tmp_path / "reports"
    report_file.write_text("a file")
    extra = ["--state-dir", str(tmp_path / "state")] if command[0] == "gameday" else []
    assert main([*command, "--report-dir", str(report_file), *extra]) == 2
    assert capsys.readouterr().err == (
        f"error: report folder {report_file} is a file; give --report-dir a folder\n"
    )


def test_the_runbook_check_refuses_a_bad_report_dir_before_running(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setattr("runbook_check.cli.check_runbook", lambda *a, **k: pytest.fail("the runbook ran"))
    monkeypatch.setattr("runbook_check.cli.shutil.which", lambda *a, **k: "/bin/aws")
    report_file = tmp_path / "reports"
    report_file.write_text("a file")
    assert runbook_check_main(["docs/runbook.md", "--report-dir", str(report_file)]) == 2
    assert capsys.readouterr().err.startswith(f"error: report folder {report_file} is a file")


def test_two_runs_writing_one_report_never_collide(tmp_path: Path) -> None:
    """Two writers, many rounds, one name: no error, a whole file, no temporary left behind."""
    path = tmp_path / "p0-a.json"
    texts = {name: name * 50_000 for name in "ab"}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def writer(name: str) -> None:
        start.wait()
        for _ in range(150):
            try:
                write_atomically(path, texts[name])
            except BaseException as error:  # noqa: BLE001 - collected for the assertion
                errors.append(error)

    threads = [threading.Thread(target=writer, args=(name,)) for name in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert path.read_text() in texts.values()
    assert [p.name for p in tmp_path.iterdir()] == ["p0-a.json"]


def test_a_failed_write_leaves_the_old_report_and_no_temporary(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "p0-a.json"
    path.write_text("old")

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        write_atomically(path, "new")
    assert [p.name for p in tmp_path.iterdir()] == ["p0-a.json"] and path.read_text() == "old"


def test_reports_are_readable_by_all(tmp_path: Path) -> None:
    write_atomically(tmp_path / "r.json", "{}")
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o644
