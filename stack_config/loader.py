"""Load a stack's platform description from ``Pulumi.<stack>.yaml``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping, cast

import yaml

from .exceptions import StackConfigError, StackNotFoundError
from .model import Platform
from .strict_yaml import load_yaml
from .typed_mapping import build

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PLATFORM_KEY = "platform"
# Pulumi: "Stack names may only contain alphanumeric, hyphens, underscores, or periods."
STACK_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,100}")


def project_name(root: Path = PROJECT_ROOT) -> str:
    """The Pulumi project name, which namespaces every config key."""
    data = _read_yaml(root / "Pulumi.yaml")
    name = data.get("name") if isinstance(data, Mapping) else None
    if not isinstance(name, str):
        raise StackConfigError(f"{root / 'Pulumi.yaml'}: 'name' is missing")
    return name


def platform_from_config(data: Any, path: str = "platform") -> Platform:
    """Validate one structured-config value (as ``pulumi.Config().require_object`` returns it)."""
    return cast(Platform, build(Platform, data, path))


def load_stack_config(stack: str, root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """The raw ``config:`` mapping of ``Pulumi.<stack>.yaml``."""
    if not isinstance(stack, str) or not STACK_NAME.fullmatch(stack):
        raise StackNotFoundError(
            f"stack name {str(stack)[:60]!r} is not a Pulumi stack name (letters, digits, '-', '_', '.')"
        )
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))
        raise StackNotFoundError(f"no stack {stack!r}: {path.name} not found (stacks: {', '.join(known)})")
    data = _read_yaml(path)
    config = data.get("config") if isinstance(data, Mapping) else None
    if not isinstance(config, Mapping):
        raise StackConfigError(f"{path.name}: top-level 'config' mapping is missing")
    return dict(config)


def load_platform(stack: str, root: Path = PROJECT_ROOT) -> Platform:
    """The validated platform of ``stack``; errors name the file and the key."""
    config = load_stack_config(stack, root)
    key = f"{project_name(root)}:{PLATFORM_KEY}"
    if key not in config:
        raise StackConfigError(f"Pulumi.{stack}.yaml: config key {key!r} is missing")
    try:
        return platform_from_config(config[key], key)
    except StackConfigError as error:
        raise StackConfigError(f"Pulumi.{stack}.yaml: {error}") from None


def _read_yaml(path: Path) -> Any:
    try:
        return load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StackConfigError(f"{path}: file not found") from None
    except yaml.YAMLError as error:
        # One line: YAML errors quote the offending line over several.
        raise StackConfigError(f"{path.name}: not valid YAML ({' '.join(str(error).split())})") from None
