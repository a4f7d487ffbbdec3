"""LLM traces: GenAI spans received over OTLP (`POST /v1/traces`), kept per prompt version,
label and model, and the metrics read from them (`prompt_metrics`, `llm_usage`)."""
