"""Command-line options several drills commands share, kept import-light: ``drills run --help``
builds its parser from here without loading the drill engine or botocore."""

from __future__ import annotations

import argparse
from pathlib import Path

from .fault_journal import default_state_dir


def add_journal_dir_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--journal-dir",
        type=Path,
        default=None,
        help=f"where fault journals are kept on this machine (default: {default_state_dir()})",
    )
