"""Incidents: findings from monitors and Alertmanager become deduplicated incidents that are
triaged, posted, acted on with approval, and resolved."""
