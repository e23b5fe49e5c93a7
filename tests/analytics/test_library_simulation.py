"""Tier-1 resolution, measured: simulated customers walk trees with the real engine, and the figures they give.

Tiny hand-made trees whose shares are known analytically; hand-overs followed with the facts carried; an agent
taking over where self-service stops; the detector of line visits without the checks; the call-volume table.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from triage.analytics.simulation import (
    LibraryFigures,
    is_line_skill,
    simulate_library,
    simulate_tree,
    tree_faults,
)
from triage.analytics.simulation_report import library_csv, render_library
from triage.analytics.volumes import CALL_VOLUMES, parse_call_volumes, read_call_volumes
from triage.cli import main
from triage.desk import simulation as desk_simulation
from triage.errors import CallVolumeError, LibraryError
from triage.trees.library import Library
from triage.walk.scenarios import library_from_texts, load_library

ONE_FIX = """
id: one-fix
title: One fix
category: connectivity
start: restart
faults:
  - {id: hung, prior: 1.0}
nodes:
  - id: restart
    kind: action
    text: Restart the router.
    minutes: 5
    fixes: {hung: 0.8}
    on_fixed: fixed
    on_not_fixed: tier2
  - id: fixed
    kind: outcome
    outcome: resolved
    fault: hung
    text: Fixed.
  - id: tier2
    kind: outcome
    outcome: escalate
    queue: tier2-support
    text: Tier 2 takes it.
"""

# the customer's answer follows the fault: only the "red" branch leads to the fix of a loose cable
TWO_FAULTS = """
id: two-faults
title: Two faults
category: connectivity
start: light
faults:
  - {id: loose_cable, prior: 0.6}
  - {id: line_fault, prior: 0.4, resolved_by: onsite}
nodes:
  - id: light
    kind: question
    text: Is the light red?
    options:
      - {label: Red, value: red, next: cable}
      - {label: Green, value: green, next: line_visit}
  - id: cable
    kind: action
    text: Push the cable in.
    fixes: {loose_cable: 1.0}
    on_fixed: fixed
    on_not_fixed: line_visit
  - id: fixed
    kind: outcome
    outcome: resolved
    text: Fixed.
  - id: line_visit
    kind: outcome
    outcome: visit
    skill: broadband-line
    text: A technician comes.
"""

FRONT = """
id: front
title: Front
category: connectivity
start: device
faults:
  - {id: phone_setting, prior: 1.0}
nodes:
  - id: device
    kind: question
    fact: device
    text: Which device?
    options:
      - {label: Phone, value: phone, next: over}
      - {label: Laptop, value: laptop, next: over}
  - id: over
    kind: outcome
    outcome: handover
    tree: back
    text: On to the device guide.
"""

BACK = """
id: back
title: Back
category: connectivity
start: route
facts:
  device: {type: choice, choices: [phone, laptop]}
faults:
  - {id: phone_setting, prior: 1.0}
nodes:
  - id: route
    kind: logic
    rules:
      - {when: "device == 'phone'", next: setting}
    default: tier2
  - id: setting
    kind: action
    text: Switch the setting back.
    minutes: 2
    fixes: {phone_setting: 1.0}
    on_fixed: fixed
    on_not_fixed: tier2
  - id: fixed
    kind: outcome
    outcome: resolved
    text: Fixed.
  - id: tier2
    kind: outcome
    outcome: escalate
    queue: tier2-support
    text: Tier 2 takes it.
"""

AGENT_STEP = """
id: agent-step
title: Agent step
category: software
start: reset
faults:
  - {id: locked, prior: 1.0}
nodes:
  - id: reset
    kind: action
    performer: agent
    text: Unlock the account from the console.
    minutes: 4
    fixes: {locked: 1.0}
    on_fixed: fixed
    on_not_fixed: tier2
  - id: fixed
    kind: outcome
    outcome: resolved
    text: Unlocked.
  - id: tier2
    kind: outcome
    outcome: escalate
    queue: tier2-support
    text: Tier 2 takes it.
