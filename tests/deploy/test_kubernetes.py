"""deploy/k8s, offline: every manifest is valid against the Kubernetes API schemas that
kubernetes-validate bundles (strict: an unknown or misspelt field fails), kustomization.yaml
lists exactly the manifests, and the manifests agree with the code they deploy (settings,
commands, probe paths, ports, selectors)."""

from __future__ import annotations

import copy
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from starlette.routing import Match

from api.main import create_app
from caseflow.cli import build_parser
from caseflow.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
# The Kubernetes version the manifests are checked against (one kubernetes-validate bundles);
# the APIs they use (apps/v1, policy/v1, autoscaling/v2, batch/v1) are stable since 1.23.
KUBERNETES_VERSION = "1.32"
MANIFESTS = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def resources() -> dict[tuple[str, str], dict]:
    return {(d["kind"], d["metadata"]["name"]): d for p in MANIFESTS for d in documents(p)}


def containers(kind: str, name: str) -> list[dict]:
    return resources()[(kind, name)]["spec"]["template"]["spec"]["containers"]


def test_there_are_manifests():
    kinds = {kind for kind, _ in resources()}
    assert {"Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler"} <= kinds
    assert {"ConfigMap", "Job", "Namespace"} <= kinds


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_every_manifest_is_valid_for_the_pinned_kubernetes(path):
    for doc in documents(path):
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_validation_catches_a_misspelt_field_and_a_wrong_type():
    deployment = resources()[("Deployment", "caseflow-api")]
    typo = copy.deepcopy(deployment)
    typo["spec"]["replica"] = typo["spec"].pop("replicas")
    wrong = copy.deepcopy(deployment)
    wrong["spec"]["replicas"] = "two"
    for bad in (typo, wrong):
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(bad, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_exactly_the_manifests():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    assert kustomization["kind"] == "Kustomization"
    assert sorted(kustomization["resources"]) == [p.name for p in MANIFESTS]
    namespace = resources()[("Namespace", kustomization["namespace"])]
    assert namespace["metadata"]["name"] == kustomization["namespace"]
    # The image every pod names is the one the kustomization sets.
    images = {i["name"] for i in kustomization["images"]}
    for (kind, _), doc in resources().items():
        if kind in ("Deployment", "Job"):
            assert {c["image"] for c in doc["spec"]["template"]["spec"]["containers"]} <= images


def test_the_config_map_holds_only_real_settings_and_no_secret():
    data = resources()[("ConfigMap", "caseflow-config")]["data"]
    known = {f"CASEFLOW_{name.upper()}" for name in Settings.model_fields}
    assert set(data) <= known, set(data) - known
    # Secrets come from the Secret, never from the ConfigMap.
    assert not {"CASEFLOW_DATABASE_URL", "CASEFLOW_PAYLOAD_KEYS", "CASEFLOW_CLAIM_KEYS"} & set(data)
    assert all(isinstance(v, str) for v in data.values())  # ConfigMap values must be strings


def test_pods_read_the_database_url_and_their_keys_from_the_secret():
    for kind, name in (("Deployment", "caseflow-api"), ("Deployment", "caseflow-worker")):
        env = {e["name"]: e for e in containers(kind, name)[0]["env"]}
        for variable, key in (
            ("CASEFLOW_DATABASE_URL", "database-url"),
            ("CASEFLOW_PAYLOAD_KEYS", "payload-keys"),
            ("CASEFLOW_CLAIM_KEYS", "claim-keys"),
        ):
            ref = env[variable]["valueFrom"]["secretKeyRef"]
            assert (ref["name"], ref["key"]) == ("caseflow-secrets", key), (name, variable)
    job_env = {e["name"]: e for e in containers("Job", "caseflow-migrate")[0]["env"]}
    assert job_env["CASEFLOW_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == "database-url"


@pytest.mark.parametrize(
    ("kind", "name", "subcommand"),
    [
        ("Deployment", "caseflow-api", "api"),
        ("Deployment", "caseflow-worker", "worker"),
        ("Job", "caseflow-migrate", "migrate"),
    ],
)
def test_each_workload_runs_a_real_caseflow_command(kind, name, subcommand):
    command = containers(kind, name)[0]["command"]
    assert command[0] == "caseflow"
    args = build_parser().parse_args(command[1:])  # exits (fails the test) on a bad command
    assert args.command == subcommand


def _port(container: dict, ref: int | str) -> int:
    if isinstance(ref, int):
        return ref
    return next(p["containerPort"] for p in container["ports"] if p["name"] == ref)


def test_api_probes_hit_routes_the_app_has_on_the_port_it_listens_on():
    api = containers("Deployment", "caseflow-api")[0]
    config = resources()[("ConfigMap", "caseflow-config")]["data"]
    listen = int(api["command"][api["command"].index("--port") + 1])
    assert listen == int(config["CASEFLOW_API_PORT"])
    routes = create_app(Settings()).router.routes

    def served(path: str) -> bool:
        scope = {"type": "http", "path": path, "method": "GET", "root_path": "", "headers": []}
        return any(route.matches(scope)[0] == Match.FULL for route in routes)

    assert not served("/no-such-page")
    for probe in ("readinessProbe", "livenessProbe"):
        get = api[probe]["httpGet"]
        assert served(get["path"]) and _port(api, get["port"]) == listen, probe
    assert api["readinessProbe"]["httpGet"]["path"] == "/healthz"  # PostgreSQL and Temporal


def test_worker_probes_and_metrics_use_the_configured_addresses():
    worker = containers("Deployment", "caseflow-worker")[0]
    config = resources()[("ConfigMap", "caseflow-config")]["data"]
    health_port = int(config["CASEFLOW_WORKER_HEALTH_ADDRESS"].rsplit(":", 1)[1])
    metrics_port = int(config["CASEFLOW_WORKER_METRICS_ADDRESS"].rsplit(":", 1)[1])
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        get = worker[probe]["httpGet"]
        assert (get["path"], _port(worker, get["port"])) == ("/healthz", health_port), probe
    assert _port(worker, "metrics") == metrics_port
    service = resources()[("Service", "caseflow-worker")]
    assert _port(worker, service["spec"]["ports"][0]["targetPort"]) == metrics_port


def test_every_workload_has_resources_and_runs_unprivileged():
    for kind, name in (
        ("Deployment", "caseflow-api"),
        ("Deployment", "caseflow-worker"),
        ("Job", "caseflow-migrate"),
    ):
        pod = resources()[(kind, name)]["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for c in pod["containers"]:
            assert {"cpu", "memory"} <= set(c["resources"]["requests"]), name
            assert "memory" in c["resources"]["limits"], name
            assert c["securityContext"]["allowPrivilegeEscalation"] is False


def test_selectors_match_the_pods_they_are_meant_for():
    docs = resources()
    pods = {
        name: doc["spec"]["template"]["metadata"]["labels"]
        for (kind, name), doc in docs.items()
        if kind == "Deployment"
    }
    for name, doc in ((n, d) for (k, n), d in docs.items() if k == "Deployment"):
        assert doc["spec"]["selector"]["matchLabels"].items() <= pods[name].items()
    targets = {
        ("Service", "caseflow-api"): "caseflow-api",
        ("Service", "caseflow-worker"): "caseflow-worker",
        ("PodDisruptionBudget", "caseflow-api"): "caseflow-api",
        ("PodDisruptionBudget", "caseflow-worker"): "caseflow-worker",
    }
    for key, deployment in targets.items():
        spec = docs[key]["spec"]
        selector = spec["selector"].get("matchLabels", spec["selector"])
        assert selector.items() <= pods[deployment].items(), key
    for name in ("caseflow-api", "caseflow-worker"):
        target = docs[("HorizontalPodAutoscaler", name)]["spec"]["scaleTargetRef"]
        assert (target["kind"], target["name"]) == ("Deployment", name)
        assert ("Deployment", name) in docs


def test_the_temporal_client_certificate_files_are_mounted_from_their_secret():
    config = resources()[("ConfigMap", "caseflow-config")]["data"]
    files = [Path(config[f"CASEFLOW_TEMPORAL_TLS_{part}"]) for part in ("CERT", "KEY", "CA")]
    assert {f.name for f in files} == {"tls.crt", "tls.key", "ca.crt"}  # cert-manager's keys
    for name in ("caseflow-api", "caseflow-worker"):
        pod = resources()[("Deployment", name)]["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        mounts = {Path(m["mountPath"]): m for m in pod["containers"][0]["volumeMounts"]}
        for file in files:
            mount = mounts[file.parent]
            assert mount.get("readOnly") is True, (name, file)
            assert volumes[mount["name"]]["secret"]["secretName"] == "caseflow-temporal-tls"
