"""Local emulators of services outside the machine (Slack, Anthropic), over real HTTP."""
