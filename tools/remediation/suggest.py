"""Which catalogue actions fit an incident, with concrete arguments.

Rules, not the model: the alert name and labels pick candidate actions from what the
operator configured (directories on the full filesystem, services and scripts mapped to the
alert, the process using the CPU or memory, the registry rollbacks). Every candidate is
then dry-run; one that cannot run (nothing to clean, a protected process...) is dropped with
the reason, so an approval is only ever requested for an action that would do something.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from tools.base import ToolError
from tools.remediation.catalogue import DryRun, RemediationCatalogue
from tools.remediation.relevance import DiskNeed, irrelevance

DISK_ALERTS = {"HostDiskFull", "HostDiskFillingUp", "HostInodesExhausted"}
CPU_ALERTS = {"HostHighCpu"}
MEMORY_ALERTS = {"HostMemoryPressure", "HostSwapHigh"}
ENDPOINT_ALERTS = {"EndpointDown", "EndpointSlow"}
# a model's incidents: a pipeline listing the model (`models:`) is suggested for these
MODEL_ALERTS = {"ModelPerformanceDrop", "ModelDataDrift", "ModelFairnessGap"}
MAX_SUGGESTIONS = 3


@dataclass
class Suggestion:
    action: str
    params: dict[str, Any]
    reason: str
    preview: str = ""
    risk: str = ""
    fixes: bool = True  # False: valid, but irrelevant to the incident (see relevance.py)


def _same_filesystem(path: str, mountpoint: str) -> bool:
    try:
        return os.stat(path).st_dev == os.stat(mountpoint).st_dev
    except OSError:
        return False


def candidates(
    catalogue: RemediationCatalogue,
    alertname: str,
    labels: dict[str, str],
    processes: list[dict[str, Any]] | None = None,
) -> list[Suggestion]:
    """Candidate actions before their dry run, most useful first."""
    config = catalogue.config
    found: list[Suggestion] = []
    mount = labels.get("mountpoint")
    if alertname in DISK_ALERTS and mount:
        for entry in config.clean_directories:
            if _same_filesystem(entry.path, mount):
                found.append(
                    Suggestion(
                        "clean_directory",
                        {"path": entry.path, "older_than_days": entry.min_age_days},
                        f"frees space on {mount}: old files under {entry.path}",
                    )
                )
    for name, script in sorted(config.scripts.items()):
        if alertname in script.alerts:
            found.append(Suggestion("run_script", {"script": name}, f"configured for {alertname}"))
    target = labels.get("service") or labels.get("endpoint") or labels.get("job")
    for name, service in sorted(config.services.items()):
        mapped = alertname in service.alerts and (
            not service.endpoints or (target is not None and target in service.endpoints)
        )
        named = alertname in ENDPOINT_ALERTS and target == name
        if mapped or named:
            found.append(
                Suggestion("restart_service", {"service": name}, f"restart {name} for {alertname}")
            )
    if processes and alertname in CPU_ALERTS | MEMORY_ALERTS:
        key = "cpu_percent" if alertname in CPU_ALERTS else "memory_percent"
        floor = 50.0 if alertname in CPU_ALERTS else 20.0
        top = max(processes, key=lambda p: float(p.get(key) or 0.0))
        if float(top.get(key) or 0.0) >= floor and top.get("pid"):
            what = "CPU" if key == "cpu_percent" else "memory"
            found.append(
                Suggestion(
                    "kill_process",
                    {"pid": int(top["pid"]), "name": top.get("name")},
                    f"PID {top['pid']} ({top.get('name')}) uses {float(top[key]):.0f}% {what}",
                )
            )
    model = labels.get("model")
    if alertname == "ModelPerformanceDrop" and model:
        found.append(
            Suggestion(
                "set_model_alias",
                {"name": model, "alias": labels.get("alias", "production"), "version": None},
                f"roll {model} back to the previous version",
            )
        )
    for name, pipeline in sorted(catalogue.pipelines.pipelines.items()):
        for_model = bool(model) and model in pipeline.models and alertname in MODEL_ALERTS
        if for_model or alertname in pipeline.alerts:
            why = f"retrain {model}" if for_model else f"configured for {alertname}"
            found.append(Suggestion("trigger_pipeline", {"pipeline": name}, why))
    retrain = labels.get("pipeline")  # MODEL_RETRAIN_PIPELINES (tools/modelperf/findings.py)
    offered = {s.params.get("pipeline") for s in found if s.action == "trigger_pipeline"}
    configured = retrain in catalogue.pipelines.pipelines  # PIPELINES names it
    if (
        retrain
        and retrain not in offered
        and configured
        and "trigger_pipeline" in catalogue.names()
    ):
        found.append(
            Suggestion(
                "trigger_pipeline",
                {"pipeline": retrain},
                f"retrain {model}: run the {retrain} pipeline",
            )
        )
    prompt = labels.get("prompt")
    if alertname == "PromptRegression" and prompt:
        found.append(
            Suggestion(
                "set_prompt_label",
                {"name": prompt, "label": labels.get("label", "production"), "version": None},
                f"roll {prompt} back to the previous version",
            )
        )
    return found


def dry_run(catalogue: RemediationCatalogue, item: Suggestion) -> DryRun:
    """Dry-run `item`, filling in its preview and risk; ToolError when it cannot run."""
    action, params = catalogue.parse(item.action, item.params)
    run = action.dry_run_figures(params)
    item.preview = run.text
    item.risk = action.risk(params).value
    return run


def suggest(
    catalogue: RemediationCatalogue,
    alertname: str,
    labels: dict[str, str],
    processes: list[dict[str, Any]] | None = None,
    limit: int = MAX_SUGGESTIONS,
    disk: DiskNeed | None = None,
) -> tuple[list[Suggestion], list[str]]:
    """(suggestions whose dry run succeeded, reasons others were dropped). With `disk` (how
    much the full filesystem must lose), an action that frees far less is kept but marked
    `fixes=False`, its reason saying why it is irrelevant; those come after the rest."""
    kept: list[Suggestion] = []
    dropped: list[str] = []
    for item in candidates(catalogue, alertname, labels, processes):
        try:
            run = dry_run(catalogue, item)
        except ToolError as exc:
            dropped.append(f"{item.action}: {exc}")
            continue
        why = irrelevance(run.frees, disk) if disk is not None and run.frees is not None else None
        if why is not None:
            item.reason = f"{item.reason}; {why}"
            item.fixes = False
        kept.append(item)
    kept.sort(key=lambda s: not s.fixes)  # stable: the fixes first, in rule order
    return kept[:limit], dropped
