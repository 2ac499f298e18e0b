"""Scenario files (simulator/scenario.py) and the scenarios shipped with the simulator.

The shipped scenarios load and drive machines; selections, groups and
timed lists resolve per machine; every kind of bad file is refused with a
ScenarioError that names the file, the key path and the reason.
"""

from __future__ import annotations

import random
import tomllib
from pathlib import Path

import pytest

from simulator.activity import ActivityRates
from simulator.incidents import Incident
from simulator.model import MachineModel
from simulator.scenario import (
    Scenario,
    ScenarioError,
    builtin_scenario,
    list_builtin,
    load_scenario,
    parse_scenario,
    select,
    selects,
)

ROOT = Path(__file__).resolve().parents[2]
FOUR = ["sim-001", "sim-002", "sim-003", "sim-004"]


# --- the shipped scenarios ------------------------------------------------------------


def test_three_scenarios_are_shipped_as_package_data() -> None:
    assert list_builtin() == ["busy_friday", "hostile_line", "quiet_night"]
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = pyproject["tool"]["setuptools"]["package-data"]["simulator"]
    assert "scenarios/*.toml" in package_data


@pytest.mark.parametrize("name", list_builtin())
def test_every_shipped_scenario_loads_and_fits_four_machines(name: str) -> None:
    path = builtin_scenario(name)
    scenario = load_scenario(path)
    assert scenario.source == str(path)
    scenario.check_machines(FOUR)


def test_builtin_names_may_carry_the_suffix() -> None:
    assert builtin_scenario("quiet_night.toml") == builtin_scenario("quiet_night")
    with pytest.raises(ValueError, match="no built-in scenario 'nope'; there are: busy_friday"):
        builtin_scenario("nope")


def test_the_shipped_scenarios_say_what_their_names_say() -> None:
    quiet = load_scenario(builtin_scenario("quiet_night"))
    busy = load_scenario(builtin_scenario("busy_friday"))
    hostile = load_scenario(builtin_scenario("hostile_line"))
    assert quiet.faults == busy.faults == Scenario().faults  # a clean line
    assert quiet.incidents == []
    assert busy.defaults.games_per_minute > 4 * quiet.defaults.games_per_minute
    assert busy.defaults.handpays_per_hour > 0 and busy.defaults.door_openings_per_hour > 0
    assert len(busy.incidents) >= 3
    faults = hostile.faults
    assert min(faults.bit_flip, faults.drop_byte, faults.garbage, faults.late_reply) > 0
    assert {"silence", "power_cycle", "fifo_overflow"} <= {f.kind for f in faults.timed}


def test_busy_friday_drives_four_machines() -> None:
    scenario = load_scenario(builtin_scenario("busy_friday"))
    for index, machine_id in enumerate(FOUR):
        model = MachineModel(
            machine_id,
            random.Random(scenario.seed + index),
            rates=scenario.rates_for(index, machine_id),
        )
        for scripted in scenario.incidents_for(index, machine_id):
            model.incident(scripted.kind, scripted.at, **scripted.params)
            assert model.accounting_errors() == []
        model.advance(1800.0)
        assert model.accounting_errors() == [] and model.meters.games_played > 0


# --- selections, groups, timed lists --------------------------------------------------


def test_an_empty_file_is_all_defaults() -> None:
    scenario = parse_scenario("")
    assert (scenario.seed, scenario.groups, scenario.incidents) == (1, [], [])
    assert scenario.rates_for(0, "sim-001") == ActivityRates()
    assert scenario.source == "<scenario>"


