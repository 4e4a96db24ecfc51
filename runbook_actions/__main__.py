"""``python -m runbook_actions``: exit 130 on SIGINT or SIGTERM from the first line on, with no
traceback (during the package's imports ``interrupts.exit_at_once`` is in force, installed by
``__init__``), and a closed stdout pipe loses output, never prints a traceback."""

import os
import sys

from . import interrupts

try:
    interrupts.install()  # from here a signal is a KeyboardInterrupt the command line reports
    from .cli import forgive_broken_output, main

    forgive_broken_output()
    code = main()
except KeyboardInterrupt:
    interrupts.exit_at_once()
    try:
        os.write(2, b"error: interrupted\n")
    except OSError:
        pass
    code = interrupts.EXIT_INTERRUPTED
interrupts.exit_at_once()
try:
    sys.stdout.flush()
except (OSError, ValueError):
    pass
sys.exit(code)
