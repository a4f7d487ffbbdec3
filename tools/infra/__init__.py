"""Host and service health: psutil readings, HTTP endpoint probes, Prometheus queries."""
