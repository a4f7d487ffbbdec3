"""Signed button values: tampered, swapped, malformed and expired values are refused."""

from __future__ import annotations

import pytest

from bot.slack.approvals import APPROVAL, INCIDENT, ButtonError, ButtonSigner


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_round_trip_and_binding_to_action_and_kind() -> None:
    clock = Clock(1_000)
    signer = ButtonSigner("s3cret", clock=clock)
    value = signer.sign(APPROVAL, "ap-0123456789ab", "approve", expires=2_000)
    assert len(value) < 2000
    checked = signer.verify(APPROVAL, value, "approve")
    assert (checked.subject, checked.action, checked.expires) == (
        "ap-0123456789ab",
        "approve",
        2000,
    )
    with pytest.raises(ButtonError, match="signature is invalid"):
        signer.verify(INCIDENT, value, "approve")  # an approval value is no incident value
    with pytest.raises(ButtonError, match="not 'reject'"):
        signer.verify(APPROVAL, value, "reject")  # Approve's value on the Reject button


@pytest.mark.parametrize(
    "tamper",
    [
        lambda v: v.replace("ap-0123456789ab", "ap-ffffffffffff"),  # another approval
        lambda v: v.replace("|2000|", "|9999|"),  # pushed-back expiry
        lambda v: v[:-1] + ("0" if v[-1] != "0" else "1"),  # flipped MAC digit
        lambda v: v.replace("approve", "reject"),  # swapped action, same MAC
    ],
)
def test_tampered_values_are_refused(tamper) -> None:  # type: ignore[no-untyped-def]
    signer = ButtonSigner("s3cret", clock=Clock(1_000))
    value = signer.sign(APPROVAL, "ap-0123456789ab", "approve", expires=2_000)
    with pytest.raises(ButtonError, match="signature is invalid"):
        signer.verify(APPROVAL, tamper(value), "approve")


@pytest.mark.parametrize("value", ["", "clicked", "a|b|c", "a|b|notanumber|mac", "|||"])
def test_malformed_values_are_refused(value: str) -> None:
    with pytest.raises(ButtonError, match=r"malformed|signature"):
        ButtonSigner("s3cret").verify(APPROVAL, value, "approve")


def test_other_secret_is_refused_and_expiry_is_enforced() -> None:
    clock = Clock(1_000)
    signer = ButtonSigner("s3cret", clock=clock)
    value = signer.sign(APPROVAL, "ap-0123456789ab", "approve", expires=2_000)
    with pytest.raises(ButtonError, match="signature is invalid"):
        ButtonSigner("other", clock=clock).verify(APPROVAL, value, "approve")
    clock.now = 2_000
    with pytest.raises(ButtonError, match="expired") as info:
        signer.verify(APPROVAL, value, "approve")
    assert info.value.expired and info.value.subject == "ap-0123456789ab"
    forever = signer.sign(INCIDENT, "42", "ack")
    clock.now = 10**10
    assert signer.verify(INCIDENT, forever, "ack").subject == "42"


def test_bad_construction_is_refused() -> None:
    with pytest.raises(ValueError, match="non-empty secret"):
        ButtonSigner("")
    with pytest.raises(ValueError, match="must not contain"):
        ButtonSigner("x").sign(APPROVAL, "a|b", "approve")
