"""The 'TV picture but no sound' tree (issue #12): a Dolby output is fixed by PCM/stereo, a cable that
drops the sound is shipped, a picture that goes too hands over to tv-no-signal, and a single channel reaches
the video platform only after a remote refresh."""

from __future__ import annotations

from collections.abc import Sequence

from libraries import shipped

from triage.walk.policy import Decision
from triage.walk.session import Session

LIB = shipped()
TREE = "tv-no-sound"


def _decision(answers: Sequence[str], mode: str = "agent") -> Decision:
    """Walk the shipped tree with these answers and return its decision."""
    session = Session.start(LIB, TREE, mode=mode, locale="en", facts={})
    for answer in answers:
        assert not session.finished, f"{TREE} ended before the answer {answer!r}"
        session.submit(answer)
    assert session.decision is not None, f"{TREE} did not end; stopped at {session.node.id!r}"
    return session.decision


def test_dolby_output_is_fixed_by_switching_to_pcm() -> None:
    """A box set to Dolby, switched to PCM/stereo, ends resolved with the audio-format fault."""
    decision = _decision(["no_sound", "all", "not_fixed", "tv", "not_fixed", "steady", "dolby", "fixed"])
    assert (decision.kind.value, decision.node_id, decision.fault) == (
        "resolved",
        "fixed_format",
        "audio_format",
    )


def test_a_cable_that_drops_the_sound_is_shipped_not_visited() -> None:
    """Sound cutting out when the reseated cable moves ships one HDMI cable, kept by the customer."""
    decision = _decision(
        ["no_sound", "all", "not_fixed", "soundbar", "not_fixed", "not_fixed", "drops"], "self_service"
    )
    assert decision.kind.value == "ship_part"
    assert [(p.part, p.quantity) for p in decision.shipment] == [("hdmi-cable", 1)]
    assert decision.return_old is False


def test_picture_gone_too_hands_over_to_tv_no_signal() -> None:
    """Losing the picture at the cable check hands the session to the TV-box checks."""
    decision = _decision(["no_sound", "all", "not_fixed", "tv", "not_fixed", "no_picture"])
    assert (decision.kind.value, decision.node_id) == ("handover", "picture_gone")
    assert decision.handover_tree == "tv-no-signal"


def test_one_channel_reaches_the_video_platform_only_after_a_refresh() -> None:
    """A single silent channel is escalated to the video platform after the remote refresh did not help."""
    session = Session.start(LIB, TREE, mode="agent", locale="en", facts={})
    for answer in ["no_sound", "one", "not_fixed", "online"]:
        session.submit(answer)
    assert session.node.id == "refresh_channel"
    session.submit("not_fixed")
    assert session.decision is not None
    assert (session.decision.kind.value, session.decision.queue) == ("escalate", "video-platform")
