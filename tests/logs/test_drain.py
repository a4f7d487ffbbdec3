"""The Drain parser on hand-made lines: tree, similarity, masks, and its saved state."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from core.errors import Invalid
from tools.logs.drain import WILDCARD, Drain, DrainConfig, Mask

# logparser's Drain with no masks
PLAIN = DrainConfig(depth=4, similarity=0.5)


def test_lines_differing_in_a_variable_share_a_cluster_and_its_template_gets_a_wildcard() -> None:
    drain = Drain(PLAIN)
    first = drain.add("user alice logged in")
    second = drain.add("user bob logged in")
    assert first == (1, "user alice logged in")
    assert second == (1, "user <*> logged in")
    assert drain.sizes() == {1: 2}


def test_length_first_token_and_threshold_each_separate_clusters() -> None:
    drain = Drain(PLAIN)
    base, _ = drain.add("disk sda is full")
    longer, _ = drain.add("disk sda is full again")  # another length
    other_start, _ = drain.add("host sda is full")  # another first token: another branch
    unlike, _ = drain.add("disk x was gone")  # 1 of 4 equal: below 0.5
    assert len({base, longer, other_start, unlike}) == 4
    assert drain.add("disk sdb is full") == (base, "disk <*> is full")


def test_a_leading_token_with_a_digit_goes_under_the_wildcard_branch() -> None:
    drain = Drain(PLAIN)
    a, _ = drain.add("42 workers started")
    b, template = drain.add("43 workers started")
    assert a == b
    assert template == "<*> workers started"


def test_a_full_node_sends_new_tokens_to_the_wildcard_child() -> None:
    drain = Drain(DrainConfig(depth=4, similarity=0.5, max_children=3))
    a, _ = drain.add("alpha x y")
    b, _ = drain.add("beta x y")
    c, _ = drain.add("gamma x y")  # the last free place goes to <*>
    d, template = drain.add("delta x y")  # no place left: joins gamma under <*>
    assert len({a, b, c}) == 3
    assert d == c
    assert template == "<*> x y"


def test_the_most_similar_template_wins() -> None:
    drain = Drain(DrainConfig(depth=3, similarity=0.4))
    one, _ = drain.add("read block 7 from disk a")
    two, _ = drain.add("write file 9 to cache b")
    assert one != two
    assert drain.add("write file 8 to cache c")[0] == two
    assert drain.add("read block 8 from disk c")[0] == one


def test_lines_shorter_than_the_tree_still_find_their_cluster() -> None:
    # logparser never files these in its tree; here they join like any other line
    drain = Drain(DrainConfig(depth=6, similarity=0.5))
    assert drain.add("ready")[0] == drain.add("ready")[0] == 1
    assert drain.add("")[0] == drain.add("   ")[0] == 2
    assert len(drain) == 2


def test_masks_run_in_order_before_the_tree() -> None:
    masks = (Mask(r"(\d+\.){3}\d+"), Mask(r"\d+"))
    drain = Drain(DrainConfig(depth=4, similarity=0.5, masks=masks))
    assert drain.tokens("from 10.0.0.1 port 22") == ["from", WILDCARD, "port", WILDCARD]
    assert drain.add("from 10.0.0.1 port 22") == (1, "from <*> port <*>")


def test_exact_first_keeps_variable_heavy_lines_together_under_a_high_threshold() -> None:
    masks = (Mask(r"\d+"),)
    strict = DrainConfig(depth=4, similarity=0.9, masks=masks)
    lines = ["slot 1 free", "slot 2 free", "slot 3 free"]
    # 2 of 3 positions equal (the masked one never counts): below 0.9, a cluster each
    plain = Drain(strict)
    assert [plain.add(line)[0] for line in lines] == [1, 2, 3]
    exact = Drain(DrainConfig(depth=4, similarity=0.9, masks=masks, exact_first=True))
    assert [exact.add(line)[0] for line in lines] == [1, 1, 1]


def test_opsbot_token_masks() -> None:
    drain = Drain()
    line = (
        "GET /v2/servers/detail from 10.1.2.3,10.1.2.4 took 0.25s id 3f2a9c1e-0b1d-4e5f-8a9b-"
        "0c1d2e3f4a5b at host.example.com:8080 code 0x1F sent 1190 bytes (1.16 KB) in <1 sec"
    )
    expected = "GET <*> from <*> took <*> id <*> at <*> code <*> sent <*> bytes in <*>"
    assert " ".join(drain.tokens(line)) == expected
    # words, and names with a digit that do not start with one, stay
    assert drain.tokens("proxy SOCKS5 rand3 ok:") == ["proxy", "SOCKS5", "rand3", "ok:"]


def test_the_token_memo_is_bounded_and_changes_nothing() -> None:
    small = Drain(replace(DrainConfig.opsbot(), token_cache=2))
    large = Drain()
    lines = [f"job {i} done on node-{i % 3} at 10.0.0.{i}" for i in range(20)]
    assert [small.add(line) for line in lines] == [large.add(line) for line in lines]
    assert len(small._token_memo) <= 2


LINES = [
    "Receiving block blk_123 src: /10.0.0.1:5000 dest: /10.0.0.2:50010",
    "Receiving block blk_-99 src: /10.0.0.3:5000 dest: /10.0.0.2:50010",
    "PacketResponder 1 for block blk_123 terminating",
    "ready",
    "Deleting block blk_7 file /data/current/blk_7",
    "PacketResponder 2 for block blk_-99 terminating",
    "session opened for user root by (uid=0)",
    "session opened for user cyrus by (uid=0)",
    "ready",
    "Deleting block blk_8 file /data/current/blk_8",
    "connection from 1.2.3.4 () at Sun Jul 3 10:05:25 2005",
    "connection from 1.2.3.5 () at Sun Jul 3 10:05:26 2005",
]


@pytest.mark.parametrize("config", [DrainConfig.opsbot(), PLAIN], ids=["opsbot", "plain"])
def test_state_round_trip_resumes_exactly(config: DrainConfig) -> None:
    whole = Drain(config)
    expected = [whole.add(line) for line in LINES]
    first = Drain(config)
    got = [first.add(line) for line in LINES[:6]]
    saved = json.loads(json.dumps(first.to_state()))
    resumed = Drain.from_state(saved)
    assert resumed.config == config
    assert resumed.templates() == first.templates()
    got += [resumed.add(line) for line in LINES[6:]]
    assert got == expected
    assert resumed.to_state() == whole.to_state()


def test_a_state_of_another_version_or_out_of_order_is_refused() -> None:
    state = Drain(PLAIN).to_state()
    with pytest.raises(Invalid):
        Drain.from_state({**state, "version": 99})
    drain = Drain(PLAIN)
    drain.add("a b")
    bad = drain.to_state()
    bad["clusters"][0][0] = 5
    with pytest.raises(Invalid):
        Drain.from_state(bad)


def test_match_reads_without_changing() -> None:
    drain = Drain(PLAIN)
    drain.add("user alice logged in")
    before = drain.to_state()
    assert drain.match("user bob logged in") == 1
    assert drain.match("nothing like it") is None
    assert drain.to_state() == before


@pytest.mark.parametrize(
    "bad", [{"depth": 2}, {"similarity": 1.5}, {"similarity": -0.1}, {"max_children": 1}]
)
def test_bad_configurations_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(Invalid):
        DrainConfig(**bad)  # type: ignore[arg-type]


def test_dates_empty_brackets_and_ip_named_hosts_are_variables() -> None:
    drain = Drain()
    lines = [
        "connection from 62.99.164.82 (62.99.164.82.sh.interxion.inode.at) at Sun Jul  3 23:16:09 2005",
        "connection from 24.54.76.216 (24-54-76-216.bflony.adelphia.net) at Mon Jul  4 02:01:45 2005",
        "connection from 211.72.2.106 () at Tue Jul 12 10:12:00 2005",
    ]  # fmt: skip
    ids = {drain.add(line)[0] for line in lines}
    assert len(ids) == 1
    assert drain.templates()[ids.pop()] == "connection from <*> (<*>) at <*>"
    plain = Drain()
    assert plain.add("dial 10.0.0.1:80 now")[1] == "dial <*> now"  # an address is still one
