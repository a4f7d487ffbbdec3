"""The alert family table over every alert name of the two shipped rule files
(kube-prometheus and awesome-prometheus-alerts), and the PromQL and "is this host" helpers."""

from __future__ import annotations

import collections
import socket
from pathlib import Path

import psutil
import pytest
import yaml

from graphs.triage_plan import QUERY_TOOL, evidence_plan
from graphs.triage_types import IncidentInput
from tools.infra import alert_families as fam
from tools.infra.alert_families import family_of, site_alert_name
from tools.infra.promql import expr_from_generator_url, one_line, selector
from tools.infra.this_host import host_part, is_this_host

REPO = Path(__file__).resolve().parents[2]
# the shared data sits beside the checkout (../shared/data), wherever the checkout is
ALERTS = next(
    (p for p in (REPO.parent / "shared" / "data" / "alerts", Path("/work/shared/data/alerts"))
     if p.exists()),
    Path("/work/shared/data/alerts"),
)  # fmt: skip
KUBE = ALERTS / "kube-prometheus-alerts.yml"
AWESOME = ALERTS / "awesome-prometheus-alerts-rules.yml"


def kube_rules() -> list[tuple[str, str, str]]:
    """(group, alert name, expression) of every alerting rule of kube-prometheus."""
    rules = []
    for doc in yaml.safe_load_all(KUBE.read_text()):
        for group in (doc or {}).get("spec", {}).get("groups", []):
            rules += [
                (group["name"], r["alert"], r["expr"]) for r in group["rules"] if "alert" in r
            ]
    return rules


def awesome_rules() -> list[tuple[str, str, str]]:
    """(service, alert name as the site writes it, query) of every awesome-prometheus-alerts rule."""
    data = yaml.safe_load(AWESOME.read_text())
    return [
        (service["name"], site_alert_name(rule["name"]), rule["query"])
        for group in data["groups"]
        for service in group["services"]
        for exporter in service["exporters"]
        for rule in exporter.get("rules") or []
    ]


@pytest.fixture(scope="module")
def rules() -> list[tuple[str, str, str]]:
    if not KUBE.exists() or not AWESOME.exists():
        pytest.skip("the shared alert rule files are not on this machine")
    return kube_rules() + awesome_rules()


def _alert(name: str, expr: str, **labels: str) -> IncidentInput:
    return IncidentInput(1, name, name, "alertmanager", "warning", labels=labels,
                         details={"expr": expr}, local=False)  # fmt: skip


def test_every_rule_maps_to_a_family_with_evidence(rules) -> None:  # type: ignore[no-untyped-def]
    families: collections.Counter[str] = collections.Counter()
    with_evidence = host_tools = 0
    for _, name, expr in rules:
        family = family_of(name)
        assert family in fam.FAMILIES, name
        families[family] += 1
        plan = evidence_plan(_alert(name, expr))
        assert (QUERY_TOOL, {"query": expr.strip()}) in plan, name
        with_evidence += 1
        here = _alert(name, expr, instance="127.0.0.1:9100")
        here.local = True
        tools = {tool for tool, _ in evidence_plan(here)}
        host_tools += bool(tools & {"host_health", "disk_usage", "top_processes"})
        assert evidence_plan(_alert(name, "", instance="x:9100", job="j")), name  # no expr
    specific = sum(n for f, n in families.items() if f != fam.SERVICE)
    print(f"\n{len(rules)} rules ({len({n for _, n, _ in rules})} names): {with_evidence} with "
          f"an evidence call, {specific} in a specific family, {families[fam.SERVICE]} as "
          f"'service'; {host_tools} also get host tools when the instance is this host; "
          f"{dict(families.most_common())}")  # fmt: skip
    assert with_evidence == len(rules) > 1200


def test_node_kube_prometheus_and_blackbox_rules_are_never_generic(rules) -> None:  # type: ignore[no-untyped-def]
    groups = {"node-exporter", "kube-state-metrics", "kubernetes-apps", "kubernetes-storage",
              "kubernetes-system-kubelet", "prometheus", "alertmanager.rules",
              "Host and hardware", "Blackbox", "Kubernetes", "Prometheus self-monitoring",
              "SSL/TLS"}  # fmt: skip
    generic = [
        name for group, name, _ in rules if group in groups and family_of(name) == fam.SERVICE
    ]
    assert generic == []


