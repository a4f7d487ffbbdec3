"""Whether a space-freeing action is worth suggesting for a full disk.

A `clean_directory` whose dry run frees 0.5 MiB on a filesystem that must lose 40 GiB to get
back under its threshold does nothing for the incident: the space is elsewhere. Triage still
shows it (it is a valid tidy-up), but says it is irrelevant and does not offer it as the fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tools.format import human_bytes

# an action that frees less than this share of what the disk must lose is not the fix
RELEVANT_SHARE = 0.10
IRRELEVANT = "irrelevant to this incident"


@dataclass(frozen=True)
class DiskNeed:
    """How much a filesystem must lose to get back under its threshold, and where its space
    is (the largest entries the evidence found, biggest first)."""

    mount: str
    need: int  # bytes
    threshold: float  # percent
    largest: list[tuple[str, int]] = field(default_factory=list)


def disk_need(
    mount: str,
    total: int,
    used: int,
    threshold: float | None,
    largest: list[tuple[str, int]] | None = None,
) -> DiskNeed | None:
    """The bytes `mount` must free to get under `threshold` percent used (of used + free,
    as `df` counts it), or None when it is not over the threshold or the threshold is not
    known: then no action can be judged against it."""
    if threshold is None or total <= 0:
        return None
    need = int(used - threshold / 100.0 * total)
    if need <= 0:
        return None
    return DiskNeed(mount, need, threshold, list(largest or []))


def irrelevance(freed: int, disk: DiskNeed) -> str | None:
    """Why freeing `freed` bytes is irrelevant to `disk`'s incident, or None when it is a
    real part of the fix."""
    if freed >= RELEVANT_SHARE * disk.need:
        return None
    share = _share(freed / disk.need)
    where = ", ".join(f"{path} ({human_bytes(size)})" for path, size in disk.largest[:2])
    return (
        f"would free {human_bytes(freed)}, {share} of the {human_bytes(disk.need)} "
        f"{disk.mount} must lose to get under {disk.threshold:g}%: {IRRELEVANT}"
        + (f"; the space is in {where}" if where else "; the space is elsewhere")
    )


def _share(share: float) -> str:
    if share < 0.0001:
        return "under 0.01%"
    return f"{share:.2%}" if share < 0.01 else f"{share:.0%}"
