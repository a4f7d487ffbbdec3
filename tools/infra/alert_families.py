"""Alert families: which kind of problem an alert name is about, so triage can choose the
evidence that shows it (the host's disk for a filesystem alert, a probe for a blackbox alert,
the pod's state for a kube-state-metrics alert...).

By exact name first, then by name patterns in order (case-insensitive shell patterns: `*`
any text). The table covers opsbot's own alert names, node-exporter, kube-state-metrics,
kubelet, Prometheus and Alertmanager (kube-prometheus' rules) and the
awesome-prometheus-alerts rules (their names as the site writes them: each word of the rule's
name capitalised and joined, "Host out of disk space" -> `HostOutOfDiskSpace`). A name no
pattern knows is the SERVICE family: evidence from its expression and the target's `up`."""

from __future__ import annotations

from fnmatch import fnmatchcase

DISK = "disk"  # space and inodes of a filesystem
DISK_IO = "disk_io"  # read/write latency, saturation, iowait
CPU = "cpu"
MEMORY = "memory"
NETWORK = "network"
HARDWARE = "hardware"  # RAID, temperature, SMART, EDAC, IPMI
HOST = "host"  # the rest about a machine: clock, file descriptors, systemd, kernel
ENDPOINT = "endpoint"  # blackbox probes, HTTP endpoints, TLS certificates
KUBE_WORKLOAD = "kube_workload"  # pods, containers, deployments, jobs, HPAs, quotas
KUBE_STORAGE = "kube_storage"  # persistent volumes
KUBE_CLUSTER = "kube_cluster"  # nodes, kubelet, API server, scheduler, kube-state-metrics
MONITORING = "monitoring"  # Prometheus, Alertmanager, the rest of the monitoring stack
CONTAINER = "container"  # Docker containers (cAdvisor)
DATABASE = "database"
QUEUE = "queue"
PROXY = "proxy"  # proxies, load balancers, service meshes
MODEL = "model"  # opsbot's own ML model alerts
PROMPT = "prompt"  # opsbot's own prompt alerts
SERVICE = "service"  # anything else: an exporter's own metrics

FAMILIES = (DISK, DISK_IO, CPU, MEMORY, NETWORK, HARDWARE, HOST, ENDPOINT, KUBE_WORKLOAD,
            KUBE_STORAGE, KUBE_CLUSTER, MONITORING, CONTAINER, DATABASE, QUEUE, PROXY, MODEL,
            PROMPT, SERVICE)  # fmt: skip

EXACT: dict[str, str] = {
    # opsbot's own alert names (bot/monitors/)
    "HostDiskFull": DISK, "HostDiskFillingUp": DISK, "HostInodesExhausted": DISK,
    "HostHighCpu": CPU, "HostMemoryPressure": MEMORY, "HostSwapHigh": MEMORY,
    "EndpointDown": ENDPOINT, "EndpointSlow": ENDPOINT, "TlsCertificateExpiring": ENDPOINT,
    "ModelDataDrift": MODEL, "ModelPerformanceDrop": MODEL, "PromptRegression": PROMPT,
    "LLMRegression": PROMPT,
    # kube-prometheus' general rules
    "TargetDown": MONITORING, "Watchdog": MONITORING, "InfoInhibitor": MONITORING,
    "CPUThrottlingHigh": KUBE_WORKLOAD,
    "BlackboxConfigurationReloadFailure": MONITORING,
}  # fmt: skip

