"""The agent tools for host and service health (read-only).

Each tool is one small class; `build_infra_tools` only assembles them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from core.access import Caller
from core.clock import checked_window, parse_window, utcnow
from core.errors import Invalid
from tools.base import NoArgs, OpsTool, ToolError, ToolResult
from tools.format import human_bytes, human_duration, pct, text_table
from tools.infra import prometheus
from tools.infra.disk import disk_usage
from tools.infra.endpoints import EndpointNotAllowed, ProbeResult, probe, resolve_target
from tools.infra.host import CpuSampler, HostReport, read_host
from tools.infra.levels import Thresholds
from tools.infra.metrics_view import instant_result, matrix_result
from tools.infra.processes import top_processes

_MARK = {"ok": "ok", "warn": "WARN", "crit": "CRIT"}


@dataclass
class InfraConfig:
    thresholds: Thresholds = field(default_factory=Thresholds)
    endpoints: dict[str, str] = field(default_factory=dict)
    endpoint_timeout: float = 5.0
    tls_warn_days: int = 14
    prometheus_url: str | None = None
    process_interval: float = 0.3
    sampler: CpuSampler = field(default_factory=CpuSampler)


def format_host(report: HostReport) -> str:
    levels = report.levels
    lines = [
        f"Host {report.hostname}: overall {_MARK[report.overall]}, up {human_duration(report.uptime_seconds)}",
        f"- CPU {pct(report.cpu_percent)} over {report.cpu_window_seconds:g}s on {report.cpu_count} cores "
        f"[{_MARK[levels['cpu']]}; threshold {report.thresholds['cpu']:g}%]",
        f"- Load {report.load[0]:.2f} / {report.load[1]:.2f} / {report.load[2]:.2f} "
        f"(1/5/15 min) = {report.load_per_core:.2f} per core [{_MARK[levels['load']]}]",
        f"- Memory {pct(report.memory_percent)} used, {human_bytes(report.memory_available)} "
        f"available of {human_bytes(report.memory_total)} [{_MARK[levels['memory']]}; "
        f"threshold {report.thresholds['memory']:g}%]",
    ]
    if report.swap_total:
        lines.append(
            f"- Swap {pct(report.swap_percent)} used ({human_bytes(report.swap_used)} of "
            f"{human_bytes(report.swap_total)}) [{_MARK[levels['swap']]}]"
        )
    else:
        lines.append("- Swap: none configured")
    for disk in report.disks:
        lines.append(
            f"- Disk {disk.mountpoint} ({disk.fstype}): {pct(disk.percent)} used, "
            f"{human_bytes(disk.free)} free of {human_bytes(disk.total)} [{_MARK[disk.level]}; "
            f"threshold {report.thresholds['disk']:g}%]; inodes {pct(disk.inodes_percent)} "
            f"[{_MARK[disk.inodes_level]}]"
        )
    return "\n".join(lines)


def format_probe(result: ProbeResult) -> str:
    if result.ok:
        head = (
            f"{result.name} ({result.url}) is UP: HTTP {result.status} in {result.latency_ms:g} ms"
        )
    else:
        head = f"{result.name} ({result.url}) is DOWN: {result.error}"
        if result.latency_ms is not None:
            head += f" after {result.latency_ms:g} ms"
    lines = [head + f" [{_MARK[result.level]}]"]
    if result.location:
        lines.append(f"- redirects to {result.location} (not followed)")
    if result.tls_days_left is not None:
        lines.append(
            f"- TLS certificate expires {result.tls_expires} ({result.tls_days_left:g} days left)"
        )
    if result.tls_error:
        lines.append(f"- TLS problem: {result.tls_error}")
    return "\n".join(lines)


class TopArgs(BaseModel):
    by: Literal["cpu", "memory"] = Field("cpu", description="Sort by CPU or by resident memory")
    limit: int = Field(10, ge=1, le=50, description="How many processes to show")


class DiskArgs(BaseModel):
    path: str = Field("/", description="Absolute path of a mount or directory to inspect")
    top: int = Field(8, ge=1, le=30, description="How many of the largest subdirectories to show")


class EndpointArgs(BaseModel):
    target: str = Field(
        "", description="Name or URL of a configured endpoint; empty probes all of them"
    )


class MetricsArgs(BaseModel):
    query: str = Field(
        ..., min_length=1, max_length=prometheus.MAX_QUERY, description="A PromQL expression"
    )
    range: Annotated[str, AfterValidator(_optional_window)] = Field(
        "",
        description="Empty for the value now; a window such as 30m, 6h or 2d for the series "
        "over that window (a range query)",
    )
    step: Annotated[str, AfterValidator(_optional_step)] = Field(
        "", description="Seconds between points of a range query (empty: about 60 points)"
    )


def _optional_window(text: str) -> str:
    return checked_window(text) if text.strip() else ""


def _optional_step(text: str) -> str:
    text = text.strip().removesuffix("s")
    if text and not (text.replace(".", "", 1).isdigit() and float(text) > 0):
        raise ValueError(f"cannot read {text!r} as a step in seconds, e.g. 60")
    return text


@dataclass(frozen=True)
class HostHealth:
    """CPU, load, memory, swap and every disk of this host, against the thresholds."""

    config: InfraConfig

    def run(self, _: NoArgs, __: Caller) -> ToolResult:
        report = read_host(self.config.thresholds, self.config.sampler)
        return ToolResult(text=format_host(report), data=report.to_dict())

    def tool(self) -> OpsTool:
        return OpsTool(
            name="host_health",
            description=(
                "Current health of this host: CPU, load per core, memory, swap, every real "
                "disk's space and inodes, uptime; each marked ok/WARN/CRIT against thresholds."
            ),
            args=NoArgs,
            run=self.run,
        )


@dataclass(frozen=True)
class TopProcesses:
    """The processes using the most CPU or memory, sampled over `process_interval`."""

    config: InfraConfig

    def run(self, args: TopArgs, _: Caller) -> ToolResult:
        interval = self.config.process_interval
        procs = top_processes(args.by, args.limit, interval)
        rows = [
            [p.pid, p.name[:24], p.user[:12], f"{p.cpu_percent:.1f}%", human_bytes(p.rss),
             human_duration(p.running_seconds)]
            for p in procs
        ]  # fmt: skip
        table = text_table(["pid", "name", "user", "cpu", "rss", "age"], rows)
        text = (
            f"Top {len(procs)} processes by {args.by} (CPU as % of one core over "
            f"{interval:g}s):\n{table}"
        )
        return ToolResult(text=text, data=[p.to_dict() for p in procs])

    def tool(self) -> OpsTool:
        return OpsTool(
            name="top_processes",
            description="The processes using the most CPU or memory right now.",
            args=TopArgs,
            run=self.run,
        )


class DiskUsage:
    """Space of the filesystem holding a path, and its largest entries (bounded scan)."""

    @staticmethod
    def run(args: DiskArgs, _: Caller) -> ToolResult:
        try:
            report = disk_usage(args.path, args.top)
        except (ValueError, OSError) as exc:
            raise ToolError(str(exc)) from None
        mount = report.mount
        lines = [
            f"{report.path}{'' if report.path == mount.mountpoint else ' is on ' + mount.mountpoint}: {pct(mount.percent)} used, "
            f"{human_bytes(mount.free)} free of {human_bytes(mount.total)}; inodes "
            f"{pct(mount.inodes_percent)} used",
        ]
        if report.largest:
            rows = [[d.path, human_bytes(d.bytes), d.files] for d in report.largest]
            lines.append("Largest entries:\n" + text_table(["path", "size", "files"], rows))
        if not report.complete:
            lines.append(f"(sizes are partial: the scan stopped after {report.elapsed_seconds:g}s)")
        if report.errors:
            lines.append(f"({report.errors} entries could not be read)")
        data = {
            "path": report.path,
            "mount": mount.__dict__,
            "largest": [d.__dict__ for d in report.largest],
            "complete": report.complete,
        }
        return ToolResult(text="\n".join(lines), data=data)

    def tool(self) -> OpsTool:
        return OpsTool(
            name="disk_usage",
            description=(
                "Space used on the filesystem holding a path, and the largest subdirectories "
                "under that path (bounded scan)."
            ),
            args=DiskArgs,
            run=self.run,
        )


@dataclass(frozen=True)
class CheckEndpoint:
    """Probe the configured endpoints (one by name or URL, or all of them)."""

    config: InfraConfig

    def run(self, args: EndpointArgs, _: Caller) -> ToolResult:
        config = self.config
        if not config.endpoints:
            raise ToolError(
                "no endpoints are configured; set ENDPOINTS, e.g. "
                "ENDPOINTS='api=https://api.example.com/healthz'"
            )
        if args.target.strip():
            try:
                targets = [resolve_target(args.target, config.endpoints)]
            except EndpointNotAllowed as exc:
                raise ToolError(str(exc)) from None
        else:
            targets = list(config.endpoints.items())
        results = [
            probe(name, url, config.endpoint_timeout, config.tls_warn_days) for name, url in targets
        ]
        return ToolResult(
            text="\n".join(format_probe(r) for r in results), data=[r.to_dict() for r in results]
        )

    def tool(self) -> OpsTool:
        return OpsTool(
            name="check_endpoint",
            description=(
                "Probe configured HTTP endpoints: status, latency, TLS certificate expiry. "
                "Only endpoints listed in the configuration can be probed."
            ),
            args=EndpointArgs,
            run=self.run,
        )


@dataclass(frozen=True)
class QueryMetrics:
    """A PromQL query against the configured Prometheus at `base`: its value now, or its
    series over a window (a range query)."""

    base: str

    def run(self, args: MetricsArgs, _: Caller) -> ToolResult:
        try:
            if not args.range:
                return instant_result(args.query, prometheus.query_result(self.base, args.query))
            step = timedelta(seconds=float(args.step)) if args.step else None
            series = prometheus.query_range(
                self.base, args.query, utcnow(), parse_window(args.range), step
            )
        except prometheus.PrometheusError as exc:
            raise ToolError(str(exc)) from None
        except Invalid as exc:
            raise ToolError(str(exc)) from None
        return matrix_result(args.query, series, args.range)

    def tool(self) -> OpsTool:
        return OpsTool(
            name="query_metrics",
            description=(
                "Run a PromQL query against the configured Prometheus: the value now, or "
                "with `range` (e.g. 1h) the series over that window with a sparkline."
            ),
            args=MetricsArgs,
            run=self.run,
        )


def build_infra_tools(config: InfraConfig) -> list[OpsTool]:
    """The host and service health tools; `query_metrics` only with a Prometheus URL."""
    tools = [
        HostHealth(config).tool(),
        TopProcesses(config).tool(),
        DiskUsage().tool(),
        CheckEndpoint(config).tool(),
    ]
    if config.prometheus_url:
        tools.append(QueryMetrics(config.prometheus_url).tool())
    return tools


__all__ = ["InfraConfig", "build_infra_tools", "format_host", "format_probe"]
