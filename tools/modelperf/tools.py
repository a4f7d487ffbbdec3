"""The agent tool `model_performance(model, version, window)`: how a model version is doing on
the predictions sent to opsbot, realised where the outcomes are in and estimated (CBPE, DLE)
where they are not, against its reference. It only reads."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from core.access import Caller
from core.clock import checked_window, parse_window, utcnow
from tools.base import OpsTool, ToolResult
from tools.modelperf.service import ModelPerf

SHOWN_WINDOWS = 7  # the latest windows in the chat answer (all of them are in the data)


class ModelPerformanceArgs(BaseModel):
    model: str = Field(min_length=1, max_length=200, description="The model's registry name")
    version: str | None = Field(
        None, max_length=100, description="3, v3 or an alias (default: the live version)"
    )
    window: Annotated[str, AfterValidator(checked_window)] | None = Field(
        None, description="Length of each window: 1h, 1d, 7d (default: MODELPERF_WINDOW)"
    )


@dataclass(frozen=True)
class ModelPerformance:
    perf: ModelPerf

    def run(self, args: ModelPerformanceArgs, caller: Caller) -> ToolResult:
        window = parse_window(args.window) if args.window else None
        report, _ = self.perf.report(args.model, args.version, window)
        shown = replace(report, windows=report.windows[-SHOWN_WINDOWS:])
        text = shown.text()
        if not report.windows:
            text += "\nNo window after the reference period yet."
        latest = report.latest
        if latest is not None and latest.drops:
            text += "\nThe latest window is a performance drop: rollback or retraining may help."
        return ToolResult(text=text, data=report.to_dict())

    def tool(self) -> OpsTool:
        return OpsTool(
            name="model_performance",
            description="How a registered model performs on the predictions and outcomes sent "
            "to opsbot: MAE/RMSE or accuracy/precision/recall/AUC/calibration per window with "
            "confidence intervals, vs the version's reference metrics; estimated (CBPE/DLE) "
            "where the outcomes have not arrived yet.",
            args=ModelPerformanceArgs,
            run=self.run,
        )


class ModelFairnessArgs(BaseModel):
    model: str = Field(min_length=1, max_length=200, description="The model's registry name")
    features: list[str] = Field(
        min_length=1, max_length=10, description="Sensitive features the predictions carry: sex"
    )
    version: str | None = Field(
        None, max_length=100, description="3, v3 or an alias (default: the live version)"
    )
    since: Annotated[str, AfterValidator(checked_window)] = Field(
        "30d", description="How far back the labelled predictions go: 7d, 30d"
    )
    min_group_size: int = Field(30, ge=1, le=100_000, description="Smaller groups: not compared")


@dataclass(frozen=True)
class ModelFairness:
    perf: ModelPerf

    def run(self, args: ModelFairnessArgs, caller: Caller) -> ToolResult:
        since = utcnow() - parse_window(args.since)
        report, number = self.perf.fairness(
            args.model, args.features, args.version, since, args.min_group_size
        )
        text = f"{args.model} v{number}, outcomes of the last {args.since}:\n{report.text()}"
        return ToolResult(text=text, data={"version": number} | asdict(report))

    def tool(self) -> OpsTool:
        return OpsTool(
            name="model_fairness",
            description="Fairness by segment of a registered model on its labelled predictions: "
            "per group of each sensitive feature the selection rate, TPR, FPR and accuracy, and "
            "the gaps (demographic parity and equalized odds differences), with fairlearn.",
            args=ModelFairnessArgs,
            run=self.run,
        )


def build_modelperf_tools(perf: ModelPerf) -> list[OpsTool]:
    return [ModelPerformance(perf).tool(), ModelFairness(perf).tool()]
