"""SasEventMapper: exceptions, real-time event data, link, identification, meters."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.events.envelope import Channel
from agent.lines.sas.mapper import (
    BILL_CODE_CENTS,
    MachineInfo,
    SasEventMapper,
    UnknownMachineError,
)
from protocols.line import FaultReceived, LinkDown, LinkUp, PollFailed
from protocols.sas.messages import LastBill, RteEvent
from protocols.sas.messages.events import (
    CardHeld,
    EventData,
    GameEnded,
    GameRecall,
    GameSelected,
    GameStarted,
    LegacyBonus,
    ReelStopped,
)
from protocols.sas.requests import read
from protocols.sas.session_types import (
    CommandCompleted,
    ExceptionReported,
    MachineIdentified,
    MachineProfile,
    MeterMethod,
    MetersRead,
)
from tests.agent.events.helpers import (
    NOW,
    envelope,
    exception,
    identified,
    mapper,
    meters_read,
    one,
    profile,
)
from tests.protocols.sas.strategies import EVENT_DATA_BY_CODE, PROPERTY_SETTINGS

# --- envelope basics and link events ---------------------------------------------------


def test_link_up_and_down_are_online_and_offline() -> None:
    m = mapper()
    online = one(m.map(LinkUp(address=1)))
    offline = one(m.map(LinkDown(address=1, reason="no_reply")))
    assert (online.event, online.channel, dict(online.data)) == ("online", Channel.SYSTEM, {})
    assert (offline.event, offline.channel) == ("offline", Channel.SYSTEM)
    assert dict(offline.data) == {"reason": "no_reply"}
    for event in (online, offline):
        assert dict(event.raw) == {"protocol": "sas"}
        assert event.meters is None


def test_every_event_is_stamped_with_the_clock_and_the_configured_names() -> None:
    event = one(mapper().map(exception(0x11)))
    assert event.timestamp == NOW
    assert event.machine == "Slot-A12"
    assert event.line == "bank-a"
    assert event.protocol == "sas"
    assert event.machine_time is None
    assert event.possible_duplicate is False
    doc = envelope(event)
    assert doc["timestamp"] == "2026-11-22T10:15:03.120Z"
    assert doc["channel"] == "entries"


def test_the_clock_may_be_in_any_zone_the_event_is_utc() -> None:
    local = NOW.astimezone(timezone(timedelta(hours=2)))
    m = SasEventMapper("bank-a", {1: MachineInfo(id="A1")}, "USD", lambda: local)
    assert one(m.map(LinkUp(address=1))).timestamp == NOW


def test_a_naive_clock_is_a_bug() -> None:
    m = SasEventMapper("bank-a", {1: MachineInfo(id="A1")}, "USD", lambda: datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        m.map(LinkUp(address=1))


def test_an_unconfigured_address_is_a_wiring_bug() -> None:
    m = mapper()
    with pytest.raises(UnknownMachineError) as info:
        m.map(LinkUp(address=2))
    assert (info.value.line, info.value.address) == ("bank-a", 2)
    with pytest.raises(UnknownMachineError):
        m.meters(5)


@pytest.mark.parametrize("denomination", [0, -5])
def test_machine_info_validates(denomination: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        MachineInfo(id="A1", denomination_cents=denomination)
    with pytest.raises(ValueError, match="id"):
        MachineInfo(id="")


def test_counters_and_audit_are_not_events() -> None:
    m = mapper()
    request = read(1, 0x1A)
    assert m.map(CommandCompleted(address=1, tag="t", request=request, ok=True)) == []
    assert m.map(PollFailed(address=1, command=0x1A, reason="no_reply")) == []
    assert m.map(FaultReceived(address=None, kind="bad_crc", reason="crc", raw=b"\x01")) == []


# --- identification and the denomination ----------------------------------------------


def test_machine_identified_describes_the_machine_and_sets_the_denomination() -> None:
    m = mapper()
    assert m.denomination_cents(1) is None
    event = one(m.map(MachineIdentified(address=1, profile=profile(5))))
    assert (event.event, event.channel) == ("machineIdentified", Channel.SYSTEM)
    assert dict(event.raw) == {"protocol": "sas"}
    assert dict(event.data) == {
        "address": 1,
        "sas_version": "602",
        "serial": "000123",
        "denomination_cents": 5,
        "reported_denomination_cents": 5,
        "game_id": "AT",
        "paytable_id": "ABC123",
        "base_percent": "9068",
        "max_bet": 5,
        "game_count": 1,
        "games": [1, 7],
        "features": {
            "aft": True,
            "extended_meters": True,
            "ticket_redemption": True,
            "validation_extensions": False,
            "multi_denom": False,
            "fast_polling": True,
        },
        "meter_method": "extended",
    }
    assert m.denomination_cents(1) == 5


def test_an_empty_profile_gives_nulls() -> None:
    event = one(mapper().map(MachineIdentified(address=1, profile=MachineProfile(address=1))))
    data = dict(event.data)
    assert data["denomination_cents"] is None
    assert data["sas_version"] is None
    assert data["features"] is None
    assert data["meter_method"] is None
    assert data["games"] == []
    envelope(event)


def test_the_configured_denomination_overrides_the_machine() -> None:
    m = identified(1, override=25)
    assert m.denomination_cents(1) == 25
    data = dict(one(m.map(MachineIdentified(address=1, profile=profile(1)))).data)
    assert (data["denomination_cents"], data["reported_denomination_cents"]) == (25, 1)


def test_the_last_identification_wins() -> None:
    m = identified(5)
    m.map(MachineIdentified(address=1, profile=profile(None)))
    assert m.denomination_cents(1) is None


# --- exceptions --------------------------------------------------------------------------


def test_a_plain_exception_has_its_catalogue_name_and_raw_code() -> None:
    event = one(mapper().map(exception(0x13)))
    assert (event.event, event.channel) == ("doorOpened", Channel.ENTRIES)
    assert dict(event.data) == {"door": "drop"}
    assert dict(event.raw) == {"protocol": "sas", "code": 0x13, "data": ""}


def test_an_unknown_code_is_kept_with_its_raw_code() -> None:
    event = one(mapper().map(exception(0xE5)))
    assert (event.event, event.channel) == ("unknownException", Channel.SYSTEM)
    assert dict(event.data) == {"code": 0xE5}
    assert event.raw["code"] == 0xE5


def test_an_unknown_rte_code_keeps_its_data_bytes() -> None:
    event = one(mapper().map(exception(0xE5, raw_data=b"\x01\xab", rte=True)))
    assert event.raw["data"] == "01AB"


def test_malformed_rte_data_keeps_the_event_and_the_bytes() -> None:
    event = one(mapper(5).map(exception(0x7F, raw_data=b"\xff" * 4, rte=True)))
    assert event.event == "gameEnded"
    assert dict(event.data) == {}
    assert event.raw["data"] == "FFFFFFFF"


def test_events_lost_says_a_reconciling_meter_read_follows() -> None:
    event = one(mapper().map(exception(0x70)))
    assert (event.event, event.channel) == ("eventsLost", Channel.SYSTEM)
    assert dict(event.data) == {"reconcile": "metersRead follows"}
    assert event.raw["code"] == 0x70


@pytest.mark.parametrize(
    ("code", "cents"),
    [(0x47, 100), (0x48, 500), (0x49, 1_000), (0x4A, 2_000), (0x4B, 5_000), (0x4C, 10_000),
     (0x4D, 200), (0x4E, 50_000), (0x50, 20_000)],
)  # fmt: skip
def test_non_rte_bills_carry_the_note_of_their_code(code: int, cents: int) -> None:
    event = one(mapper().map(exception(code)))  # no denomination needed: notes are money
    assert (event.event, event.channel) == ("billAccepted", Channel.CASH)
    assert dict(event.data) == {"amount_cents": cents, "currency": "USD"}
    assert dict(event.raw) == {"protocol": "sas", "code": code, "data": ""}
    assert BILL_CODE_CENTS[code] == cents


def test_a_non_rte_4f_bill_has_no_amount_until_its_details() -> None:
    event = one(mapper().map(exception(0x4F)))
    assert event.event == "billAccepted"
    assert dict(event.data) == {}


def test_an_rte_bill_carries_note_country_and_lifetime_count() -> None:
    bill = LastBill(country=37, bill_code=0x04, count=12)
    event = one(mapper().map(exception(0x4F, bill, bill.encode())))
    assert event.event == "billAccepted"
    assert dict(event.data) == {
        "amount_cents": 2_000,
        "currency": "USD",
        "country": 37,
        "bill_code": 4,
        "bill_count": 12,
    }
    assert event.raw["data"] == "37040000" + "0012"


def test_an_rte_bill_of_an_unknown_note_keeps_the_code() -> None:
    bill = LastBill(country=37, bill_code=0x99, count=1)
    data = dict(one(mapper().map(exception(0x4F, bill, bill.encode()))).data)
    assert "amount_cents" not in data
    assert data["bill_code"] == 0x99


GAME_STARTED = GameStarted(
    credits_wagered=40, coin_in_meter=123_400, wager_type=0, progressive_group=2
)


@pytest.mark.parametrize("denomination", [1, 5, 100])
def test_rte_game_started_and_ended_in_cents(denomination: int) -> None:
    m = identified(denomination)
    started = one(m.map(exception(0x7E, GAME_STARTED, GAME_STARTED.encode())))
    assert (started.event, started.channel) == ("gameStarted", Channel.GAME)
    assert dict(started.data) == {
        "wager_cents": 40 * denomination,
        "coin_in_meter_cents": 123_400 * denomination,
        "currency": "USD",
        "wager_type": 0,
        "progressive_group": 2,
    }
    assert started.raw["data"] == GAME_STARTED.encode().hex().upper()
    ended = one(m.map(exception(0x7F, GameEnded(win=250))))
    assert (ended.event, ended.channel) == ("gameEnded", Channel.GAME)
    assert dict(ended.data) == {"win_cents": 250 * denomination, "currency": "USD"}


def test_rte_game_amounts_stay_credits_when_the_denomination_is_unknown() -> None:
    m = identified(None)
    started = one(m.map(exception(0x7E, GAME_STARTED)))
    assert dict(started.data) == {
        "wager_credits": 40,
        "coin_in_meter_credits": 123_400,
        "denomination_unknown": True,
        "wager_type": 0,
        "progressive_group": 2,
    }
    ended = one(m.map(exception(0x7F, GameEnded(win=250))))
    assert dict(ended.data) == {"win_credits": 250, "denomination_unknown": True}


def test_the_override_denomination_applies_before_identification() -> None:
    ended = one(mapper(override=25).map(exception(0x7F, GameEnded(win=4))))
    assert dict(ended.data) == {"win_cents": 100, "currency": "USD"}


def test_non_rte_game_events_have_no_amounts() -> None:
    m = identified(5)
    assert dict(one(m.map(exception(0x7E))).data) == {}
    assert dict(one(m.map(exception(0x7F))).data) == {}


def test_rte_bonus_reel_recall_card_and_game_data() -> None:
    m = identified(5)
    bonus = LegacyBonus(multiplier=2, multiplied_win=100, tax_status=1, bonus=30)
    event = one(m.map(exception(0x7C, bonus)))
    assert (event.event, event.channel) == ("bonusAwarded", Channel.CASH)
    assert dict(event.data) == {
        "multiplier": 2,
        "multiplied_win_cents": 500,
        "currency": "USD",
        "tax_status": 1,
        "bonus_cents": 150,
    }
    event = one(m.map(exception(0x88, ReelStopped(reel=2, stop=17))))
    assert (event.event, dict(event.data)) == ("reelStopped", {"reel": 2, "stop": 17})
    event = one(m.map(exception(0x8A, GameRecall(game=3, entry=4))))
    assert (event.event, dict(event.data)) == ("gameRecallDisplayed", {"game": 3, "entry": 4})
    event = one(m.map(exception(0x8B, CardHeld(value=0x12))))
    assert (event.event, dict(event.data)) == ("cardHoldChanged", {"card_byte": 0x12})
    event = one(m.map(exception(0x8C, GameSelected(game=7))))
    assert (event.event, event.channel, dict(event.data)) == (
        "gameSelected",
        Channel.GAME,
        {"game": 7},
    )


def test_the_gate_is_not_part_of_the_event() -> None:
    doc = envelope(one(mapper().map(exception(0x51))))
    assert "gate" not in str(doc)


# --- meters ------------------------------------------------------------------------------

METERS = {0x00: 1_000, 0x01: 800, 0x05: 50, 0x0C: 200, 0x0D: 2_500, 0x24: 900}


def test_meters_read_names_and_converts_the_meters() -> None:
    m = identified(5)
    event = one(m.map(meters_read(METERS, reason="reconcile")))
    assert (event.event, event.channel) == ("metersRead", Channel.SYSTEM)
    assert dict(event.data) == {"reason": "reconcile", "rebase": False, "method": "selected"}
    assert event.meters == {
        "coin_in_cents": 5_000,
        "coin_out_cents": 4_000,
        "games_played": 50,
        "credit_meter_cents": 1_000,
        "ticket_in_cents": 2_500,
        "total_drop_cents": 4_500,
    }
    assert dict(event.raw) == {"protocol": "sas"}
    assert m.meters(1) == event.meters


def test_meters_stay_credits_and_are_flagged_without_a_denomination() -> None:
    event = one(mapper().map(meters_read({0x00: 1_000, 0x05: 50})))
    assert event.meters == {"coin_in_credits": 1_000, "games_played": 50}
    assert event.data["denomination_unknown"] is True


def test_cash_events_carry_the_last_snapshot_and_others_do_not() -> None:
    m = identified(1)
    assert m.meters(1) is None
    assert one(m.map(exception(0x4A))).meters is None  # no sweep yet
    m.map(meters_read({0x00: 10}))
    m.map(meters_read({0x00: 20, 0x05: 2}))
    snapshot = {"coin_in_cents": 20, "games_played": 2}
    for code in (0x4A, 0x51, 0x3D, 0x67, 0x2B):
        event = one(m.map(exception(code)))
        assert event.channel is Channel.CASH
        assert event.meters == snapshot
    for code in (0x11, 0x7E, 0x17, 0x9E):
        event = one(m.map(exception(code)))
        assert event.channel is not Channel.CASH
        assert event.meters is None
    assert one(m.map(LinkUp(address=1))).meters is None


def test_a_rebase_sweep_says_so() -> None:
    sweep = MetersRead(
        address=1, meters={0x00: 0}, reason="rebase", rebase=True, method=MeterMethod.EXTENDED
    )
    event = one(identified(1).map(sweep))
    assert dict(event.data) == {"reason": "rebase", "rebase": True, "method": "extended"}
    assert event.meters == {"coin_in_cents": 0}


# --- properties --------------------------------------------------------------------------

rte_data: st.SearchStrategy[EventData | None] = st.one_of(st.none(), *EVENT_DATA_BY_CODE.values())


@PROPERTY_SETTINGS
@given(
    code=st.integers(min_value=0, max_value=0xFF),
    rte=st.booleans(),
    data=rte_data,
    raw_data=st.binary(max_size=12),
    denomination=st.sampled_from([None, 1, 5, 100]),
)
def test_any_exception_maps_to_exactly_one_comparable_event(
    code: int, rte: bool, data: EventData | None, raw_data: bytes, denomination: int | None
) -> None:
    m = identified(denomination)
    rte_event = RteEvent(code=code, data=data, raw_data=raw_data) if rte else None
    report = ExceptionReported(address=1, code=code, info=None, event=rte_event, gate=1)
    event = one(m.map(report))
    assert event.raw["code"] == code
    assert event.raw["protocol"] == "sas"
    assert "longpoll" not in event.raw
    assert event.raw["data"] == (raw_data.hex().upper() if rte else "")
    doc = envelope(event)
    assert doc["raw"]["code"] == code
    money = [key for key in doc["data"] if key.endswith(("_cents", "_credits"))]
    assert all(isinstance(doc["data"][key], int) for key in money)
