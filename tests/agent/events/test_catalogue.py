"""The catalogue: every canonical event has a stable, routable name on one channel."""

from __future__ import annotations

import re

import pytest

from agent.events.catalogue import EVENTS, channel_of, event_spec, is_routing_word, names_on
from agent.events.envelope import Channel

CAMEL = re.compile(r"[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)*")
SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_every_name_is_camel_case_and_routing_safe(name: str) -> None:
    spec = EVENTS[name]
    assert spec.name == name
    assert CAMEL.fullmatch(name)
    assert is_routing_word(name)
    assert spec.summary
    assert len(set(spec.fields)) == len(spec.fields)
    assert all(SNAKE.fullmatch(key) for key in spec.fields)


def test_routing_words() -> None:
    assert is_routing_word("doorOpened")
    assert is_routing_word("A12")
    for bad in ("", "door.opened", "door*", "#", "door opened", "café"):
        assert not is_routing_word(bad)


def test_every_channel_has_events_and_lookups_behave() -> None:
    for channel in Channel:
        assert names_on(channel)
    assert "doorOpened" in names_on(Channel.ENTRIES)
    assert event_spec("noSuchEvent") is None
    with pytest.raises(KeyError):
        channel_of("noSuchEvent")


def test_the_non_exception_events_exist() -> None:
    for name, channel in (
        ("online", Channel.SYSTEM),
        ("offline", Channel.SYSTEM),
        ("machineIdentified", Channel.SYSTEM),
        ("metersRead", Channel.SYSTEM),
        ("romSignatureReported", Channel.SYSTEM),
        ("storeCorrupted", Channel.SYSTEM),
        ("storeFull", Channel.SYSTEM),
        ("storeRecovered", Channel.SYSTEM),
        ("handpayDetailsRead", Channel.CASH),
        ("validationDetailsRead", Channel.CASH),
        ("billDetailsRead", Channel.CASH),
        ("cashoutDetailsRead", Channel.CASH),
        ("ticketInDetailsRead", Channel.CASH),
    ):
        assert channel_of(name) is channel
