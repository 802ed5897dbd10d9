"""`${VAR}` and `${VAR:-default}` in config values, read from the environment."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_VAR = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


class EnvError(ValueError):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def _path(parent: str, key: object) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


def interpolate(
    node: Any, env: Mapping[str, str], path: str = "", errors: list[EnvError] | None = None
) -> Any:
    """Replace variables in every string of a parsed YAML tree.

    An unset variable without a default is an error naming the key path; every such
    error is collected in `errors` rather than stopping at the first.
    """
    errs = errors if errors is not None else []
    if isinstance(node, str):

        def substitute(match: re.Match[str]) -> str:
            name, default = match.group("name"), match.group("default")
            if name in env:
                return env[name]
            if default is not None:
                return default
            errs.append(EnvError(path, f"environment variable {name} is not set"))
            return ""

        return _VAR.sub(substitute, node)
    if isinstance(node, dict):
        return {k: interpolate(v, env, _path(path, k), errs) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate(v, env, _path(path, i), errs) for i, v in enumerate(node)]
    return node