"""

CHECKED_LINE = """
id: checked-line
title: Checked line
category: connectivity
service: internet
start: outage
faults:
  - {id: line_fault, prior: 1.0, resolved_by: onsite}
nodes:
  - id: outage
    kind: logic
    rules:
      - {when: outage_in_area == true, next: known}
    default: line_test
  - id: line_test
    kind: check
    system: line_test
    text: We test your line.
    results:
      - {label: Fault, value: fault, next: line_visit}
      - {label: OK, value: ok, next: fine}
    on_unavailable: line_visit
  - id: line_visit
    kind: outcome
    outcome: visit
    skill: broadband-line
    text: A technician comes.
  - id: fine
    kind: outcome
    outcome: resolved
    text: The line is fine.
  - id: known
    kind: outcome
    outcome: diagnosis
    finding: An outage.
    customer_next_step: Wait for it to end.
    text: There is an outage in your area.
"""


def _library(*texts: str) -> Library:
    lib = library_from_texts({f"{i}.yaml": text for i, text in enumerate(texts)}, scenarios=False)
    assert not lib.broken, [d.message for d in lib.errors]
    return lib


def _inside(value: float, low: float, high: float) -> bool:
    return low <= value <= high


def test_one_fix_resolves_at_its_fix_chance() -> None:
    """One action that fixes the only fault at 0.8: about 80% resolved, the rest escalated, 5 minutes each."""
    f = simulate_tree(_library(ONE_FIX), "one-fix", customers=2000, seed=3, mode="agent")
    resolved, escalated = f.share("resolved"), f.share("escalate")
    assert _inside(0.8, resolved.low, resolved.high)
    assert resolved.high - resolved.low < 0.05
    assert f.counts["resolved"] + f.counts["escalate"] == 2000
    assert _inside(0.2, escalated.low, escalated.high)
    assert f.first_line == resolved
    assert f.minutes == pytest.approx(5.0)
    assert f.minutes_ci == pytest.approx(0.0)
    assert f.resolved_agent == f.counts["resolved"]
    assert f.resolved_self_service == 0
    assert f.priors == "authored"
    assert f.outage is None


def test_the_same_seed_gives_the_same_figures() -> None:
    """Deterministic for a seed; another seed draws other customers."""
    lib = _library(ONE_FIX, TWO_FAULTS)
    a = simulate_tree(lib, "two-faults", customers=300, seed=7)
    assert simulate_tree(lib, "two-faults", customers=300, seed=7) == a
    counts = {simulate_tree(lib, "one-fix", customers=300, seed=s).counts["resolved"] for s in range(4)}
    assert len(counts) > 1


def test_answers_follow_the_hidden_fault() -> None:
    """A loose cable says "red" and is fixed; a line fault says "green" and gets the visit: 60% / 40%."""
    f = simulate_tree(_library(TWO_FAULTS), "two-faults", customers=2000, seed=1, mode="agent")
    assert f.counts["resolved"] + f.counts["visit"] == 2000
    visits = f.share("visit")
    assert _inside(0.4, visits.low, visits.high)


HEALTHY_LINE = """
id: healthy-line
title: Healthy line
category: connectivity
start: test
faults:
  - {id: hung, prior: 0.4}
  - {id: elsewhere, prior: 0.3}
  - {id: unknown, prior: 0.3}
nodes:
  - id: test
    kind: check
    system: line_test
    text: Line test.
    results:
      - {label: OK, value: ok, next: restart}
      - {label: Fault, value: fault, next: tier2}
    on_unavailable: tier2
  - id: restart
    kind: action
    text: Restart the router.
    minutes: 5
    fixes: {hung: 1.0}
    on_fixed: fixed
    on_not_fixed: other
  - id: fixed
    kind: outcome
    outcome: resolved
    fault: hung
    text: Fixed.
  - id: other
    kind: outcome
    outcome: handover
    tree: one-fix
    fault: elsewhere
    text: Another problem.
  - id: tier2
    kind: outcome
    outcome: escalate
    queue: tier2-support
    text: Tier 2 takes it.
