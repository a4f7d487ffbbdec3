"""Deterministic checks that run on a schedule and report `Finding`s: host thresholds
sustained over several samples, the disk fill-rate forecast, endpoint probes, Prometheus
alerts and model drift. No language model is involved in deciding whether something is
wrong; it is only asked to explain a finding afterwards (triage)."""