def test_selections() -> None:
    ids = ["a", "b", "c", "d", "e", "12"]
    assert select(["all"], ids) == [0, 1, 2, 3, 4, 5]
    assert select(["2", "4-5"], ids) == [1, 3, 4]
    assert select(["c", "1"], ids) == [0, 2]
    assert select(["5-6", "6"], ids) == [4, 5]
    assert Scenario.select(["12"], [str(n) for n in range(20)]) == [11]  # digits are numbers
    assert selects(["sim-014"], 13, "sim-014") and not selects(["sim-014"], 13, "sim-015")


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        (["7"], "'7' is beyond the 6 machines"),
        (["2-9"], "'2-9' is beyond the 6 machines"),
        (["zz"], "no machine has the id 'zz'"),
    ],
)
def test_unknown_machines_are_refused(selection: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        select(selection, ["a", "b", "c", "d", "e", "f"])


def test_groups_override_defaults_in_file_order() -> None:
    scenario = parse_scenario(
        """
        [defaults]
        games_per_minute = 5
        bills_per_hour = 2.5
        [[groups]]
        machines = [1, "3-4"]
        games_per_minute = 10
        [[groups]]
        machines = ["sim-004"]
        games_per_minute = 20
        tilts_per_hour = 1
        """
    )
    rates = [scenario.rates_for(i, machine_id) for i, machine_id in enumerate(FOUR)]
    assert [r.games_per_minute for r in rates] == [10.0, 5.0, 10.0, 20.0]
    assert {r.bills_per_hour for r in rates} == {2.5}
    assert [r.tilts_per_hour for r in rates] == [0.2, 0.2, 0.2, 1.0]
    assert scenario.groups[0].machines == ["1", "3-4"]


def test_incidents_and_timed_faults_per_machine_in_time_order() -> None:
    scenario = parse_scenario(
        """
        [[incidents]]
        at = 50
        machines = ["2"]
        kind = "bill"
        params = { dollars = 50 }
        [[incidents]]
        at = 10
        machines = ["all"]
        kind = "options_changed"
        [[faults.timed]]
        at = 30
        machines = ["sim-002"]
        kind = "late_reply"
        seconds = 2
        [[faults.timed]]
        at = 5
        machines = ["1-2"]
        kind = "silence"
        seconds = 1.5
        """
    )
    first = scenario.incidents_for(0, "sim-001")
    assert [(i.at, i.kind) for i in first] == [(10.0, "options_changed")]
    second = scenario.incidents_for(1, "sim-002")
    assert [(i.at, i.kind) for i in second] == [(10.0, "options_changed"), (50.0, "bill")]
    assert second[1].incident == Incident(kind="bill", amount=50)
    faults = scenario.timed_faults_for(1, "sim-002")
    assert [(f.at, f.kind, f.seconds) for f in faults] == [
        (5.0, "silence", 1.5),
        (30.0, "late_reply", 2.0),
    ]
    assert scenario.timed_faults_for(2, "sim-003") == []


def test_check_machines_names_every_selection_that_misses(tmp_path: Path) -> None:
    path = tmp_path / "floor.toml"
    path.write_text(
        """
        [[groups]]
        machines = ["1-9"]
        [[incidents]]
        at = 1
        machines = ["all", "sim-099"]
        kind = "card_out"
        [[faults.timed]]
        at = 1
        machines = ["5"]
        kind = "fifo_overflow"
        """,
        encoding="utf-8",
    )
    scenario = load_scenario(path)
    with pytest.raises(ScenarioError) as caught:
        scenario.check_machines(FOUR)
    assert caught.value.problems == [
        ("groups[0].machines", "'1-9' is beyond the 4 machines"),
        ("incidents[0].machines", "no machine has the id 'sim-099'"),
        ("faults.timed[0].machines", "'5' is beyond the 4 machines"),
    ]
    assert str(caught.value).splitlines()[0] == (
        f"{path}: groups[0].machines: '1-9' is beyond the 4 machines"
    )
    scenario.check_machines([f"m{n}" for n in range(8)] + ["sim-099"])


# --- bad files ------------------------------------------------------------------------

BAD_FILES = [
    ("sed = 3", "sed", "Extra inputs are not permitted"),
    ("[defaults]\ngames_per_minut = 3", "defaults.games_per_minut", "Extra inputs"),
    ('[defaults]\ngames_per_minute = "fast"', "defaults.games_per_minute", "valid number"),
    ("[defaults]\nbills_per_hour = -1", "defaults.bills_per_hour", "greater than or equal to 0"),
    ("[defaults]\nbills_per_hour = inf", "defaults.bills_per_hour", "finite number"),
    ('seed = "42"', "seed", "valid integer"),
    ("[faults]\nbit_flip = 1.5", "faults.bit_flip", "less than or equal to 1"),
    ("[faults]\ngarbage = -0.1", "faults.garbage", "greater than or equal to 0"),
    ("[faults]\nlate_reply_ms = 10", "faults.late_reply_ms", "greater than 20"),
    ('[[groups]]\nmachines = ["8-1"]', "groups[0].machines[0]", "bad range '8-1'"),
    ('[[groups]]\nmachines = ["0"]', "groups[0].machines[0]", "machine numbers start at 1"),
    ("[[groups]]\nmachines = [1.5]", "groups[0].machines[0]", "expected a machine number"),
    ('[[groups]]\nmachines = [" "]', "groups[0].machines[0]", "expected a machine number"),
    ("[[groups]]\nmachines = []", "groups[0].machines", "at least 1 item"),
    ("[[groups]]\ngames_per_minute = 2", "groups[0].machines", "Field required"),
    (
        '[[groups]]\nmachines = ["all"]\ngames_per_minute = -2',
        "groups[0].games_per_minute",
        "greater than or equal to 0",
    ),
    (
        '[[incidents]]\nat = 1\nmachines = ["all"]\nkind = "explode"\nparams = { x = 1 }',
        "incidents[0].kind",
        "Input should be 'door_open'",
    ),
    (
        '[[incidents]]\nat = 1\nmachines = ["all"]\nkind = "door_open"\nparams = { door = "roof" }',
        "incidents[0].params",
        "parameter 'door' must be one of: slot",
    ),
    (
        '[[incidents]]\nat = -1\nmachines = ["all"]\nkind = "card_out"',
        "incidents[0].at",
        "greater than or equal to 0",
    ),
    (
        '[[faults.timed]]\nat = 1\nmachines = ["1"]\nkind = "meltdown"',
        "faults.timed[0].kind",
        "Input should be 'silence'",
    ),
    (
        '[[faults.timed]]\nat = 1\nmachines = ["1"]\nkind = "silence"',
        "faults.timed[0]",
        "a silence needs 'seconds' > 0",
    ),
    ("seed = ", "", "TOML syntax error"),
]


@pytest.mark.parametrize(
    ("text", "where", "why"), BAD_FILES, ids=[w or "syntax" for _, w, _ in BAD_FILES]
)
def test_bad_files_name_the_file_the_key_and_the_reason(
    tmp_path: Path, text: str, where: str, why: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    error = caught.value
    assert isinstance(error, ValueError) and error.source == str(path)
    ((key_path, reason),) = error.problems
    assert key_path == where and why in reason
    prefix = f"{path}: {where}: " if where else f"{path}: "
    assert str(error).startswith(prefix + reason[:10])


def test_every_problem_of_a_file_is_reported() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario("seed = 1.5\n[faults]\ndrop_byte = 2", source="two.toml")
    assert [where for where, _ in caught.value.problems] == ["seed", "faults.drop_byte"]
    assert str(caught.value).count("two.toml: ") == 2


def test_a_missing_file_is_a_scenario_error(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"
    with pytest.raises(ScenarioError, match=r"missing\.toml: cannot read the file"):
        load_scenario(path)