@pytest.mark.parametrize(
    ("name", "family"),
    [("NodeFilesystemAlmostOutOfSpace", fam.DISK), ("HostOutOfDiskSpace", fam.DISK),
     ("NodeFilesystemFilesFillingUp", fam.DISK), ("HostHighCpuLoad", fam.CPU),
     ("NodeCPUHighUsage", fam.CPU), ("HostOutOfMemory", fam.MEMORY),
     ("HostOomKillDetected", fam.MEMORY), ("HostUnusualDiskReadLatency", fam.DISK_IO),
     ("BlackboxProbeFailed", fam.ENDPOINT), ("BlackboxSslCertificateWillExpireSoon", fam.ENDPOINT),
     ("ProbeFailed", fam.ENDPOINT), ("KubePodCrashLooping", fam.KUBE_WORKLOAD),
     ("KubeDeploymentReplicasMismatch", fam.KUBE_WORKLOAD),
     ("KubernetesPodCrashLooping", fam.KUBE_WORKLOAD),
     ("KubePersistentVolumeFillingUp", fam.KUBE_STORAGE), ("KubeNodeNotReady", fam.KUBE_CLUSTER),
     ("KubeletDown", fam.KUBE_CLUSTER), ("KubeClientCertificateExpiration", fam.KUBE_CLUSTER),
     ("PrometheusRuleFailures", fam.MONITORING), ("AlertmanagerFailedReload", fam.MONITORING),
     ("Watchdog", fam.MONITORING), ("NodeClockSkewDetected", fam.HOST),
     ("NodeRAIDDegraded", fam.HARDWARE), ("NodeNetworkReceiveErrs", fam.NETWORK),
     ("MysqlDown", fam.DATABASE), ("RabbitmqNodeDown", fam.QUEUE), ("NginxHighHttp5xxErrorRate",
     fam.PROXY), ("HostDiskFull", fam.DISK), ("EndpointDown", fam.ENDPOINT),
     ("ModelDataDrift", fam.MODEL), ("SomethingNobodyKnows", fam.SERVICE)],
)  # fmt: skip
def test_family_of(name: str, family: str) -> None:
    assert family_of(name) == family


def test_site_alert_names() -> None:
    assert site_alert_name("Host out of disk space") == "HostOutOfDiskSpace"
    assert site_alert_name("Blackbox SSL certificate expired") == "BlackboxSslCertificateExpired"


def test_expression_from_generator_url() -> None:
    url = ("http://prometheus:9090/graph?g0.expr=node_filesystem_avail_bytes%7Bjob%3D%22node%22"
           "%7D+%3C+5&g0.tab=1")  # fmt: skip
    assert expr_from_generator_url(url) == 'node_filesystem_avail_bytes{job="node"} < 5'
    assert expr_from_generator_url("http://prometheus:9090/graph?g0.expr=...") is None
    assert expr_from_generator_url("http://prometheus:9090/graph") is None
    assert expr_from_generator_url("") is None
    assert expr_from_generator_url("http://[::1/graph?g0.expr=up") is None  # unparseable


def test_selectors_escape_label_values() -> None:
    labels = {"instance": 'a"}) or vector(1) #', "job": "node", "bad-name": "x"}
    assert selector("up", labels, ("instance", "job", "bad-name")) == (
        'up{instance="a\\"}) or vector(1) #",job="node"}'
    )
    assert selector("up", {}, ("instance",)) == "up"


def test_a_query_on_one_line() -> None:
    assert one_line("# a comment\nsum by (job)\n  (up)  == 0") == "sum by (job) (up) == 0"
    assert one_line("x" * 200, limit=10) == "x" * 9 + "…"


def test_this_host_by_name_address_and_port() -> None:
    hostname = socket.gethostname()
    assert is_this_host({"instance": "127.0.0.1:9100"})
    assert is_this_host({"instance": "localhost"})
    assert is_this_host({"instance": "[::1]:9100"})
    assert is_this_host({"nodename": hostname})
    assert is_this_host({"instance": f"{hostname.upper()}:9100"})
    assert is_this_host({"instance": "http://127.0.0.1:8080/healthz"})
    assert is_this_host({"instance": "web-9:9100"}, extra=("web-9",))
    assert not is_this_host({"instance": "db-7.example.net:9100"})
    assert not is_this_host({"job": "node"})
    assert not is_this_host({"instance": "[::1"})
    assert host_part("HTTPS://User@Web-1.Example.COM.:443/x") == "web-1.example.com"


def test_this_host_by_an_interface_address() -> None:
    addresses = [
        a.address
        for found in psutil.net_if_addrs().values()
        for a in found
        if a.family == socket.AF_INET and not a.address.startswith("127.")
    ]
    if not addresses:
        pytest.skip("this host has no non-loopback IPv4 address")
    assert is_this_host({"instance": f"{addresses[0]}:9100"})
    assert is_this_host({"host": f"http://{addresses[0]}:8080/metrics"})
