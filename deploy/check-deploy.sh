#!/usr/bin/env bash
# `make check-deploy`: feedwatch on sample feeds, a real Prometheus scraping it,
# every dashboard and rule expression evaluated (deploy/check_deploy.py).
# Installs Debian's `prometheus` package when it is missing and we are root.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
if ! command -v prometheus >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "check-deploy: installing Debian's prometheus package"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus) \
      >/tmp/feedwatch-apt-prometheus.log 2>&1 || tail -5 /tmp/feedwatch-apt-prometheus.log
  fi
fi
# Debian's package starts a system Prometheus (and node exporter) on :9090/:9100;
# check_deploy.py starts its own on a free port and does not need them.
exec timeout 300 "$VENV/bin/python" deploy/check_deploy.py
