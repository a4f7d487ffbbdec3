"""A drift report in a few sentences people can act on, drifted features first.

Example:
    Dataset drift: 6 of 11 features drifted (55% ≥ 50%).
    • temp: mean rose from 0.197 to 0.276 (K-S p-value 6.0e-32 ≤ 0.05)
    • weathersit: share of 2 rose from 18.1% to 30.2% (chi-square p-value 0.006 < 0.05)
    No drift: season, hr, holiday, weekday, workingday
    Data quality:
    • mnth: 52.4% of current values are outside the reference range [1, 1]
"""

from __future__ import annotations

import math
from typing import Any

from tools.registry.drift.report import OK, WARN, DriftReport, FeatureDrift, QualityFinding

TEST_NAMES = {
    "ks": "K-S p-value",
    "chisquare": "chi-square p-value",
    "z": "z-test p-value",
    "wasserstein": "Wasserstein (normed)",
    "jensenshannon": "Jensen-Shannon",
    "psi": "PSI",
    "kl_div": "KL divergence",
    "hellinger": "Hellinger",
}
# Relation of statistic to threshold when drifted / not drifted, per test direction.
_OPS = {"ks": ("≤", ">"), "chisquare": ("<", "≥"), "z": ("<", "≥")}
_DISTANCE_OPS = ("≥", "<")
_VALUE_TESTS = ("chisquare", "z")


def _num(x: float) -> str:
    if not math.isfinite(x):
        return str(x)
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def _stat(feature: FeatureDrift) -> str:
    x = feature.statistic
    if not math.isfinite(x):
        return "n/a"
    if feature.kind == "p_value":
        return f"{x:.1e}" if 0 < x < 0.001 else f"{x:.3g}"
    return f"{x:.3g}"


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def _value(label: Any) -> str:
    text = str(label)
    try:
        float(text)
    except ValueError:
        return repr(text)
    return text


def _test_text(feature: FeatureDrift) -> str:
    ops = _OPS.get(feature.test, _DISTANCE_OPS)
    op = ops[0] if feature.drifted else ops[1]
    name = TEST_NAMES.get(feature.test, feature.test)
    text = f"{name} {_stat(feature)} {op} {feature.threshold:g}"
    if feature.psi is not None:
        text += f"; PSI {feature.psi:.3g}"
    return text


def _share_text(summary: dict[str, Any]) -> str | None:
    changes = summary.get("top_changes") or []
    parts: list[str] = []
    if changes:
        top = changes[0]
        ref, cur = top["ref_share"], top["cur_share"]
        if abs(cur - ref) >= 0.001:
            verb = "rose" if cur > ref else "fell"
            parts.append(f"share of {_value(top['value'])} {verb} from {_pct(ref)} to {_pct(cur)}")
    if summary.get("n_new_values"):
        names = ", ".join(_value(v["value"]) for v in summary.get("new_values", [])[:3])
        more = "…" if summary["n_new_values"] > 3 else ""
        parts.append(f"new value(s) {names}{more} in {_pct(summary.get('new_share', 0.0))} of rows")
    return "; ".join(parts) or None


def _numeric_text(summary: dict[str, Any]) -> str | None:
    ref, cur = summary.get("ref"), summary.get("cur")
    if not ref or not cur:
        return None
    scale = ref["std"] if ref["std"] > 0 else max(abs(ref["mean"]), 1.0)
    shift = cur["mean"] - ref["mean"]
    if abs(shift) / scale >= 0.1:
        verb = "rose" if shift > 0 else "fell"
        return f"mean {verb} from {_num(ref['mean'])} to {_num(cur['mean'])}"
    if ref["std"] > 0 and abs(cur["std"] / ref["std"] - 1) >= 0.1:
        verb = "widened" if cur["std"] > ref["std"] else "narrowed"
        return f"spread {verb} (std {_num(ref['std'])} → {_num(cur['std'])})"
    return (
        f"shape changed (median {_num(ref['median'])} → {_num(cur['median'])}, "
        f"mean {_num(ref['mean'])} → {_num(cur['mean'])})"
    )


def describe_feature(feature: FeatureDrift) -> str:
    """One line: what moved and which test says so."""
    summary = feature.summary or {}
    few_values = "top_changes" in summary and (
        feature.test in _VALUE_TESTS or feature.column_type == "cat" or "ref" not in summary
    )
    change = _share_text(summary) if few_values else _numeric_text(summary)
    if change is None:
        change = _share_text(summary) or "distribution changed"
    return f"{feature.name}: {change} ({_test_text(feature)})"


def strength(feature: FeatureDrift) -> float:
    """How far past its threshold a feature is (higher = clearer drift)."""
    x, t = feature.statistic, feature.threshold
    if not math.isfinite(x):
        return 0.0
    if feature.kind == "p_value":
        return math.log10(t / max(x, 1e-300))
    return x / t if t else 0.0


def _headline(report: DriftReport) -> str:
    n, k = report.n_features, report.n_drifted
    share, limit = _pct(report.drift_share), _pct(report.drift_share_threshold).replace(".0%", "%")
    share = share.replace(".0%", "%")
    if report.dataset_drift:
        return f"Dataset drift: {k} of {n} features drifted ({share} ≥ {limit})."
    if k:
        return f"No dataset drift: {k} of {n} features drifted ({share} < {limit})."
    return f"No drift: none of the {n} features drifted."


def explain(report: DriftReport, max_features: int = 8, max_findings: int = 5) -> str:
    """A short plain-text explanation: headline, drifted features, watch list, quality."""
    lines = [_headline(report)]
    drifted = sorted(report.drifted_features, key=strength, reverse=True)
    for feature in drifted[:max_features]:
        lines.append(f"• {describe_feature(feature)}")
    if len(drifted) > max_features:
        lines.append(f"• … and {len(drifted) - max_features} more drifted")
    watch = [f for f in report.features if not f.drifted and f.severity == WARN]
    if watch:
        lines.append("Worth watching (close to the threshold):")
        lines.extend(f"• {describe_feature(f)}" for f in watch[:max_features])
    calm = [f.name for f in report.features if f.severity == OK]
    if calm:
        lines.append("No drift: " + ", ".join(calm))
    issues: list[QualityFinding] = [q for q in report.quality if q.severity != OK]
    if issues:
        lines.append("Data quality:")
        lines.extend(f"• {q.message}" for q in issues[:max_findings])
        if len(issues) > max_findings:
            lines.append(f"• … and {len(issues) - max_findings} more findings")
    return "\n".join(lines)
