"""LangGraph graphs (the chat agent, incident triage) and the model layer."""
