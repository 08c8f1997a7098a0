"""The Grafana dashboard and the Prometheus alert rules: well-formed, every query parses as
PromQL, and every metric they name is one caseflow or the Temporal SDK really exposes (the
caseflow names are read from /metrics' exposition over a real, migrated PostgreSQL)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import promql_parser
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from caseflow.metrics import render_metrics

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "caseflow.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yaml"
GUIDE = ROOT / "docs" / "production.md"

# The Temporal SDK's worker metrics (CASEFLOW_WORKER_METRICS_ADDRESS) as its Prometheus
# exporter names them: counters without a _total suffix, latencies as millisecond histograms.
# The *_failed / *_failure counters appear once the first failure happens.
SDK_HISTOGRAMS = {
    "temporal_workflow_task_schedule_to_start_latency",
    "temporal_workflow_task_execution_latency",
    "temporal_activity_schedule_to_start_latency",
    "temporal_activity_execution_latency",
}
SDK_SERIES = {
    "temporal_worker_task_slots_used",
    "temporal_worker_task_slots_available",
    "temporal_num_pollers",
    "temporal_sticky_cache_size",
    "temporal_workflow_completed",
    "temporal_workflow_task_execution_failed",
    "temporal_activity_execution_failed",
    "temporal_request_failure",
}
SDK = SDK_SERIES | {f"{h}_{s}" for h in SDK_HISTOGRAMS for s in ("bucket", "sum", "count")}
# Grafana's variables, replaced by what Grafana would put there before parsing.
GRAFANA_VARIABLES = {
    "$__rate_interval": "5m",
    "$api_job": "caseflow-api",
    "$worker_job": "caseflow-worker",
}


def _series_names(family) -> set[str]:
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}
    return {family.name + s for s in suffixes.get(family.type, [""])}


@pytest.fixture(scope="module")
async def caseflow_families(db_engine) -> dict[str, set[str]]:
    """Each metric family /metrics exposes -> the series names it writes."""
    exposition = (await render_metrics(db_engine)).decode()
    families = {f.name: _series_names(f) for f in text_string_to_metric_families(exposition)}
    assert {"caseflow_breaches", "caseflow_cases_open"} <= set(families)
    return families


@pytest.fixture(scope="module")
def caseflow_series(caseflow_families) -> set[str]:
    return set().union(*caseflow_families.values())


def selectors(expr: str) -> list[promql_parser.VectorSelector]:
    """Every series selector in a query (raises ValueError when it is not valid PromQL)."""
    found: list[promql_parser.VectorSelector] = []

    def visit(node) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            found.append(node)
        return True

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found


def job_of(selector: promql_parser.VectorSelector) -> str | None:
    return next((m.value for m in selector.matchers.matchers if m.name == "job"), None)


def dashboard_queries() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    queries = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            for variable, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(variable, value)
            queries.append((panel["title"], expr))
    return queries


def alert_rules() -> list[dict]:
    rules = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return [rule for group in rules["groups"] for rule in group["rules"]]


def test_the_dashboard_is_a_grafana_dashboard_on_a_chosen_prometheus():
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dashboard["uid"] == "caseflow" and dashboard["title"]
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert {"x", "y", "w", "h"} <= set(panel["gridPos"]), panel["title"]
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            assert panel["targets"], panel["title"]
    # Every variable a query uses is defined (or is one of Grafana's own).
    used = {m for _, e in dashboard_queries() for m in re.findall(r"\$(\w+)", e)}
    assert used <= set(variables), used - set(variables)


def test_every_dashboard_query_parses_and_names_real_metrics(caseflow_series):
    known = caseflow_series | SDK | {"up"}
    for title, expr in dashboard_queries():
        names = {s.name for s in selectors(expr)}
        assert names and names <= known, (title, names - known)


def test_the_dashboard_shows_every_caseflow_figure(caseflow_families):
    shown = {s.name for _, expr in dashboard_queries() for s in selectors(expr)}
    missing = {name for name, series in caseflow_families.items() if not series & shown}
    assert not missing, missing
    assert {"temporal_workflow_task_schedule_to_start_latency_bucket", "up"} <= shown


def test_alert_rules_are_well_formed():
    rules = alert_rules()
    names = [r["alert"] for r in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        assert set(rule) == {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert re.fullmatch(r"Caseflow[A-Z][A-Za-z]+", rule["alert"])
        promql_parser.parse_duration(rule["for"])  # raises on a malformed duration
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert {"summary", "description", "runbook"} <= set(rule["annotations"]), rule["alert"]


def test_every_alert_query_parses_and_names_real_metrics_and_jobs(caseflow_series):
    known = caseflow_series | SDK | {"up"}
    services = {"caseflow-api", "caseflow-worker"}  # deploy/k8s Services: the scrape jobs
    for rule in alert_rules():
        found = selectors(rule["expr"])
        assert {s.name for s in found} <= known, (rule["alert"], {s.name for s in found})
        jobs = {job_of(s) for s in found} - {None}
        assert jobs <= services, (rule["alert"], jobs)


def test_the_alerts_cover_what_the_floor_needs_to_know():
    by_metric: dict[str, set[str]] = {}
    for rule in alert_rules():
        for s in selectors(rule["expr"]):
            by_metric.setdefault(s.name, set()).add(job_of(s) or "")
    assert "caseflow_breaches_total" in by_metric
    assert "caseflow_outbox_oldest_pending_seconds" in by_metric
    assert "caseflow_cases_lost" in by_metric
    assert {"caseflow-api", "caseflow-worker"} <= by_metric["up"]  # API down, worker down


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+\s+(.+?)\s*$", markdown, flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def test_every_runbook_link_lands_on_a_section_of_the_production_guide():
    anchors = _anchors(GUIDE.read_text(encoding="utf-8"))
    for rule in alert_rules():
        path, _, anchor = rule["annotations"]["runbook"].partition("#")
        assert path == "docs/production.md" and anchor in anchors, (rule["alert"], anchor)
