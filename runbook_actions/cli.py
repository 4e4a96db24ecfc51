"""``python -m runbook_actions <action> ...``: one JSON object on stdout, one-line errors on stderr."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Sequence

from .action import Action
from .clients import AwsClients
from .exceptions import InvalidArgumentError, RunbookError
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
    parser = build_parser()
    try:
        namespace = parser.parse_args(argv)
        if namespace.action is None:
            parser.print_help()
            return 2
        return _run(namespace)
    except RunbookError as error:
        action = getattr(locals().get("namespace"), "action", None)
        print(
            json.dumps(
                {"action": action, "ok": False, "error": str(error), "details": error.details}, default=str
            )
        )
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


def _run(namespace: argparse.Namespace) -> int:
    arguments = {
        k: v
        for k, v in vars(namespace).items()
        if k not in ("action", "region", "endpoint_url", "dry_run") and v is not None
    }
    clients = AwsClients(region=namespace.region, endpoint_url=namespace.endpoint_url)
    result = invoke(namespace.action, clients, arguments, dry_run=namespace.dry_run, environ=os.environ)
    print(json.dumps(result.to_dict(), indent=2, default=str))
    return 0 if result.ok else 1
