"""Names, aliases and versions are validated as MLflow does, with messages that say what
is allowed."""

from __future__ import annotations

import pytest

from tools.registry.compare import direction, metric_diff
from tools.registry.errors import RegistryError
from tools.registry.validation import (
    parse_pairs,
    parse_version,
    validate_alias,
    validate_metrics,
    validate_model_name,
    validate_text_map,
)


@pytest.mark.parametrize("alias", ["production", "staging", "champion", "prod-2", "a_b", "Ünïcode"])
def test_valid_aliases(alias: str) -> None:
    assert validate_alias(alias) == alias


@pytest.mark.parametrize(
    ("alias", "message"),
    [
        ("latest", "reserved"),
        ("LATEST", "reserved"),
        ("v3", "reserved"),
        ("V12", "reserved"),
        ("", "required"),
        ("prod uction", "only contain"),
        ("prod/1", "only contain"),
        ("prod\n", "only contain"),
        ("x" * 256, "at most 255"),
    ],
)
def test_invalid_aliases_are_refused_with_the_rule(alias: str, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        validate_alias(alias)


def test_v_prefixed_words_are_fine_as_aliases() -> None:
    assert validate_alias("v2-candidate") == "v2-candidate"
    assert validate_alias("vnext") == "vnext"


@pytest.mark.parametrize(("raw", "number"), [(3, 3), ("3", 3), ("v3", 3), ("V12", 12), (" v7 ", 7)])
def test_versions_parse(raw: object, number: int) -> None:
    assert parse_version(raw) == number


@pytest.mark.parametrize("raw", [0, -1, "v0", "three", "3.5", 2.5, True, None, "v", ""])
def test_bad_versions_are_refused(raw: object) -> None:
    with pytest.raises(RegistryError, match="version"):
        parse_version(raw)


@pytest.mark.parametrize("name", ["", "  ", "a/b", "a:b", "has space", "-lead", "x" * 201])
def test_bad_model_names(name: str) -> None:
    with pytest.raises(RegistryError):
        validate_model_name(name)


def test_metrics_must_be_finite_numbers() -> None:
    assert validate_metrics({"rmse": "1.5", "auc": 1}) == {"rmse": 1.5, "auc": 1.0}
    for bad in ({"rmse": "abc"}, {"rmse": float("nan")}, {"rmse": float("inf")}, {"": 1.0}):
        with pytest.raises(RegistryError, match="metric"):
            validate_metrics(bad)
    with pytest.raises(RegistryError, match="must be a number"):
        validate_metrics({"ok": True})


def test_params_and_pairs() -> None:
    assert validate_text_map("param", {"alpha": 0.1}) == {"alpha": "0.1"}
    with pytest.raises(RegistryError, match="param 'x'"):
        validate_text_map("param", {"x": None})
    assert parse_pairs("--metric", ["rmse=1.5", "r2 = 0.8"]) == {"rmse": "1.5", "r2": "0.8"}
    with pytest.raises(RegistryError, match="name=value"):
        parse_pairs("--metric", ["rmse"])


def test_metric_directions_and_verdicts() -> None:
    assert direction("rmse") == -1
    assert direction("val_loss") == -1
    assert direction("roc_auc") == 1
    assert direction("throughput_qps") == 0
    deltas = {
        d.name: d
        for d in metric_diff(
            {"rmse": 40.0, "auc": 0.9, "n": 1.0},
            {"rmse": 45.0, "auc": 0.95, "n": 2.0, "extra": 3.0},
        )
    }
    assert deltas["rmse"].verdict == "worse"
    assert deltas["auc"].verdict == "better"
    assert deltas["n"].verdict == "changed"
    assert deltas["extra"].verdict == "only_other"
    assert "+12.5%" in deltas["rmse"].describe()
