"""Host thresholds sustained over several samples, and the disk fill-rate forecast.

Every cycle stores the readings (CPU, memory, swap, each disk's space and inodes, each
disk's used bytes) in the database. A threshold finding needs the last N stored samples of
that series, all taken within a short window, to be at or over the threshold, so one busy
second never opens an incident and a restart does not forget what was seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.monitors.forecast import forecast_full
from bot.monitors.samples import SampleStore
from core.incidents import CRITICAL, WARNING, Finding
from tools.format import human_bytes, human_duration, pct
from tools.infra.host import CpuSampler, HostReport, read_host
from tools.infra.levels import CRIT, Thresholds, level


@dataclass
class HostConfig:
    thresholds: Thresholds = field(default_factory=Thresholds)
    interval: float = 60.0
    sustain: int = 3
    forecast_hours: float = 6.0  # 0 turns the forecast off
    forecast_min_samples: int = 6
    forecast_min_r2: float = 0.6


def severity(value: float, threshold: float, margin: float) -> str:
    """The incident severity of a reading: the level host_health shows for it (CRIT at the
    threshold, WARN `margin` points below, tools.infra.levels), so one disk is never
    `warning` on its incident and CRIT in host_health."""
    return CRITICAL if level(value, threshold, margin) == CRIT else WARNING


class HostMonitor:
    name = "host"

    def __init__(
        self, store: SampleStore, config: HostConfig, sampler: CpuSampler | None = None
    ) -> None:
        self.store = store
        self.config = config
        self.sampler = sampler or CpuSampler()
        self.last_report: HostReport | None = None

    # ------------------------------------------------------------------ readings
    def _values(self, report: HostReport) -> dict[str, float]:
        values = {"cpu": report.cpu_percent, "memory": report.memory_percent}
        if report.swap_total:
            values["swap"] = report.swap_percent
        for disk in report.disks:
            values[f"disk:{disk.mountpoint}"] = disk.percent
            values[f"inodes:{disk.mountpoint}"] = disk.inodes_percent
            values[f"disk.used:{disk.mountpoint}"] = float(disk.used)
        return values

    def run(self, now: datetime) -> list[Finding]:
        cfg = self.config
        report = read_host(cfg.thresholds, self.sampler)
        self.last_report = report
        values = self._values(report)
        self.store.record(now, values)
        limits = {
            "cpu": cfg.thresholds.cpu,
            "memory": cfg.thresholds.memory,
            "swap": cfg.thresholds.swap,
        }
        for disk in report.disks:
            limits[f"disk:{disk.mountpoint}"] = cfg.thresholds.disk
            limits[f"inodes:{disk.mountpoint}"] = cfg.thresholds.inodes
        watched = {series: limit for series, limit in limits.items() if series in values}
        over = self.store.sustained(watched, now, cfg.sustain, cfg.interval)
        findings = [
            self._finding(series, report, readings, watched[series])
            for series, readings in over.items()
        ]
        if cfg.forecast_hours > 0:
            findings.extend(self._forecasts(report, now))
        return findings

    # ------------------------------------------------------------------ findings
    def _finding(
        self, series: str, report: HostReport, readings: list[float], threshold: float
    ) -> Finding:
        value = readings[0]
        n = len(readings)
        limit = ("threshold", f"{threshold:g}%")
        sustained = ("sustained", f"{n} check{'s' if n != 1 else ''}")
        labels = {"host": report.hostname}
        if series == "cpu":
            alertname, what = "HostHighCpu", f"CPU at {pct(value)}"
            summary = f"CPU use has been at or above {threshold:g}% for {sustained[1]} in a row."
            load = ("load per core", f"{report.load_per_core:.2f}")
            fields = [("CPU", pct(value)), limit, load, sustained]
        elif series == "memory":
            alertname, what = "HostMemoryPressure", f"Memory {pct(value)} used"
            summary = f"Memory use has been at or above {threshold:g}% for {sustained[1]} in a row."
            available = ("available", human_bytes(report.memory_available))
            fields = [("memory used", pct(value)), available, limit, sustained]
        elif series == "swap":
            alertname, what = "HostSwapHigh", f"Swap {pct(value)} used"
            summary = f"Swap use has been at or above {threshold:g}% for {sustained[1]} in a row."
            total = ("swap total", human_bytes(report.swap_total))
            fields = [("swap used", pct(value)), total, limit, sustained]
        else:
            kind, mount = series.split(":", 1)
            disk = next(d for d in report.disks if d.mountpoint == mount)
            labels["mountpoint"] = mount
            if kind == "inodes":
                alertname, what = "HostInodesExhausted", f"Inodes on {mount} {pct(value)} used"
                summary = f"{mount} is running out of inodes (file entries), not bytes."
                free = ("inodes free", f"{disk.inodes_total - disk.inodes_used:,}")
                fields = [("inodes used", pct(value)), free, limit, sustained]
            else:
                alertname, what = "HostDiskFull", f"Disk {mount} is {pct(value)} full"
                summary = (
                    f"{mount} has been at or above {threshold:g}% used for {sustained[1]} in a row; "
                    f"{human_bytes(disk.free)} free of {human_bytes(disk.total)}."
                )
                fields = [
                    ("used", pct(value)),
                    ("free", human_bytes(disk.free)),
                    ("size", human_bytes(disk.total)),
                    limit,
                    sustained,
                ]
        return Finding(
            monitor=self.name,
            alertname=alertname,
            title=f"{what} on {report.hostname} (threshold {threshold:g}%)",
            severity=severity(value, threshold, self.config.thresholds.warn_margin),
            kind="host",
            labels=labels,
            summary=summary,
            fields=fields,
        )

    def _forecasts(self, report: HostReport, now: datetime) -> list[Finding]:
        cfg = self.config
        window = max(timedelta(minutes=30), timedelta(seconds=12 * cfg.interval))
        series = [f"disk.used:{d.mountpoint}" for d in report.disks]
        recent = self.store.recent(series, now - window, limit=120)
        findings = []
        for disk in report.disks:
            samples = recent.get(f"disk.used:{disk.mountpoint}", [])
            forecast = forecast_full(
                samples,
                disk.free,
                min_samples=cfg.forecast_min_samples,
                min_span_seconds=max(5 * cfg.interval, 5.0),
                min_r2=cfg.forecast_min_r2,
            )
            if forecast is None or forecast.hours_to_full > cfg.forecast_hours:
                continue
            when = human_duration(forecast.seconds_to_full)
            rate = human_bytes(forecast.slope_bytes_per_second * 3600) + "/h"
            severity = CRITICAL if forecast.hours_to_full <= cfg.forecast_hours / 4 else WARNING
            findings.append(
                Finding(
                    monitor=self.name,
                    alertname="HostDiskFillingUp",
                    title=f"Disk {disk.mountpoint} on {report.hostname} will be full in {when} at the current rate",
                    severity=severity,
                    kind="host",
                    labels={"host": report.hostname, "mountpoint": disk.mountpoint},
                    summary=(
                        f"{disk.mountpoint} grew {rate} over the last "
                        f"{human_duration(forecast.span_seconds)} (linear fit of "
                        f"{forecast.samples} samples, R² {forecast.r2:.2f}); "
                        f"{human_bytes(disk.free)} free."
                    ),
                    fields=[
                        ("full in", when),
                        ("fill rate", rate),
                        ("free", human_bytes(disk.free)),
                        ("used", pct(disk.percent)),
                        ("fit", f"{forecast.samples} samples, R² {forecast.r2:.2f}"),
                    ],
                )
            )
        return findings
