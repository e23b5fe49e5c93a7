"""Issue #12 review findings on the hardware trees: each walks the real shipped tree and checks the help sent."""

from __future__ import annotations

from typing import Any

from libraries import shipped

from triage.trees.basics import Audience
from triage.walk.session import Session

LIB = shipped()


def _walk(tree_id: str, answers: list[Any], mode: Audience = Audience.AGENT, **facts: Any) -> Session:
    s = Session.start(LIB, tree_id, mode=mode, facts=facts)
    for answer in answers:
        assert not s.finished, (tree_id, answer, s.decision)
        s.submit(answer)
    assert s.finished
    return s


def _end(s: Session) -> tuple[str, str]:
    assert s.decision is not None
    return s.decision.kind.value, s.decision.node_id or ""


def _asked(s: Session) -> list[str]:
    return [step.pos.node_id for step in s.path]


def test_laptop_not_charging_asks_the_model_before_a_charger_is_shipped() -> None:
    """The make and model are collected before the dead charger is shipped, and kept for the dispatcher."""
    s = _walk("laptop-not-charging", ["none", "Dell Latitude 5420", "no_reaction", "led_dark", "not_fixed"])
    assert _end(s) == ("ship_part", "charger_replace")
    assert _asked(s).index("laptop_model") < _asked(s).index("different_socket")
    assert s.facts["laptop_model"] == "Dell Latitude 5420"


def test_laptop_not_charging_model_not_found_still_goes_on() -> None:
    """A customer who cannot find the label leaves it empty and still gets the charger."""
    s = _walk(
        "laptop-not-charging", ["none", "", "no_reaction", "led_dark", "not_fixed"], Audience.SELF_SERVICE
    )
    assert _end(s) == ("ship_part", "charger_replace")


def test_a_worn_laptop_battery_never_brings_a_technician() -> None:
    """A click-out battery is shipped; a built-in one goes to the repair centre; neither is a visit."""
    walk = ["none", "Lenovo ThinkPad T470", "plugged_not_charging", "not_fixed", "done", "ready", "not_fixed"]
    shipped_battery = _walk("laptop-not-charging", [*walk, "done", "shows_health", 32, "removable"])
    assert _end(shipped_battery) == ("ship_part", "battery_ship")
    built_in = _walk("laptop-not-charging", [*walk, "done", "shows_health", 32, "built_in"])
    assert _end(built_in) == ("repair", "battery_depot")


def test_a_damaged_laptop_port_is_a_send_in_repair() -> None:
    """A wobbly charging socket goes to the repair centre, as laptop makers do it, not to a home visit."""
    s = _walk("laptop-not-charging", ["none", "HP 250 G8", "intermittent", "damaged"])
    assert _end(s) == ("repair", "port_repair")


def test_a_charger_dark_on_two_sockets_is_shipped_in_every_tree() -> None:
    """The same evidence gets the same help: a charger or brick dark on two sockets is posted, model first."""
    walks = {
        "laptop-not-charging": ["none", "HP 250 G8", "no_reaction", "led_dark", "not_fixed"],
        "pc-no-power": ["none", "laptop", "led_dark", "not_fixed", "HP 250 G8"],
        "laptop-wont-power-on": ["none", "dark", "not_fixed", "HP 250 G8"],
    }
    for tree_id, answers in walks.items():
        s = _walk(tree_id, answers)
        kind, _ = _end(s)
        assert kind == "ship_part", tree_id
        assert "HP 250 G8" in s.facts.values(), tree_id
    brick = _walk("pc-no-power", ["none", "brick", "led_dark", "not_fixed", ""])
    assert _end(brick) == ("ship_part", "ship_power_brick")


def test_a_laptop_that_does_not_start_with_a_lit_charger_is_sent_in_not_visited() -> None:
    """pc-no-power no longer sends a technician with a charger to a laptop whose charger light is on."""
    s = _walk(
        "pc-no-power",
        ["none", "laptop", "led_lit", "done", "ready", "not_fixed", "ready", "not_fixed", "nothing"],
    )
    assert _end(s) == ("repair", "sendin_repair")


def test_a_charger_without_a_light_is_not_shipped_on_a_guess() -> None:
    """With no light to read, the other socket is tried and then the power drain, never a shipment."""
    s = Session.start(LIB, "pc-no-power")
    for answer in ["none", "laptop", "no_led", "not_fixed"]:
        s.submit(answer)
    assert not s.finished
    assert s.pos is not None
    assert (s.pos.tree_id, s.pos.node_id) == ("power-drain-reset", "unplug_all")


def test_a_tower_psu_visit_only_when_the_plan_covers_it() -> None:
    """Out of warranty, a tower PC's internal power supply is a visit only on a plan with home visits."""
    walk = ["none", "desktop", "not_fixed", "not_fixed", "done", "ready", "not_fixed", "nothing", "no"]
    assert _end(_walk("pc-no-power", walk, visit_covered=True)) == ("visit", "visit_psu")
    assert _end(_walk("pc-no-power", walk)) == ("repair", "psu_paid_repair")


def test_a_smoking_monitor_already_unplugged_gets_a_shipped_replacement() -> None:
    """Once the smoke has stopped and it is unplugged, the monitor is replaced by post, model collected first."""
    s = _walk(
        "no-display", ["is_on", "desktop", "burning", "stopped", "done", "Dell P2419H"], Audience.SELF_SERVICE
    )
    assert _end(s) == ("ship_part", "monitor_burnt_replace")
    assert s.facts["monitor_model"] == "Dell P2419H"


def test_a_monitor_still_smoking_is_a_safety_stop() -> None:
    """While it smokes, the walk stops at once with an urgent safety call-back, no parts."""
    s = _walk("no-display", ["is_on", "desktop", "burning", "still_smoking"], Audience.SELF_SERVICE)
    assert s.decision is not None
    assert (s.decision.kind.value, s.decision.rule) == ("escalate", "safety")
    assert s.decision.priority is not None
    assert s.decision.priority.value == "urgent"


def test_a_laptop_screen_fault_is_a_send_in_repair() -> None:
    """A laptop whose external screen works has its panel repaired at the repair centre, not at home."""
    s = _walk("no-display", ["is_on", "laptop", "not_fixed", "done", "ready", "not_fixed", "external_ok"])
    assert _end(s) == ("repair", "laptop_panel_repair")


def test_printer_ip_not_found_goes_on_without_it() -> None:
    """An empty IP address goes straight to reconnecting the printer, which can fix it."""
    walk = ["ready", "done", "ready", "not_fixed", "not_fixed", "network", ""]
    s = _walk("printer-not-printing", [*walk, "fixed"], Audience.SELF_SERVICE)
    assert _end(s) == ("resolved", "fixed_network")
    assert "web_page" not in _asked(s)


def test_a_broken_home_printer_is_exchanged_not_visited() -> None:
    """A printer with no power from a working socket is exchanged under warranty, model collected first."""
    s = _walk("printer-not-printing", ["no_lights", "not_fixed", "HP DeskJet 2720e", "yes"])
    assert _end(s) == ("ship_part", "printer_exchange")
    assert s.facts["printer_model"] == "HP DeskJet 2720e"
    old = _walk("printer-not-printing", ["no_lights", "not_fixed", "", "no"])
    assert _end(old) == ("diagnosis", "printer_end_of_life")
