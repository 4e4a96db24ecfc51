"""The HTML report (issue 14): one self-contained page per run, the timeline as an inline SVG
chart, the SLA budget as a bar, the checks; escaped so that run text is shown, never run.

The browser tests load the page in a real headless Chromium (Debian's package, with JavaScript
on), read the DOM it built (``--dump-dom``) and a screenshot (``--screenshot``). ``make test``
installs Debian's chromium package when it is missing (the Makefile's ``browser`` target); where
there is still none the tests FAIL with "NOT RUN", they do not skip: a report page nobody rendered
is not a tested page.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from drills.html_report import COLOURS, render_html
from drills.journal import CheckRecord, Journal, StepRecord
from drills.scenario import SCENARIO_DIR, load_scenario
from drills.step_facts import timeline_entries

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
PAYLOAD = "<script>document.body.setAttribute('data-pwned','yes')</script>"
IMG_PAYLOAD = "<img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">"


def _journal(text: str = "fine") -> Journal:
    journal = Journal("p0-b", "t", "P0", "P0-B", "production", {"name": "local"}, "r", "DRILL-1")
    times = ["2026-11-29T22:00:0%d.000Z" % i for i in range(8)]
    for index, (phase, kind, ref, status) in enumerate(
        [
            ("steady_state", "probe", "ecs-steady-state", "ok"),
            ("faults", "fault", "data-corruption", "ok"),
            ("procedure", "action", "post-status", "ok"),
            ("procedure", "action", "stop-writes", "ok"),
            ("procedure", "probe", "write-fence-up", "failed"),
            ("verify", "probe", "status-posted", "not-covered"),
        ]
    ):
        step = StepRecord(f"step {index} {text}", phase, kind, ref, times[index], end=times[index + 1])
        step.status, step.duration_s, step.detail = status, 0.9, f"detail {text}"
        journal.timeline.append(step)
    journal.checks += [
        CheckRecord(f"check {text}", "verify", "passed", "ok"),
        CheckRecord(f"failing {text}", "verify", "failed", f"because {text}"),
    ]
    journal.finish()
    return journal


def _scenario(text: str):
    return dataclasses.replace(
        load_scenario(SCENARIO_DIR / "p0-b.yaml"), title=text, description=text, impact=text, root_cause=text
    )


def test_run_text_is_escaped_and_the_page_loads_nothing() -> None:
    text = f"{PAYLOAD} {IMG_PAYLOAD} “ünïcødé” ☃ 注文 \u202e"
    page = render_html(_journal(text), _scenario(text))
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "&lt;script&gt;" in page and "“ünïcødé” ☃ 注文" in page and "\u202e" not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "no external asset"
    assert page.count('class="tl-row"') == len(timeline_entries(_journal(text)))


# --- in a real browser -----------------------------------------------------------------------


def _find_browser() -> str | None:
    return next((path for path in map(shutil.which, BROWSERS) if path), None)


@pytest.fixture(scope="module")
def chromium() -> str:
    browser = _find_browser()
    if browser is None:
        pytest.fail(
            "NOT RUN: no Chromium (chromium, chromium-browser, google-chrome) on PATH: `make test` "
            "installs Debian's chromium package (`make browser`); the HTML report was not rendered",
            pytrace=False,
        )
    return browser


def _headless(browser: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",  # root in a container has no user namespace for the sandbox
            "--disable-gpu",
            "--no-first-run",
            "--disable-dev-shm-usage",
            # No calls home: the build machines refuse them, many at a time.
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            f"--user-data-dir={cwd / 'profile'}",
            *args,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of RGB(A) pixels of an 8-bit non-interlaced PNG (Chromium's)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = {}, 8
    idat = b""
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        body = data[at + 8 : at + 8 + length]
        if kind == b"IDAT":
            idat += body
        else:
            chunks[kind] = body
        at += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert depth == 8 and colour in (2, 6) and interlace == 0
    size = 3 if colour == 2 else 4
    raw, stride, rows = zlib.decompress(idat), width * size, []
    previous = bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - size] if x >= size else 0
            b, c = previous[x], previous[x - size] if x >= size else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, [bytes(r[i : i + 3]) for r in rows for i in range(0, len(r), size)]


def _colour(hex_colour: str) -> bytes:
    return bytes.fromhex(hex_colour.lstrip("#"))


def test_the_timeline_renders_in_a_real_browser(chromium: str, tmp_path: Path) -> None:
    text = f"{PAYLOAD} {IMG_PAYLOAD} “ünïcødé” 注文"
    journal = _journal(text)
    page = tmp_path / "p0-b.html"
    page.write_text(render_html(journal, _scenario(text)))
    url = page.as_uri()

    dom = _headless(chromium, "--dump-dom", url, cwd=tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert html.count('class="tl-row"') == len(timeline_entries(journal)) == 6
    assert '<svg id="timeline-chart"' in html and '<svg id="sla-bar"' in html
    assert re.search(r"<body>", html) and not re.search(r"<body[^>]*data-pwned", html), (
        "run text was executed"
    )
    assert "<script" not in html.lower() and "&lt;script&gt;document.body" in html
    assert "“ünïcødé” 注文" in html

    shot = tmp_path / "shot.png"
    taken = _headless(
        chromium, f"--screenshot={shot}", "--window-size=1200,1400", "--hide-scrollbars", url, cwd=tmp_path
    )
    assert taken.returncode == 0 and shot.is_file(), taken.stderr[-2000:]
    width, height, pixels = _png_pixels(shot)
    assert (width, height) == (1200, 1400)
    counted = {name: pixels.count(_colour(COLOURS[name])) for name in ("ok", "failed", "not-covered")}
    # The chart's bars are solid rectangles of their status's colour: 4 ok, 1 failed, 1 not covered.
    assert counted["ok"] > 4 * 100 and counted["failed"] > 100 and counted["not-covered"] > 100, counted
    assert len(set(pixels)) > 50, "a blank page"


@pytest.mark.emulator
def test_a_drills_html_report_renders_its_timeline(chromium: str, run_drill, tmp_path: Path) -> None:
    finished = run_drill.in_process("p0-b")
    assert finished.returncode == 0, finished.stderr
    report = json.loads((tmp_path / "p0-b.json").read_text())
    dom = _headless(chromium, "--dump-dom", (tmp_path / "p0-b.html").as_uri(), cwd=tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count('class="tl-row"') == len(report["timeline"]) + len(report["undo"])
    assert dom.stdout.count('class="sla-mark"') == 4
    assert dom.stdout.count('<tr class="check">') == len(report["checks"])