# (family, patterns), first match wins: the specific before the general
PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (ENDPOINT, ("probe*", "blackbox*", "*ssl*cert*", "*tls*cert*", "*endpoint*", "certmanager*",
                "cert-manager*")),
    (KUBE_STORAGE, ("kubepersistentvolume*", "kubernetesvolume*", "kubernetespersistentvolume*")),
    (KUBE_WORKLOAD, ("kubepod*", "kubedeployment*", "kubestatefulset*", "kubedaemonset*",
                     "kubejob*", "kubecontainer*", "kubehpa*", "kubepdb*", "kubequota*",
                     "kubernetespod*", "kubernetescontainer*", "kubernetesdeployment*",
                     "kubernetesstatefulset*", "kubernetesdaemonset*", "kubernetesreplicaset*",
                     "kubernetesjob*", "kubernetescronjob*", "kuberneteshpa*",
                     "kubernetespoddisruptionbudget*", "kubernetesresourcequota*")),
    (KUBE_CLUSTER, ("kube*", "kubelet*")),
    (MONITORING, ("prometheus*", "alertmanager*", "configreloader*", "grafana*", "thanos*",
                  "loki*", "promtail*", "cortex*", "mimir*", "tempo*", "jaeger*", "otel*",
                  "opentelemetry*", "alloy*", "netdata*", "pushgateway*")),
    (CONTAINER, ("container*",)),
    (DISK_IO, ("*diskio*", "*disk*latency*", "*diskread*", "*diskwrite*", "*iosaturation*",
               "*iowait*", "*highdiskwrite*", "*highdiskread*")),
    (HARDWARE, ("*raid*", "*temperature*", "*toohot*", "*overtemperature*", "*edac*", "smart*",
                "ipmi*", "*hardware*", "*fan*speed*", "*powersupply*", "apcups*")),
    (DISK, ("*filesystem*", "*diskspace*", "*outofdisk*", "*disk*fill*", "*diskmayfill*",
            "*inode*", "*outoffiles*", "*volumeusage*", "*diskusage*", "*disk*full*",
            "*diskpressure*", "*storage*full*", "*outofspace*", "*storagefilling*",
            "*lowfreestorage*", "*poolfull*", "*nearfull*")),
    (MEMORY, ("*memory*", "*oomkill*", "*swap*", "*majorpagesfaults*", "*heap*")),
    (CPU, ("*cpu*", "*highload*", "*systemsaturation*", "*contextswitching*", "*throttl*")),
    (NETWORK, ("*network*", "*conntrack*", "*bond*", "*interface*", "*throughput*",
               "*packet*", "wireguard*", "speedtest*", "snmp*", "junos*", "juniper*")),
    (HOST, ("host*", "node*", "windows*", "vmware*", "proxmox*", "pve*", "systemd*",
            "processexporter*", "*clock*", "*ntpclient*", "*filedescriptor*", "*zombie*")),
    (DATABASE, ("mysql*", "postgres*", "pg*", "patroni*", "sqlserver*", "mssql*", "oracle*",
                "redis*", "memcached*", "mongodb*", "elasticsearch*", "opensearch*",
                "meilisearch*", "cassandra*", "clickhouse*", "couchdb*", "solr*", "etcd*")),
    (QUEUE, ("rabbitmq*", "kafka*", "zookeeper*", "pulsar*", "nats*", "sidekiq*")),
    (PROXY, ("nginx*", "apache*", "haproxy*", "traefik*", "caddy*", "envoy*", "linkerd*",
             "istio*", "coredns*", "cilium*")),
)  # fmt: skip


def family_of(alertname: str) -> str:
    """The alert's family: by exact name, else the first pattern that matches, else SERVICE."""
    name = alertname.strip()
    if name in EXACT:
        return EXACT[name]
    folded = name.lower()
    for family, patterns in PATTERNS:
        if any(fnmatchcase(folded, pattern) for pattern in patterns):
            return family
    return SERVICE


def site_alert_name(rule_name: str) -> str:
    """An awesome-prometheus-alerts rule's alert name as its site writes it: every word
    capitalised, joined ("Blackbox SSL certificate expired" -> `BlackboxSslCertificateExpired`)."""
    return "".join(word.capitalize() for word in rule_name.split())


__all__ = ["EXACT", "FAMILIES", "PATTERNS", "family_of", "site_alert_name"]
