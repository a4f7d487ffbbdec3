"""The agent tool `model_performance(model, version, window)`: how a model version is doing on
the predictions sent to opsbot, realised where the outcomes are in and estimated (CBPE, DLE)
where they are not, against its reference. It only reads."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from core.access import Caller
from core.clock import checked_window, parse_window
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


def build_modelperf_tools(perf: ModelPerf) -> list[OpsTool]:
    return [ModelPerformance(perf).tool()]