"""


def test_a_remote_check_reads_healthy_where_the_fault_leaves_it_alone() -> None:
    """A fault nothing in the tree names reads the line test as healthy (a random reading would send half of
    them to tier 2); a fault the hand-over names is led there. Hung: fixed; the rest go over to one-fix, where
    the action fixes 80%: 0.4 + 0.6 * 0.8 = 88% resolved, every escalation one-fix's (random: 76%)."""
    lib = _library(HEALTHY_LINE, ONE_FIX)
    f = simulate_tree(lib, "healthy-line", customers=2000, seed=4, mode="agent")
    resolved = f.share("resolved")
    assert _inside(0.88, resolved.low, resolved.high)
    assert f.counts["resolved"] + f.counts["escalate"] == 2000


def test_handover_is_followed_with_the_facts_carried() -> None:
    """The front tree hands over; the back tree routes on the carried `device`: phones (half) are fixed there."""
    lib = _library(FRONT, BACK)
    f = simulate_tree(lib, "front", customers=2000, seed=2, mode="agent")
    assert "handover" not in f.counts
    assert f.counts["resolved"] + f.counts["escalate"] == 2000
    resolved = f.share("resolved")
    assert _inside(0.5, resolved.low, resolved.high)
    assert f.minutes == pytest.approx(resolved.value * 2.0)  # the back tree's step counts in the contact


def test_an_agent_takes_over_where_self_service_stops() -> None:
    """A step only an agent may do: self-service alone escalates; in mode both the agent resolves it."""
    lib = _library(AGENT_STEP)
    alone = simulate_tree(lib, "agent-step", customers=200, mode="self_service")
    assert alone.counts == {"escalate": 200}
    both = simulate_tree(lib, "agent-step", customers=200, mode="both")
    assert both.counts == {"resolved": 200}
    assert (both.resolved_agent, both.resolved_self_service) == (200, 0)
    assert both.tier1.value == 1.0
    assert both.self_service.value == 0.0


def test_line_visits_without_the_checks_are_caught() -> None:
    """A line visit straight after a question is reported; behind an outage check and a line test it is not."""
    lib = _library(TWO_FAULTS, CHECKED_LINE)
    bad = simulate_tree(lib, "two-faults", customers=200, seed=0)
    assert len(bad.unchecked_line_visits) == bad.counts["visit"] > 0
    assert bad.unchecked_line_visits[0].endswith("ended at two-faults:line_visit")
    good = simulate_tree(lib, "checked-line", customers=200, seed=0)
    assert good.counts.get("visit", 0) > 0
    assert good.unchecked_line_visits == ()
    assert is_line_skill("broadband-line")
    assert is_line_skill("cable-tv")
    assert not is_line_skill("pc-hardware")


def test_an_outage_declared_is_a_separate_figure() -> None:
    """The same customers with an outage in their area are told of it and get no visit."""
    f = simulate_tree(_library(CHECKED_LINE), "checked-line", customers=100, seed=0, mode="self_service")
    assert f.outage is not None
    assert f.outage.counts == {"diagnosis": 100}
    assert f.outage.outage_told == 100
    assert f.outage_told == 0


