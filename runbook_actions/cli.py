"""``python -m runbook_actions <action> ...``: one JSON object on stdout, one-line errors on stderr."""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from typing import Any, Sequence, TextIO

from .action import Action, ActionResult, failure
from .clients import AwsClients
from .exceptions import InvalidArgumentError, RunbookError
from .interrupts import EXIT_INTERRUPTED
from .invoke import invoke
from .params import Param
from .registry import all_actions


class _Parser(argparse.ArgumentParser):
    """Raise instead of printing usage, so every error is one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InvalidArgumentError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m runbook_actions",
        description="Runbook actions for the Zelly incident response guide.",
    )
    subparsers = parser.add_subparsers(dest="action", metavar="<action>", parser_class=_Parser)
    for action in all_actions().values():
        _add_action_parser(subparsers, action)
    return parser


def _add_action_parser(subparsers: Any, action: Action) -> None:
    sub = subparsers.add_parser(action.name, help=action.summary, description=action.summary)
    sub.add_argument("--region", help="AWS region (default: AWS_REGION, else ap-south-1)")
    sub.add_argument("--endpoint-url", help="AWS endpoint (default: AWS_ENDPOINT_URL)")
    sub.add_argument("--dry-run", action="store_true", help="report what would change, change nothing")
    for param in action.params:
        if param.kind is bool:
            sub.add_argument(param.flag, dest=param.name, action="store_const", const=True, help=param.help)
        else:
            sub.add_argument(
                param.flag,
                dest=param.name,
                nargs="+" if param.multiple else None,
                metavar=param.kind.__name__.upper(),
                help=_param_help(param),
            )


def _param_help(param: Param) -> str:
    extra = []
    if param.required:
        extra.append("required" + (f"; or set {param.env}" if param.env else ""))
    if param.default is not None:
        extra.append(f"default {param.default}")
    return param.help + (f" ({'; '.join(extra)})" if extra else "")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one action; print its result object (success and failure alike) and return the exit
    code: 0 ok, 1 failed or refused by the platform's state, 2 bad input, 130 interrupted."""
    args = list(sys.argv[1:] if argv is None else argv)
    # Known before parsing, so that an argparse error still names the action and the mode.
    name = _action_named(args)
    dry_run = "--dry-run" in args[1:] if name else False
    try:
        parser = build_parser()
        namespace = parser.parse_args(args)
        if namespace.action is None:
            parser.print_help()
            return 2
        return _run(namespace)
    except RunbookError as error:
        return _report_failure(failure(name, error, dry_run=dry_run), error.exit_code)
    except KeyboardInterrupt:
        return _report_failure(
            failure(name, KeyboardInterrupt("interrupted"), dry_run=dry_run), EXIT_INTERRUPTED
        )


def _action_named(args: Sequence[str]) -> str | None:
    """The action the command line names (its first word), or None when it names none we know."""
    first = args[0] if args else None
    return first if first in all_actions() else None


def _report_failure(result: ActionResult, code: int) -> int:
    print(json.dumps(result.to_dict(), indent=2, default=str))
    print(f"error: {result.to_dict()['error']}", file=sys.stderr)
    return code


def _run(namespace: argparse.Namespace) -> int:
    arguments = {
        k: v
        for k, v in vars(namespace).items()
        if k not in ("action", "region", "endpoint_url", "dry_run") and v is not None
    }
    clients = AwsClients(region=namespace.region, endpoint_url=namespace.endpoint_url)
    result = invoke(namespace.action, clients, arguments, dry_run=namespace.dry_run, environ=os.environ)
    if not result.ok:
        return _report_failure(result, 1)
    print(json.dumps(result.to_dict(), indent=2, default=str))
    return 0


class _ForgivingStream(io.TextIOBase):
    """Writes to ``stream`` until the reader goes away, then drops the text: a closed pipe
    (``| head -c 10``) loses output, never the exit code, and prints no traceback. The
    descriptor is pointed at /dev/null so that the interpreter's final flush succeeds too.
    (The drills' console does the same; runbook_actions may not import drills.)"""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except (OSError, ValueError):
            self._silence()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except (OSError, ValueError):
            self._silence()

    def writable(self) -> bool:
        return True

    def _silence(self) -> None:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass


def forgive_broken_output() -> None:
    """Make stdout and stderr drop what a closed pipe or terminal cannot take (see above)."""
    if not isinstance(sys.stdout, _ForgivingStream) and sys.stdout is not None:
        sys.stdout = _ForgivingStream(sys.stdout)
    if not isinstance(sys.stderr, _ForgivingStream) and sys.stderr is not None:
        sys.stderr = _ForgivingStream(sys.stderr)
