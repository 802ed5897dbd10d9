"""Writes deploy/k8s/base/prometheusrule.yaml (Prometheus Operator) from rules.yaml.

rules.yaml stays the one source: promtool checks and tests it, `make
check-deploy` loads it into a real Prometheus. Run this after editing it;
`deploy/ci-checks.sh` fails when the two differ (`--check`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "rules.yaml"
TARGET = HERE.parent / "k8s/base/prometheusrule.yaml"
HEADER = "# Generated from deploy/prometheus/rules.yaml by build_prometheusrule.py: do not edit.\n"


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def render() -> str:
    rules = yaml.safe_load(SOURCE.read_text())
    resource = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "feedwatch"},
        "spec": {"groups": rules["groups"]},
    }
    body = yaml.dump(resource, Dumper=_Dumper, sort_keys=False, width=100, allow_unicode=True)
    return HEADER + body


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        if not TARGET.exists() or TARGET.read_text() != render():
            print(f"{TARGET} is out of date: run python {Path(__file__)}", file=sys.stderr)
            raise SystemExit(1)
        raise SystemExit(0)
    TARGET.write_text(render())
