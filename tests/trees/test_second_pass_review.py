"""The second pass on six reworked trees: each fix walked on the shipped tree with a real Session."""

from __future__ import annotations

from typing import Any

from triage import Library, Session
from triage.trees.model import VisitOutcome


def walk(lib: Library, tree: str, *answers: object, mode: str = "agent") -> Session:
    """A session of ``tree`` that has taken ``answers`` in order."""
    s = Session.start(lib, tree, mode=mode)  # type: ignore[arg-type]
    for a in answers:
        s.answer(a)
    return s


def end(s: Session) -> tuple[str, str]:
    """The decision's kind and outcome node."""
    assert s.decision is not None, s.view().node_id
    return s.decision.kind.value, s.decision.node_id


_SOFTWARE_DONE: tuple[Any, ...] = ("normal", 1, "not_fixed", "ok", "not_fixed", "not_fixed", "clean")
"""slow-computer: no heat, restarted yesterday, start-up apps, disk, scan and browser all tried in vain."""


def test_slow_computer_has_no_home_visit(shipped_lib: Library) -> None:
    """No slow-computer outcome books a technician at home: upgrades and clean-outs are send-in repairs."""
    tree = shipped_lib["slow-computer"]
    assert not [n.id for n in tree.nodes if isinstance(n, VisitOutcome)]


def test_a_swollen_battery_once_unplugged_is_a_send_in_repair(shipped_lib: Library) -> None:
    """A bulging case that no longer smokes: unplug it, give the model, and a repair with a fire-safe box."""
    s = walk(shipped_lib, "slow-computer", "danger", "stopped", "done", "Dell XPS 13", mode="self_service")
    assert end(s) == ("repair", "heat_damage_repair")
    assert s.facts["computer_model"] == "Dell XPS 13"
    assert s.decision is not None
    assert s.decision.depot == "hardware-repair-depot"
    assert "Do not post the computer yourself" in s.decision.packing


def test_a_computer_that_still_smokes_is_a_safety_stop(shipped_lib: Library) -> None:
    """Still smoking, or the plug cannot be reached safely: an urgent call-back, no repair, no visit."""
    for answers in (("danger", "still_smoking"), ("danger", "stopped", "could_not")):
        s = walk(shipped_lib, "slow-computer", *answers)
        assert end(s) == ("escalate", "overheat_danger"), answers
        assert s.decision is not None
        assert s.decision.priority is not None
        assert s.decision.priority.value == "urgent"


def test_a_hot_loud_computer_gets_the_vents_cleared_before_a_clean_out(shipped_lib: Library) -> None:
    """Hot with a loud fan: the customer's cooling step comes first; the clean-out only if still hot."""
    s = walk(shipped_lib, "slow-computer", "hot_loud")
    assert s.view().node_id == "cooling"
    rest = ("not_fixed", 1, "not_fixed", "ok", "not_fixed", "not_fixed", "clean", "not_fixed", 4, "")
    still = walk(shipped_lib, "slow-computer", "hot_loud", *rest, "still_hot")
    assert end(still) == ("repair", "cleanout_repair")
    cooler = walk(shipped_lib, "slow-computer", "hot_loud", *rest, "cooler", 16, "ssd")
    assert end(cooler) == ("escalate", "tier2")


def test_tier_1_looks_remotely_before_the_hardware_questions(shipped_lib: Library) -> None:
    """After the customer's own steps, an agent's remote look comes before the age, memory and disk questions."""
    s = walk(shipped_lib, "slow-computer", *_SOFTWARE_DONE)
    assert s.view().node_id == "remote_look"
    assert end(walk(shipped_lib, "slow-computer", *_SOFTWARE_DONE, "fixed")) == (
        "resolved",
        "fixed_remote_look",
    )


def test_little_memory_is_a_send_in_upgrade_and_the_model_is_asked_first(shipped_lib: Library) -> None:
    """4 GB on a five-year-old computer: the model is collected, then memory is fitted at the repair centre."""
    s = walk(shipped_lib, "slow-computer", *_SOFTWARE_DONE, "not_fixed", 5, "HP ProBook 450 G5")
    assert s.view().node_id == "ram"
    assert end(walk(shipped_lib, "slow-computer", *_SOFTWARE_DONE, "not_fixed", 5, "", 4)) == (
        "repair",
        "memory_repair",
    )


def test_a_memory_reading_not_found_does_not_block_the_walk(shipped_lib: Library) -> None:
    """The customer cannot find the RAM figure: the walk goes on to the disk question, no guess at a part."""
    s = walk(shipped_lib, "slow-computer", *_SOFTWARE_DONE, "not_fixed", 5, "", "")
    assert s.view().node_id == "drive_type"


