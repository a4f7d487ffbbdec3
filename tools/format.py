"""Numbers formatted for people: bytes, durations, percentages and small text tables."""

from __future__ import annotations

from collections.abc import Sequence

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def human_bytes(value: float) -> str:
    """1536 -> '1.5 KiB'. Negative values keep their sign."""
    sign = "-" if value < 0 else ""
    size = float(abs(value))
    for unit in _UNITS:
        if size < 1024 or unit == _UNITS[-1]:
            if unit == "B":
                return f"{sign}{int(size)} B"
            return f"{sign}{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def human_duration(seconds: float) -> str:
    """93784 -> '1d 2h 3m'; 42.5 -> '42.5s'; 0.0123 -> '12 ms'."""
    if seconds < 0:
        return "-" + human_duration(-seconds)
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f}s" if seconds < 10 else f"{seconds:.0f}s"
    minutes, sec = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = []
    if days:
        parts.append(f"{days}d")
    if hours:
        parts.append(f"{hours}h")
    if minutes and not days:
        parts.append(f"{minutes}m")
    if not days and not hours and sec:
        parts.append(f"{sec}s")
    return " ".join(parts) or "0s"


def pct(value: float) -> str:
    return f"{value:.1f}%"


def text_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A monospace table; the first column is left-aligned, the rest right-aligned."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for index, row in enumerate(cells):
        parts = [
            row[i].ljust(widths[i]) if i == 0 else row[i].rjust(widths[i])
            for i in range(len(headers))
        ]
        lines.append("  ".join(parts).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def compact_json(data: object, limit: int = 80, text_limit: int = 24) -> str:
    """`data` as JSON of about `limit` characters that is still valid JSON: long strings are
    shortened with "…" inside the string, and when that is not enough the remaining keys
    (or items) are replaced by one `"…": "+N more"` entry (or a "+N more" item)."""
    import json

    def shorten(value: object) -> object:
        if isinstance(value, str) and len(value) > text_limit:
            return value[: text_limit - 1] + "…"
        if isinstance(value, dict):
            return {str(k): shorten(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [shorten(v) for v in value]
        return value

    def dump(value: object) -> str:
        return json.dumps(value, ensure_ascii=False, default=str)

    full = dump(data)
    if len(full) <= limit:
        return full
    short = shorten(data)
    text = dump(short)
    if len(text) <= limit or not isinstance(short, dict | list) or not short:
        return text
    items = list(short.items()) if isinstance(short, dict) else list(short)
    for keep in range(len(items) - 1, -1, -1):
        rest = len(items) - keep
        if isinstance(short, dict):
            text = dump({**dict(items[:keep]), "…": f"+{rest} more"})
        else:
            text = dump([*items[:keep], f"+{rest} more"])
        if len(text) <= limit or keep == 0:
            return text
    return text


_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], width: int = 40) -> str:
    """A one-line chart of `values` in block characters, at most `width` wide (neighbouring
    points averaged); a gap (NaN or infinite) is a space, a flat series a row of the lowest bar."""
    import math

    if not values:
        return ""
    if len(values) > width:
        size = len(values) / width
        buckets = [values[int(i * size) : int((i + 1) * size) or None] for i in range(width)]
        values = [_mean([v for v in bucket if math.isfinite(v)]) for bucket in buckets]
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return " " * len(values)
    low, high = min(finite), max(finite)
    span = high - low
    chars = []
    for value in values:
        if not math.isfinite(value):
            chars.append(" ")
        elif span == 0:
            chars.append(_BARS[0])
        else:
            chars.append(_BARS[min(len(_BARS) - 1, int((value - low) / span * len(_BARS)))])
    return "".join(chars)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")
