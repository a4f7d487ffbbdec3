"""Contract suites: one per Protocol, each run against every implementation in the code
(as LangGraph's checkpoint conformance suite runs against each saver). A suite checks what
the Protocol documents (shapes, idempotence, the errors raised), never how one
implementation does it."""
