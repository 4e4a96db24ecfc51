"""SIGINT and SIGTERM end the command line with exit 130 and no traceback, at any moment.

Start-up (the package's imports, before the command line runs) has nothing to unwind, so
``exit_at_once`` is in force there: a signal writes "error: interrupted" and exits 130. Once the
command line runs, ``install`` turns the first signal into KeyboardInterrupt (which the command
line reports as its result object, exit 130) and any later one into an immediate exit 130, so a
signal during the report, the final flush or interpreter shutdown cannot print a traceback
either. Standard library only: it runs before anything else of the package is imported.
"""

# _signal is the C module behind signal, which would import enum first: 5 ms more of start-up.
import _signal as signal  # type: ignore[import-not-found]
import os
import sys

# (No typing or __future__ imports: this is imported first, and each import is a moment more in
# which a signal would still be Python's own KeyboardInterrupt.)

EXIT_INTERRUPTED = 130  # what a shell reports for a command ended by SIGINT
SIGNALS = (signal.SIGINT, signal.SIGTERM)


def install() -> None:
    """First signal: KeyboardInterrupt; every later one: exit 130 at once."""
    for each in SIGNALS:
        signal.signal(each, _interrupted)


def exit_at_once() -> None:
    """From here on, a signal exits 130 immediately (nothing left worth unwinding)."""
    for each in SIGNALS:
        signal.signal(each, _exit_now)


def _interrupted(signum: int, frame: object) -> None:
    exit_at_once()
    raise KeyboardInterrupt


def _exit_now(signum: int, frame: object) -> None:
    try:
        os.write(2, b"error: interrupted\n")
    except OSError:
        pass
    os._exit(EXIT_INTERRUPTED)


def _run_as_the_command_line() -> bool:
    """Is ``python -m runbook_actions`` finding the package right now? (Not ``-m drills``,
    which imports it too: the drills install their own handlers.) While ``-m`` looks for the
    module, ``sys.argv[0]`` is "-m"; ``sys.orig_argv`` names the module."""
    orig = list(getattr(sys, "orig_argv", []))
    named = any(
        arg == "-mrunbook_actions" or (arg == "-m" and following == "runbook_actions")
        for arg, following in zip(orig, orig[1:] + [""])
    )
    return sys.argv[:1] == ["-m"] and named


if _run_as_the_command_line():  # imported first by the package's __init__
    exit_at_once()
