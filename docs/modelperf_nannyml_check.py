"""Compare tools/modelperf/estimate.py with nannyml 0.13.1 on the bike data (docs/modelperf.md).

Run from the repository root with a Python that has nannyml, statsmodels and our pins:
    NML_DISABLE_USAGE_LOGGING=1 python docs/modelperf_nannyml_check.py
"""
# ruff: noqa: E402

import csv
import sys
import warnings

warnings.filterwarnings("ignore")
sys.path.insert(0, ".")  # run from the repository root
from datetime import datetime, timedelta

import nannyml as nml
import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression

from tools.modelperf.estimate import CBPE, DLE

with open("/work/shared/data/drift/bike-sharing/hour.csv") as handle:
    rows = list(csv.DictReader(handle))
FEATS = [
    "yr",
    "season",
    "mnth",
    "hr",
    "holiday",
    "weekday",
    "workingday",
    "weathersit",
    "temp",
    "atemp",
    "hum",
    "windspeed",
]
T = [datetime.fromisoformat(r["dteday"]) + timedelta(hours=int(r["hr"])) for r in rows]
X = np.array([[float(r[f]) for f in FEATS] for r in rows])
y = np.array([float(r["cnt"]) for r in rows])
rng = np.random.default_rng(0)
train = rng.random(len(T)) < 0.5
df = pd.DataFrame(X, columns=FEATS)
df["ts"] = T
df["y"] = y
reg = RandomForestRegressor(n_estimators=50, random_state=0, min_samples_leaf=3).fit(
    X[train], y[train]
)
df["pred"] = reg.predict(X)
med = np.median(y[train])
df["yb"] = (y > med).astype(int)
clf = LogisticRegression(max_iter=2000).fit(X[train], df["yb"].values[train])
df["score"] = clf.predict_proba(X)[:, 1]
df["cls"] = (df["score"] >= 0.5).astype(int)
held = df[~train].copy()
ref = held[held.ts < datetime(2012, 1, 1)]
ana = held[held.ts >= datetime(2012, 1, 1)].copy()
ana["week"] = ((ana.ts - datetime(2012, 1, 1)) // timedelta(days=7)).astype(int)
ana = ana[ana.week < 52]
out = []
# DLE
dle = nml.DLE(
    feature_column_names=FEATS,
    y_pred="pred",
    y_true="y",
    timestamp_column_name="ts",
    metrics=["mae", "rmse"],
    chunk_period="W",
)
dle.fit(ref)
mine = DLE.fit(
    [dict(zip(FEATS, r, strict=True)) for r in ref[FEATS].values], ref.pred.values, ref.y.values
)
for metric in ("mae", "rmse"):
    diffs = []
    for _, g in ana.groupby("week"):
        r = dle.estimate(g.assign(ts=datetime(2012, 1, 2)))  # one chunk per week
        theirs = float(r.filter(period="analysis").to_df()[metric]["value"].iloc[0])
        m = {
            e.metric: e.value
            for e in mine.estimate(
                [dict(zip(FEATS, v, strict=True)) for v in g[FEATS].values], g.pred.values
            )
        }[metric]
        diffs.append(abs(m - theirs) / theirs)
    out.append(
        f"DLE {metric}: 52 weeks, median relative difference {np.median(diffs):.3f}, max {np.max(diffs):.3f}"
    )
cb = nml.CBPE(
    y_pred_proba="score",
    y_pred="cls",
    y_true="yb",
    timestamp_column_name="ts",
    metrics=["roc_auc", "accuracy", "precision", "recall"],
    problem_type="classification_binary",
    chunk_period="W",
)
cb.fit(ref)
mc = CBPE.fit(ref.yb.values.astype(float), ref.cls.values.astype(float), ref.score.values)
names = {"roc_auc": "auc", "accuracy": "accuracy", "precision": "precision", "recall": "recall"}
for metric, ours in names.items():
    diffs, band = [], []
    for _, g in ana.groupby("week"):
        r = cb.estimate(g.assign(ts=datetime(2012, 1, 2))).filter(period="analysis").to_df()[metric]
        e = {x.metric: x for x in mc.estimate(g.cls.values.astype(float), g.score.values)}[ours]
        diffs.append(abs(e.value - float(r["value"].iloc[0])))
        band.append(abs((e.high - e.low) / 2 - 3 * float(r["sampling_error"].iloc[0])))
    out.append(
        f"CBPE {metric}: 52 weeks, max absolute difference {np.max(diffs):.2e}, max band half-width difference {np.max(band):.2e}"
    )
print("\n".join(out))
