"""Write a run's reports: the JSON record, the post-mortem draft (drills/postmortem.py), the
JUnit XML and a self-contained HTML page (drills/html_report.py).

The post-mortem folds and escapes every value it is given (see drills/postmortem.py); scenario
files are also refused at load time when a one-line field holds a line break (drills/scenario.py),
so the author hears of it; folding covers every other source (step details, AWS error messages,
reasons). The HTML page escapes every value for HTML and runs no script.

Secrets are redacted from the journal's own strings before anything is rendered, so escaping or
folding can never turn a secret into a variant the final scan would miss.
"""

from __future__ import annotations

import copy
import dataclasses
import errno
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

from .exceptions import DrillError
from .files import write_atomically
from .html_report import render_html
from .journal import CHECK_FAILED, CHECK_PASSED, RUN_FAILED, CheckRecord, Journal
from .junit import render_junit
from .postmortem import render_postmortem
from .redaction import REDACTED, Redactor
from .scenario import Scenario

SECRET_CHECK = "no secret value in the report, post-mortem or output"


def check_report_dir(path: Path) -> None:
    """Raise DrillError unless reports can be written into ``path`` (created if missing).

    Called before a target is opened, so a bad ``--report-dir`` is refused before anything is
    injected rather than after the drill. Permission bits do not stop root, so the last word is
    a real write: a temporary file created and removed in the folder.
    """
    if path.exists() and not path.is_dir():
        raise DrillError(f"report folder {path} is a file; give --report-dir a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        if not os.access(path, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, "permission denied")
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-"):
            pass
    except OSError as error:
        reason = error.strerror or str(error)
        raise DrillError(
            f"report folder {path} is not writable ({reason}); give --report-dir a folder you can write to"
        ) from None


def write_reports(journal: Journal, scenario: Scenario, report_dir: Path, redactor: Redactor) -> list[Path]:
    """Write every report with every known secret redacted; a redaction fails the drill."""
    _record_secret_check(journal, scenario, redactor)
    report_dir.mkdir(parents=True, exist_ok=True)
    json_path = report_dir / f"{journal.scenario}.json"
    md_path = report_dir / f"{journal.scenario}-postmortem.md"
    junit_path = report_dir / f"{journal.scenario}.junit.xml"
    html_path = report_dir / f"{journal.scenario}.html"
    safe_journal, safe_scenario = _redacted(journal, redactor), _redacted(scenario, redactor)
    texts = _render(safe_journal, safe_scenario)
    write_atomically(json_path, redactor.redact(texts[0], "report"))
    write_atomically(md_path, redactor.redact(texts[1], "post-mortem"))
    write_atomically(junit_path, redactor.redact(render_junit(safe_journal), "junit report"))
    write_atomically(html_path, redactor.redact(texts[2], "html report"))
    return [json_path, md_path, junit_path, html_path]


def _render(journal: Journal, scenario: Scenario) -> tuple[str, str, str]:
    return (
        json.dumps(journal.to_dict(), indent=2, default=str) + "\n",
        render_postmortem(journal, scenario),
        render_html(journal, scenario),
    )


def _strings(value: Any) -> Iterator[str]:
    """Every string in a journal: dataclass fields, mapping keys and values, items."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            yield from _strings(getattr(value, item.name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _strings(item)


def _redacted(value: Any, redactor: Redactor, replacement: str = REDACTED) -> Any:
    """A copy of ``value`` (a journal, a scenario) with every known secret replaced by
    ``replacement`` in every string it holds; ``redactor.hits`` is left as it was."""
    hits = len(redactor.hits)
    try:
        return _replaced(value, redactor, replacement)
    finally:
        del redactor.hits[hits:]


def _replaced(value: Any, redactor: Redactor, replacement: str) -> Any:
    if isinstance(value, str):
        if not redactor.contains_secret(value):
            return value
        # Split at earlier redactions, so only the secrets found now become ``replacement``.
        return REDACTED.join(
            redactor.redact(piece, "").replace(REDACTED, replacement) for piece in value.split(REDACTED)
        )
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        clone = copy.copy(value)
        for item in dataclasses.fields(value):
            object.__setattr__(clone, item.name, _replaced(getattr(value, item.name), redactor, replacement))
        return clone
    if isinstance(value, dict):
        return {
            _replaced(k, redactor, replacement): _replaced(v, redactor, replacement) for k, v in value.items()
        }
    if type(value) in (list, tuple):
        return type(value)(_replaced(item, redactor, replacement) for item in value)
    return value


def _record_secret_check(journal: Journal, scenario: Scenario, redactor: Redactor) -> None:
    places = set(redactor.hits)
    for text, where in zip(_render(journal, scenario), ("report", "post-mortem", "html report")):
        if redactor.contains_secret(text):
            places.add(where)
    # Rendering escapes characters (JSON quotes, Markdown pipes and HTML), which can hide a
    # secret from a scan of the rendered text. The JSON report holds every string of the
    # journal; the post-mortem and the HTML page are rendered again with each secret replaced by
    # a marker that no escaping changes, and hold a secret if the marker shows.
    if any(redactor.contains_secret(text) for text in _strings(journal)):
        places.add("report")
    marker = f"SECRETMARKER{os.urandom(8).hex()}"
    marked = _render(_redacted(journal, redactor, marker), _redacted(scenario, redactor, marker))
    for text, where in zip(marked[1:], ("post-mortem", "html report")):
        if marker in text:
            places.add(where)
    places = sorted(places)
    if places:
        detail = f"a secret value appeared in: {', '.join(places)} (redacted in the files)"
        journal.checks.append(CheckRecord(SECRET_CHECK, "report", CHECK_FAILED, detail))
        journal.status, journal.reason = RUN_FAILED, f"secret leaked: {detail}"
    elif redactor.known:
        journal.checks.append(
            CheckRecord(
                SECRET_CHECK,
                "report",
                CHECK_PASSED,
                f"scanned for {redactor.known} secret values: none found",
            )
        )
