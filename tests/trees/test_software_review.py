"""The support lead's review of the software trees: each finding, walked on the shipped tree."""

from __future__ import annotations

from triage import Library, Session


def walk(lib: Library, tree: str, *answers: object, mode: str = "agent") -> Session:
    """A session of ``tree`` that has taken ``answers`` in order."""
    s = Session.start(lib, tree, mode=mode)  # type: ignore[arg-type]
    for a in answers:
        s.answer(a)
    return s


def test_another_providers_mailbox_gets_its_recovery_not_our_mail_team(shipped_lib: Library) -> None:
    """A Gmail or work mailbox is not ours to reset: a diagnosis pointing at that provider's recovery."""
    d = walk(shipped_lib, "cannot-sign-in", "email", "other", mode="self_service").decision
    assert d is not None
    assert (d.kind.value, d.node_id) == ("diagnosis", "third_party_recovery")


def test_an_account_suspended_for_an_unpaid_bill_goes_to_billing(shipped_lib: Library) -> None:
    """The account check finds a suspension: the billing tree takes over before any password step."""
    s = walk(shipped_lib, "cannot-sign-in", "account", "12345678", "suspended")
    assert s.decision is not None
    assert (s.decision.kind.value, s.decision.node_id) == ("handover", "billing")
    node = shipped_lib["cannot-sign-in"].node("billing")
    assert node.tree == "service-suspended-billing"  # type: ignore[union-attr]


def test_a_lost_2fa_phone_is_recovered_at_tier_1_first(shipped_lib: Library) -> None:
    """A lost phone gets the agent's recovery by e-mail code; only a failed recovery goes to the identity team."""
    s = walk(shipped_lib, "cannot-sign-in", "account", "12345678", "active", "code", "lost")
    assert s.view().node_id == "recover_2fa"
    assert s.answer("not_fixed").decision.node_id == "lost_2fa"  # type: ignore[union-attr]


def test_one_device_missing_mail_never_reaches_the_mail_platform_team(shipped_lib: Library) -> None:
    """One phone: that phone's app and settings, then a diagnosis for the device, not an escalation."""
    s = walk(shipped_lib, "email-not-syncing", "one", "phone")
    seen = []
    while s.decision is None:
        seen.append(s.view().node_id)
        s.answer("not_fixed")
    assert seen == ["one_restart_app", "one_password", "one_fetch", "one_readd"]
    assert (s.decision.kind.value, s.decision.node_id) == ("diagnosis", "one_device_app")


def test_webmail_without_new_mail_suggests_a_full_mailbox(shipped_lib: Library) -> None:
    """A full mailbox refuses new mail, so webmail shows none either: the planner frees space, not escalates."""
    s = walk(shipped_lib, "email-not-syncing", "all", "no")
    assert s.decision is None
    assert s.view().node_id == "free_space"


def test_cannot_send_is_handed_to_the_sending_tree(shipped_lib: Library) -> None:
    """Mail arrives but will not send: the e-mail sending tree, with the facts carried."""
    d = walk(shipped_lib, "email-not-syncing", "cant_send").decision
    assert d is not None
    assert (d.kind.value, d.node_id) == ("handover", "cant_send")


def test_app_reset_comes_after_repair_and_the_backup_question(shipped_lib: Library) -> None:
    """Windows 'Reset' deletes the app's data: Repair first, then the local-data question, then a caution."""
    tree = shipped_lib["app-crash-on-start"]
    s = walk(
        shipped_lib,
        "app-crash-on-start",
        "Teams",
        "",
        "one_app",
        "windows",
        "done",
        "done",
        "ready",
        "not_fixed",
        "not_fixed",
    )
    assert s.view().node_id == "clear_settings"
    assert "Reset" not in tree.node("clear_settings").text.get("en").replace("Do not choose 'Reset' yet", "")  # type: ignore[union-attr]
    for a in ("not_fixed", "windows-11", "not_fixed"):
        s.answer(a)
    assert s.view().node_id == "local_data"
    s.answer("local")
    assert s.view().node_id == "backup_data"
    s.answer("done")
    assert s.view().node_id == "reset_app"
    assert tree.node("reset_app").caution is not None


def test_windows_10_is_told_about_the_end_of_support_and_asked_the_kb(shipped_lib: Library) -> None:
    """Windows 10 vs 11 is asked; Windows 10 is offered the ESU enrolment first; the KB number has an empty answer."""
    s = walk(shipped_lib, "update-fails", "windows", "windows-10", "system")
    assert s.view().node_id == "win10_esu"
    s.answer("not_fixed")  # enrolled, still failing: the usual checks follow
    s.answer("days")
    s.answer("")
    assert s.view().node_id == "kb_number"
    s.answer("")  # cannot find it: the walk goes on
    assert s.view().node_id == "free_space"
    cannot = walk(shipped_lib, "update-fails", "windows", "windows-10", "system", "could_not")
    assert cannot.decision is not None
    assert cannot.decision.node_id == "win10_advice"


def test_slow_computer_asks_hdd_or_ssd(shipped_lib: Library) -> None:
    """A younger computer with enough memory but a hard disk gets the SSD upgrade (send-in), not tier 2."""
    s = walk(
        shipped_lib,
        "slow-computer",
        "normal",
        1,
        "not_fixed",
        "ok",
        "not_fixed",
        "not_fixed",
        "clean",
        "not_fixed",
        4,
        "",
        16,
    )
    assert s.view().node_id == "drive_type"
    assert s.answer("hdd").decision.node_id == "ssd_repair"  # type: ignore[union-attr]
