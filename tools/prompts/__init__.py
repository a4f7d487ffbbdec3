"""The prompt registry: immutable prompt versions, movable labels with a history, diffs,
rendering, YAML export/import and fast serving to LLM applications.

Plain Python on SQLModel; nothing here imports Slack or LangGraph.
"""