def test_update_fails_repairs_system_files_with_dism_and_sfc_before_tier_2(shipped_lib: Library) -> None:
    """Damaged system files: DISM and SFC right after the troubleshooter, on Windows 10 and 11 alike."""
    common = (
        "system",
        "weeks",
        "0x800F081F",
        "",
        80,
        "done",
        "done",
        "ready",
        "not_fixed",
        "ok",
        "not_fixed",
    )
    eleven = walk(shipped_lib, "update-fails", "windows", "windows-11", *common)
    assert eleven.view().node_id == "dism_sfc"
    ten = walk(shipped_lib, "update-fails", "windows", "windows-10", "system", "not_fixed", *common[1:])
    assert ten.view().node_id == "dism_sfc"
    assert end(walk(shipped_lib, "update-fails", "windows", "windows-11", *common, "fixed")) == (
        "resolved",
        "fixed_dism",
    )


def test_windows_10_gets_its_own_repair_install_not_windows_11s(shipped_lib: Library) -> None:
    """Windows 10 after DISM and SFC: the Media Creation Tool repair, never the Windows 11 Settings page."""
    s = walk(
        shipped_lib,
        "update-fails",
        *("windows", "windows-10", "system", "not_fixed", "days", "", ""),
        *(80, "done", "done", "ready", "not_fixed", "ok", "not_fixed", "not_fixed"),
    )
    assert s.view().node_id == "win10_repair_install"
    eleven = walk(
        shipped_lib,
        "update-fails",
        *("windows", "windows-11", "system", "days", "", ""),
        *(80, "done", "done", "ready", "not_fixed", "ok", "not_fixed", "not_fixed"),
    )
    assert eleven.view().node_id == "repair_install"


def test_update_fails_never_books_a_visit(shipped_lib: Library) -> None:
    """A repair install is done remotely: failing for weeks with visit cover still ends at tier 2."""
    assert not [n.id for n in shipped_lib["update-fails"].nodes if isinstance(n, VisitOutcome)]
    s = Session.start(shipped_lib, "update-fails", facts={"visit_covered": True})
    for a in ("linux", "system", "weeks", "", 80, "done", "done", "ready", "not_fixed", "ok", "could_not"):
        s.answer(a)
    assert end(s) == ("escalate", "tier2")


def test_the_printer_makers_tool_comes_before_print_support(shipped_lib: Library) -> None:
    """A USB printer still not printing after the queue: the maker's repair tool, then the driver session."""
    start = ("ready", "done", "ready", "not_fixed", "not_fixed", "usb")
    s = walk(shipped_lib, "printer-not-printing", *start)
    assert s.view().node_id == "maker_tool"
    fixed = walk(shipped_lib, "printer-not-printing", *start, "fixed", mode="self_service")
    assert end(fixed) == ("resolved", "fixed_maker_tool")


def test_a_hardware_error_from_the_makers_tool_goes_to_the_exchange(shipped_lib: Library) -> None:
    """The tool reports a hardware error: the model and warranty are asked, then an exchange printer is shipped."""
    start = ("ready", "done", "ready", "not_fixed", "not_fixed", "usb", "not_fixed", "hardware_error")
    s = walk(shipped_lib, "printer-not-printing", *start, "Canon PIXMA TS5350", "yes")
    assert end(s) == ("ship_part", "printer_exchange")


def test_a_phished_password_changed_in_time_is_closed_at_tier_1(shipped_lib: Library) -> None:
    """Password changed, forwarding clean, all sessions ended, no foreign sign-in: resolved, no security team."""
    head = ("clicked", "ours", "mail_password", "done", "no", "done")
    s = walk(shipped_lib, "email-cant-send-phishing", *head)
    assert s.view().node_id == "signin_review"
    assert end(walk(shipped_lib, "email-cant-send-phishing", *head, "none")) == (
        "resolved",
        "secured_in_time",
    )
    misuse = walk(shipped_lib, "email-cant-send-phishing", *head, "misuse")
    assert end(misuse) == ("escalate", "security_escalate")


def test_card_details_are_the_banks_not_a_compromised_mailbox(shipped_lib: Library) -> None:
    """Card details on a phishing page: the bank diagnosis confirms its own fault, not a misused mailbox."""
    node = shipped_lib["email-cant-send-phishing"].node("bank_block")
    assert node.fault == "card_phished"  # type: ignore[union-attr]


def test_a_shared_line_address_gets_a_public_ipv4_before_the_line_team(shipped_lib: Library) -> None:
    """VPN works on the hotspot, passthrough did not help: tier 1 gives the line a public IPv4 address first."""
    head = (
        "vpn",
        "yes",
        "not_fixed",
        "works",
        "done",
        "done",
        "ready",
        "ready",
        "not_fixed",
        "online",
        "not_fixed",
    )
    s = walk(shipped_lib, "bluetooth-phone-vpn", *head)
    assert s.view().node_id == "public_ipv4"
    assert end(walk(shipped_lib, "bluetooth-phone-vpn", *head, "fixed")) == ("resolved", "fixed_public_ipv4")


def test_the_vpn_message_is_chosen_not_typed(shipped_lib: Library) -> None:
    """Without a hotspot, the customer picks what the VPN message is about (any language): credentials go to IT."""
    s = walk(shipped_lib, "bluetooth-phone-vpn", "vpn", "yes", "not_fixed", "cannot", "credentials")
    assert end(s) == ("diagnosis", "employer_it")
