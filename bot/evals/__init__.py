"""The evaluation suite's runner: cases from `evals/*.yml` (loader), run through the same
`Agent.ask` as the CLI (runner), and scored per category (report). `opsbot eval` drives it."""