def test_library_figures_weight_each_tree_by_its_volume() -> None:
    """The library's share is the volume-weighted mean of the trees' shares; the targets are judged on it."""
    lib = _library(ONE_FIX, TWO_FAULTS)
    figures = simulate_library(
        lib, {"one-fix": 0.75, "two-faults": 0.25}, customers=400, seed=0, mode="agent"
    )
    one, two = (next(f for f in figures.trees if f.tree_id == t) for t in ("one-fix", "two-faults"))
    expected = 0.75 * one.first_line.value + 0.25 * two.first_line.value
    assert figures.first_line.value == pytest.approx(expected)
    assert figures.first_line.low < expected < figures.first_line.high
    targets = {t.name: t for t in figures.targets()}
    assert targets["line_checks"].value == len(two.unchecked_line_visits) > 0
    assert not targets["line_checks"].met
    assert targets["visits"].value == pytest.approx(0.25 * two.share("visit").value)
    lines = render_library(figures)
    assert lines[-1] == "targets missed: see the trees with the lowest first-line share above"
    assert any(line.startswith("LIBRARY (volume-weighted)") for line in lines)
    csv_rows = library_csv(figures).splitlines()
    assert csv_rows[0].startswith("tree,volume,customers,priors,self_service,self_service_low")
    assert [r.split(",")[0] for r in csv_rows[1:]] == ["one-fix", "two-faults", "LIBRARY"]


def test_a_tree_without_priors_draws_the_faults_it_names() -> None:
    """No `faults`: every fault its actions and outcomes name, equally likely, outages left out."""
    text = ONE_FIX.replace("faults:\n  - {id: hung, prior: 1.0}\n", "").replace(
        "    fault: hung\n", "    fault: area_outage\n"
    )
    lib = _library(text)
    faults, how = tree_faults(lib, lib["one-fix"])
    assert (faults, how) == ([("hung", 1.0, "self")], "uniform")


def test_simulating_a_procedure_or_unknown_tree_is_refused() -> None:
    """Only customer-facing trees are simulated."""
    lib = _library(ONE_FIX)
    with pytest.raises(LibraryError, match="no tree 'nope'"):
        simulate_tree(lib, "nope")


# -- the call-volume table ---------------------------------------------------------------------------------


def test_the_shipped_volumes_cover_the_shipped_trees_and_sum_to_one() -> None:
    """trees/call-volumes.csv names every customer-facing tree of the shipped library once; shares sum to 1."""
    library = load_library(scenarios=False)
    known = {t.id for t in library.offered()}
    shares = read_call_volumes(CALL_VOLUMES, known)
    assert set(shares) == known
    assert sum(shares.values()) == pytest.approx(1.0)
    assert all(0 < s < 1 for s in shares.values())


def test_an_unknown_tree_is_refused_with_file_and_line(tmp_path: Path) -> None:
    """A typo names the file, the line and the closest tree id."""
    path = tmp_path / "call-volumes.csv"
    path.write_text("# shares\ntree,share\nno-internt,0.5\nslow-wifi,0.5\n", encoding="utf-8")
    with pytest.raises(CallVolumeError) as exc:
        read_call_volumes(path, {"no-internet", "slow-wifi"})
    assert str(exc.value) == (
        f"{path}:3: no customer-facing tree 'no-internt' in the library (did you mean 'no-internet'?)"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "tree,share\na,0.5\nb,0.4\n",
            "vol.csv: the shares sum to 0.9, not 1; adjust them so they add up to 1",
        ),
        ("id,weight\na,1\n", "vol.csv:1: the first line must be the header 'tree,share' (got 'id,weight')"),
        ("tree,share\n,1\n", "vol.csv:2: the tree id is missing (got ',1')"),
        ("tree,share\na,lots\n", "vol.csv:2: the share of 'a' must be a number between 0 and 1 (got 'lots')"),
        ("tree,share\na,0.5\na,0.5\n", "vol.csv:3: tree 'a' is listed twice; give each tree one line"),
        (
            "tree,share\n",
            "vol.csv: no shares; add lines like 'no-internet,0.15' below the header 'tree,share'",
        ),
    ],
)
def test_a_malformed_table_is_refused(text: str, message: str) -> None:
    """Each mistake in the table gets a message naming where it is and what would fit."""
    with pytest.raises(CallVolumeError) as exc:
        parse_call_volumes(text, {"a", "b"}, source="vol.csv")
    assert str(exc.value) == message


