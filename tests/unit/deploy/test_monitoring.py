"""The Grafana dashboard and Prometheus alert rules use only metrics the app exports, and the
rules parse (promtool, where installed, checks them as Prometheus would)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from clinscribe.observability.metrics import JOB_OUTCOMES, JOB_WAIT, REAL_TIME_FACTOR
from tests.support import TenantWorld

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
DASHBOARD = DEPLOY / "grafana" / "clinscribe.json"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
METRIC = re.compile(r"\b(clinscribe_[a-z0-9_]+)")
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count")}


def exported_names(client: TestClient, world: TenantWorld) -> set[str]:
    """Series names on /metrics after some traffic (families and their sample suffixes)."""
    headers = world.auth("clinician")
    client.get(f"/api/v1/encounters/{world.encounter_id}", headers=headers)
    client.get("/api/v1/encounters/not-there", headers=headers)
    client.get("/readyz")
    # Worker-side series (they live in `clinscribe worker` processes, same registry).
    JOB_OUTCOMES.labels("deliver", "dead").inc(0)
    JOB_WAIT.labels("transcribe").observe(0.0)
    REAL_TIME_FACTOR.observe(15.0)
    names: set[str] = set()
    for family in text_string_to_metric_families(client.get("/metrics").text):
        names.add(family.name)
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ()))
        names.update(sample.name for sample in family.samples)
    return names


def dashboard_exprs() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]


def alert_rules() -> list[dict[str, Any]]:
    rules = yaml.safe_load(ALERTS.read_text())
    return [rule for group in rules["groups"] for rule in group["rules"]]


def test_every_metric_the_dashboard_and_alerts_query_is_exported(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    exported = exported_names(client, tenant_a)
    queried = {
        m for e in dashboard_exprs() + [r["expr"] for r in alert_rules()] for m in METRIC.findall(e)
    }
    assert len(queried) >= 15
    assert queried - exported == set()
    # The readiness gauge is set per component by the probe itself.
    assert 'clinscribe_readiness_failing{component="database"} 0.0' in client.get("/metrics").text


def test_the_dashboard_covers_each_area_with_well_formed_panels() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    panels = dashboard["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    titles = {p["title"] for p in panels if p["type"] == "row"}
    assert {
        "HTTP by route",
        "Jobs",
        "Speech recognition",
        "Live streaming",
        "EHR delivery",
    } <= titles
    for panel in panels:
        assert {"h", "w", "x", "y"} <= set(panel["gridPos"])
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}" and panel["targets"]
    exprs = " ".join(dashboard_exprs())
    for needle in (
        "clinscribe_job_queue_wait_seconds",
        "clinscribe_db_pool_connections",
        "clinscribe_asr_real_time_factor",
        "clinscribe_stream_active",
        'kind="deliver", outcome="dead"',
    ):
        assert needle in exprs


def test_the_alert_rules_are_well_formed_and_pass_promtool(tmp_path: Path) -> None:
    rules = alert_rules()
    names = {r["alert"] for r in rules}
    assert {
        "ClinscribeDeliveryDeadLetters",
        "ClinscribeQueueWaitHigh",
        "ClinscribeNotReady",
        "ClinscribeHighErrorRatio",
    } <= names
    for rule in rules:
        assert rule["expr"].strip() and rule["labels"]["severity"] in {"page", "ticket"}
        assert rule["annotations"]["summary"]
    promtool = shutil.which("promtool")
    if promtool is not None:  # installed by scripts/system-deps.sh
        checked = subprocess.run(
            [promtool, "check", "rules", str(ALERTS)], capture_output=True, text=True, check=False
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
