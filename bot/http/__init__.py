"""opsbot's HTTP endpoints: health, metrics, Alertmanager intake, prompt serving, Slack events."""
