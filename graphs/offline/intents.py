"""The words the offline planner's intent rules look for, the lexicon that corrects typos
towards them, and the capability lines of its help text."""

from __future__ import annotations

from graphs.offline.entities import LABEL_SYNONYMS
from graphs.offline.text import Lexicon

HELP = {"help", "commands", "capabilities", "usage"}
HOST = {
    "box",
    "host",
    "server",
    "machine",
    "node",
    "health",
    "healthy",
    "cpu",
    "load",
    "memory",
    "ram",
    "mem",
    "swap",
    "uptime",
    "system",
    "vm",
    "overall",
    "doing",
    "utilisation",
    "utilization",
}
MEMORY_WORDS = {"memory", "ram", "rss", "mem"}
PROCESS = {
    "process",
    "processes",
    "top",
    "hog",
    "hogs",
    "hogging",
    "consuming",
    "eating",
    "procs",
    "busiest",
}
DISK = {
    "disk",
    "disks",
    "space",
    "storage",
    "full",
    "inode",
    "inodes",
    "df",
    "du",
    "filesystem",
    "volume",
    "partition",
    "mount",
    "filling",
    "biggest",
    "largest",
}
ENDPOINT = {
    "endpoint",
    "endpoints",
    "url",
    "site",
    "website",
    "reachable",
    "probe",
    "ping",
    "tls",
    "cert",
    "certificate",
    "ssl",
    "latency",
    "responding",
    "uptime-check",
}
UPDOWN = {"up", "down", "alive", "reachable", "responding"}
METRICS = {"promql", "prometheus"}
MODEL = {"model", "models", "registry", "champion", "ml", "aliases", "alias"}
VERSION_WORDS = {
    "version",
    "versions",
    "production",
    "status",
    "serving",
    "deployed",
    "current",
    "metrics",
    "accuracy",
    "rmse",
    "mae",
    "performance",
}
DRIFT = {"drift", "drifting", "drifted", "shift", "shifted", "distribution", "skew"}
PROMPT = {"prompt", "prompts", "template", "templates"}
DIFF = {"diff", "changed", "change", "changes", "difference", "differences", "compare", "between"}
RUNBOOK = {
    "runbook",
    "runbooks",
    "playbook",
    "mitigate",
    "troubleshoot",
    "procedure",
    "guide",
    "docs",
    "documentation",
    "remediate",
}
INCIDENT = {
    "incident",
    "incidents",
    "alert",
    "alerts",
    "firing",
    "outage",
    "broken",
    "problems",
    "issues",
    "paging",
    "pages",
}
ROLLBACK = {"rollback", "revert", "undo"}
PROMOTE = {"promote", "deploy", "release", "ship", "set", "move", "point", "put", "switch", "pin"}
RESTART = {"restart", "reboot", "bounce", "reload"}
CLEAN = {"clean", "cleanup", "purge", "prune", "clear", "delete", "remove", "rotate"}
KILL = {"kill", "terminate", "sigterm"}
SCRIPT = {"script", "scripts"}
LIST = {"list", "all", "which", "show", "what", "any", "anything"}
QUESTION = {"how", "what", "why", "where", "when", "which", "who", "should", "can", "is", "are",
            "does", "do"}  # fmt: skip

ALL_WORDS = set().union(
    HELP, HOST, MEMORY_WORDS, PROCESS, DISK, ENDPOINT, UPDOWN, METRICS, MODEL, VERSION_WORDS,
    DRIFT, PROMPT, DIFF, RUNBOOK, INCIDENT, ROLLBACK, PROMOTE, RESTART, CLEAN, KILL, SCRIPT,
    LIST, {"roll", "back", "back-out", "older", "than", "days", "running", "service", "services"},
    set(LABEL_SYNONYMS),  # label names are words too: "staging" must not be corrected to "shift"
)  # fmt: skip
LEXICON = Lexicon(w for w in ALL_WORDS if len(w) >= 3)

CAPABILITIES = [
    ("host_health", 'host health: CPU, memory, swap, load, disks, uptime ("how\'s the box?")'),
    ("top_processes", 'the busiest processes ("what\'s eating memory?")'),
    ("disk_usage", 'disk space and the largest directories ("what\'s filling /var?")'),
    ("check_endpoint", 'probe configured endpoints, TLS expiry ("is api up?")'),
    ("query_metrics", 'Prometheus queries ("promql: up == 0")'),
    ("list_models", 'the model registry ("list models")'),
    ("model_status", 'a model\'s versions, aliases and metrics ("status of bike-demand")'),
    ("model_drift", 'drift of a model\'s live data ("is bike-demand drifting?")'),
    ("set_model_alias", "promote or roll back a model alias, with approval"),
    ("list_prompts", 'the prompt registry ("list prompts")'),
    ("show_prompt", 'a prompt version or label ("show support-triage production")'),
    ("diff_prompts", 'what changed between prompt versions ("diff support-triage v1 v2")'),
    ("set_prompt_label", "promote or roll back a prompt label, with approval"),
    ("search_runbooks", 'runbooks ("how do I fix a full disk?")'),
    ("list_incidents", 'open incidents ("what\'s open?")'),
    ("show_incident", 'one incident ("incident 3")'),
    ("run_remediation", "restart a service, clean a directory, kill a process, with approval"),
    (
        "what_changed",
        'what changed: alias and label moves, remediations, deploys ("what changed in the last 2h?")',
    ),
    ("series_anomalies", 'anomalies in the host series ("any anomalies?")'),
    ("who_is_on_call", 'who is on call now and next ("who\'s on call next week?")'),
    ("maintenance_windows", 'maintenance windows and what they hold back ("any maintenance?")'),
]
