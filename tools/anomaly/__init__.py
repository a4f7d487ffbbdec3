"""Anomaly detection capability: NAB scoring (`tools.anomaly.nab`) and the streaming detector
(`tools.anomaly.detector`). numpy/pandas only."""
