"""The change log: what changed (model aliases, prompt labels, remediations, config,
deploys), when, by whom and through what, so that triage can ask "what changed?"."""