def test_validate_leaves_the_volume_table_alone() -> None:
    """`triage validate trees` reads tree files only: the CSV beside them is not taken for a tree."""
    out = io.StringIO()
    code = main(["validate", str(CALL_VOLUMES.parent), "--no-progress"], out=out)
    assert code == 0, out.getvalue()
    assert "call-volumes" not in out.getvalue()


# -- the command -------------------------------------------------------------------------------------------


def test_simulate_library_prints_the_table_and_the_targets(tmp_path: Path) -> None:
    """`triage simulate --library` on a folder: a row per tree, the total, the targets; exit 1 when missed."""
    (tmp_path / "one-fix.yaml").write_text(ONE_FIX, encoding="utf-8")
    (tmp_path / "two-faults.yaml").write_text(TWO_FAULTS, encoding="utf-8")
    (tmp_path / "call-volumes.csv").write_text("tree,share\none-fix,0.5\ntwo-faults,0.5\n", encoding="utf-8")
    out = io.StringIO()
    args = ["simulate", "--library", "--trees", str(tmp_path), "--customers", "100", "--no-progress"]
    code = main(args, out=out)
    text = out.getvalue()
    assert code == 1
    assert "2 customer-facing trees, 100 simulated customers each, mode both" in text
    assert "[MISSED] 0 line or cable visits without the outage and remote checks" in text
    csv_out = io.StringIO()
    assert main([*args, "--csv"], out=csv_out) == 1
    assert csv_out.getvalue().splitlines()[-1].startswith("LIBRARY,1.0000,200,")


def test_simulate_library_names_a_bad_volume_table(tmp_path: Path) -> None:
    """A volume table naming a tree the folder lacks stops the command with the file and line."""
    (tmp_path / "one-fix.yaml").write_text(ONE_FIX, encoding="utf-8")
    (tmp_path / "call-volumes.csv").write_text("tree,share\none-fix,0.5\nslow-wifi,0.5\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "--library", "--trees", str(tmp_path), "--no-progress"], out=io.StringIO())
    assert str(exc.value) == (
        f"triage simulate: {tmp_path / 'call-volumes.csv'}:3: no customer-facing tree 'slow-wifi' in the library"
    )


def test_library_figures_with_no_weights_are_empty() -> None:
    """No tree with a share: the library figures say so rather than dividing by zero."""
    figures = LibraryFigures((), {})
    assert figures.first_line.value != figures.first_line.value  # NaN


def test_the_studio_rows_say_each_figure_in_the_readers_language() -> None:
    """The desk gives the studio one row per figure, in German too; procedures and unknown trees get none."""
    lib = _library(ONE_FIX, CHECKED_LINE)
    figures = desk_simulation.tree_figures(lib, "one-fix", customers=200)
    assert figures is not None
    assert figures.customers == 200
    rows = desk_simulation.figure_rows(figures, "de")
    first = rows[0]
    assert first.label == "Im First Level abgeschlossen (keine Weiterleitung, kein Besuch)"
    assert first.value == f"{100 * figures.first_line.value:.1f}\u00a0%"
    assert first.interval == f"{100 * figures.first_line.low:.1f}–{100 * figures.first_line.high:.1f}\u00a0%"
    english = [r.label for r in desk_simulation.figure_rows(figures, "en")]
    assert english[-2:] == [
        "Handling minutes (mean)",
        "Line or cable visits without the outage and remote checks",
    ]
    assert len(english) == len(rows) == 10  # no outage row: the tree has no service
    outage = desk_simulation.figure_rows(
        desk_simulation.tree_figures(lib, "checked-line", customers=50), "en"
    )
    assert outage[-1] == desk_simulation.FigureRow(
        "Told of the outage, with one declared in their area", "100.0\u00a0%", ""
    )
    assert desk_simulation.tree_figures(lib, "nope") is None
