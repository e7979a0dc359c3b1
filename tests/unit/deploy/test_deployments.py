"""The Helm chart lints and renders to valid Kubernetes objects; the compose file and the
chart run every job kind on some worker, and keep secrets in files."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate
import pytest
import yaml

from clinscribe.jobs.slots import SLOT_DIR
from clinscribe.tasks import TASKS

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
CHART = DEPLOY / "helm" / "clinscribe"
SECRET_WORDS = ("SECRET", "PASSWORD", "PEPPER", "_KEY", "DATABASE_URL", "BROKER_URL")


def secret_named(name: str) -> bool:
    """A variable that would hold a secret itself (not a path to one)."""
    return any(w in name for w in SECRET_WORDS) and not name.endswith(("_FILE", "SECRETS_DIR"))


def render(values: dict[str, Any]) -> list[dict[str, Any]]:
    with helm.Chart.load(str(CHART)) as chart:
        manifests = chart.render(values, name="demo", namespace="clinical")
    return [doc for text in manifests.values() for doc in yaml.safe_load_all(text) if doc]


@pytest.fixture(scope="module")
def objects() -> list[dict[str, Any]]:
    return render({"secrets": {"existingSecret": "clinscribe"}})


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def test_the_chart_lints_without_warnings() -> None:
    report = helm.lint(str(CHART), strict=True)
    assert report["errors"] == []
    # Severity 1 is information (e.g. "icon is recommended"); warnings and errors fail.
    assert [m for m in report["messages"] if m["severity"] > 1] == []


@pytest.mark.parametrize(
    "values",
    [
        {"secrets": {"existingSecret": "clinscribe"}},
        {"secrets": {"create": True, "values": {"CLINSCRIBE_JWT_SECRET": "x" * 40}}},
        {"secrets": {"vaultAnnotations": {"vault.hashicorp.com/agent-inject": "true"}}},
    ],
    ids=["existing-secret", "chart-secret", "vault-agent"],
)
def test_every_rendered_object_is_valid_kubernetes(values: dict[str, Any]) -> None:
    # kubectl's client-side dry run needs a reachable API server; this validates offline
    # against the Kubernetes OpenAPI schemas. KEDA objects are custom resources.
    version = kubernetes_validate.latest_version()
    for obj in render(values):
        if not obj["apiVersion"].startswith("keda.sh/"):
            kubernetes_validate.validate(obj, version, strict=True)


def test_api_pods_probe_health_drain_and_read_secrets_as_files(
    objects: list[dict[str, Any]],
) -> None:
    api = by_kind(objects, "Deployment")["demo-clinscribe-api"]
    pod = api["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["lifecycle"]["preStop"]["sleep"]["seconds"] > 0
    assert container["resources"]["requests"]["memory"]
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert mounts["secrets"]["mountPath"] == "/run/secrets/clinscribe"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["secrets"]["secret"]["secretName"] == "clinscribe"
    assert not [e for e in container.get("env", []) if secret_named(e["name"])]
    config = by_kind(objects, "ConfigMap")["demo-clinscribe-config"]["data"]
    assert config["CLINSCRIBE_SECRETS_DIR"] == "/run/secrets/clinscribe"
    assert not [k for k in config if secret_named(k)]
    assert "demo-clinscribe-api" in by_kind(objects, "Service")
    deployments = set(by_kind(objects, "Deployment"))
    budgets = {p["metadata"]["name"] for p in objects if p["kind"] == "PodDisruptionBudget"}
    assert budgets == deployments


def worker_kinds(args: list[str]) -> set[str]:
    return set(args[args.index("--queues") + 1].split(","))


def test_worker_groups_consume_every_job_kind_and_asr_scales_on_its_queue(
    objects: list[dict[str, Any]],
) -> None:
    workers = {
        name: d["spec"]["template"]["spec"]["containers"][0]["args"]
        for name, d in by_kind(objects, "Deployment").items()
        if "-worker-" in name
    }
    kinds = [worker_kinds(args) for args in workers.values()]
    assert set().union(*kinds) == set(TASKS) and sum(map(len, kinds)) == len(TASKS)
    assert worker_kinds(workers["demo-clinscribe-worker-asr"]) == {"transcribe"}
    scaled = by_kind(objects, "ScaledObject")["demo-clinscribe-worker-asr"]["spec"]
    assert scaled["scaleTargetRef"]["name"] == "demo-clinscribe-worker-asr"
    trigger = scaled["triggers"][0]
    assert trigger["type"] == "rabbitmq"
    assert trigger["metadata"]["queueName"] == "clinscribe.transcribe"
    auth = by_kind(objects, "TriggerAuthentication")[trigger["authenticationRef"]["name"]]
    assert auth["spec"]["secretTargetRef"][0]["key"] == "CLINSCRIBE_BROKER_URL"
    asr = by_kind(objects, "Deployment")["demo-clinscribe-worker-asr"]
    assert "replicas" not in asr["spec"]  # KEDA owns the count
    assert asr["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= 300


def test_compose_runs_every_job_kind_with_secrets_only_as_files(tmp_path: Path) -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"proxy", "api", "postgres", "rabbitmq", "seaweedfs", "migrate"} <= set(services)
    workers = {n: s for n, s in services.items() if n.startswith("worker-")}
    kinds = [worker_kinds(s["command"]) for s in workers.values()]
    assert set().union(*kinds) == set(TASKS)
    assert worker_kinds(workers["worker-asr"]["command"]) == {"transcribe"}
    # ASR replicas on one machine share the decode-slot lock directory the engine uses.
    mounts = [m.split(":") for m in workers["worker-asr"]["volumes"]]
    assert [(v, Path(p).name) for v, p in mounts] == [("asr-slots", SLOT_DIR.name)]
    assert "asr-slots" in compose["volumes"]
    # The broker shares the machine with the workers: its schedulers must not spin.
    erl_args = services["rabbitmq"]["environment"]["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"]
    assert {"+sbwt", "+sbwtdcpu", "+sbwtdio"} <= set(erl_args.split()[::2])
    assert set(erl_args.split()[1::2]) == {"none"}
    declared = set(compose["secrets"])
    for name, service in services.items():
        env = service.get("environment") or {}
        plain = [k for k in env if secret_named(k)]
        assert plain == [], f"{name} has secrets in its environment: {plain}"
        for secret in service.get("secrets", []):
            assert (secret["source"] if isinstance(secret, dict) else secret) in declared
    # The secrets script writes every file the compose file mounts, and nothing world-readable.
    script = tmp_path / "make-secrets.sh"
    shutil.copy(DEPLOY / "make-secrets.sh", script)
    subprocess.run(["bash", str(script)], check=True, capture_output=True, env=dict(os.environ))
    written = tmp_path / "secrets"
    for secret in compose["secrets"].values():
        path = written / Path(secret["file"]).name
        assert path.is_file() and path.stat().st_mode & 0o077 == 0, path
    keys = yaml.safe_load((written / "encryption_keys").read_text())
    assert len(keys) == 1 and keys[0].startswith("k1:")
    if (
        shutil.which("docker")
        and subprocess.run(
            ["docker", "compose", "version"], capture_output=True, check=False
        ).returncode
        == 0
    ):
        checked = subprocess.run(
            ["docker", "compose", "-f", str(DEPLOY / "compose.yaml"), "config", "-q"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 0, checked.stderr
