"""The command line: validate, run, show, export, schema, list."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from libraries import mini

from triage.cli.main import main

HERE = Path(__file__).parents[1]  # tests/
MINI = str(HERE / "data" / "mini")
BROKEN = str(HERE / "data" / "broken")


def run(*argv: str, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out, inp=io.StringIO(stdin))
    return code, out.getvalue()


def test_validate_clean_exits_zero() -> None:
    """A clean folder validates with exit code 0 and a summary line."""
    code, out = run("validate", MINI)
    assert code == 0
    assert out == "OK: 2 file(s), 0 error(s), 0 warning(s)\n"


def test_validate_json_format() -> None:
    """--format json lists each diagnostic with file, line, node and hint, and exits 1 on errors."""
    code, out = run("validate", "--format", "json", str(HERE / "data" / "broken" / "unknown-kind.yaml"))
    data = json.loads(out)
    assert code == 1
    assert (data["files"], data["errors"], data["warnings"]) == (1, 2, 0)
    first = data["diagnostics"][0]
    assert (first["line"], first["node_id"], first["code"], first["hint"]) == (
        7,
        "ask",
        "unknown-kind",
        "did you mean 'question'?",
    )


def test_validate_missing_path_exits_two(capsys: pytest.CaptureFixture[str]) -> None:
    """A path that does not exist is a usage error (exit 2), not a crash."""
    code, _ = run("validate", "no/such/dir")
    assert code == 2
    assert "no such file or folder: no/such/dir" in capsys.readouterr().err


def test_run_agent_walk_to_resolution() -> None:
    """`triage run` walks a tree from typed answers (numbers or values) to the decision."""
    code, out = run("run", "mini", "--trees", MINI, stdin="1\n0\n1\n")
    assert code == 0
    assert "[step 1, 0%] Is there a burning smell?" in out
    assert "(agent hint) Ask this first, always." in out
    assert "== Decision: RESOLVED ==\nIt had no power.\n  because: No power at the socket.\n" in out


def test_run_self_service_escalation_prints_handoff_without_hints() -> None:
    """A self-service walk hides hints and ends with the decision and the Markdown hand-off."""
    code, out = run(
        "run",
        "mini",
        "--trees",
        MINI,
        "--mode",
        "self_service",
        stdin="no\n5\nn customer on mobile\nnot_fixed\n",
    )
    assert code == 0
    assert "agent hint" not in out
    assert "== Decision: ESCALATE ==" in out
    assert "# Hand-off: Internet is down" in out
    assert "- customer on mobile" in out


def test_run_commands_back_tried_and_bad_input() -> None:
    """Bad input is explained and asked again; b goes back; t marks an action as already tried."""
    code, out = run("run", "mini", "--trees", MINI, stdin="maybe\nno\n0\nb\n0\nt\n")
    assert code == 0
    assert "  ! 'maybe' is not one of the options; choose one of: 'no', 'yes'" in out
    assert "== Decision: HOME VISIT ==" in out


def test_run_saves_session_json(tmp_path: Path) -> None:
    """--save writes the session's events, which replay to the same decision."""
    from triage import Session

    target = tmp_path / "s.json"
    code, _ = run("run", "mini", "--trees", MINI, "--save", str(target), stdin="no\n0\nfixed\n")
    assert code == 0
    again = Session.from_dict(json.loads(target.read_text()), mini())
    assert again.decision is not None
    assert again.decision.node_id == "fixed_power"


def test_run_input_ends_early_leaves_session_open() -> None:
    """End of input before a decision exits 1 and says the session is left open."""
    code, out = run("run", "mini", "--trees", MINI, stdin="no\n")
    assert code == 1
    assert "(input ended; session " in out
    assert " left open)" in out


def test_run_unknown_tree(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown tree id is reported with a suggestion."""
    code, _ = run("run", "mnii", "--trees", MINI)
    assert code == 2
    assert capsys.readouterr().err == "triage run: no tree 'mnii' in the library (did you mean 'mini'?)\n"


def test_show_outline() -> None:
    """`triage show` prints a depth-first outline with kinds and links."""
    code, out = run("show", "mini", "--trees", MINI)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "mini: Internet is down [connectivity]"
    assert lines[1] == "start: [question] smell — Is there a burning smell?"
    assert "      rule 1: [action] power — Plug the router into a working socket." in lines
    assert "      default: [call] restart — run router-restart" in lines


@pytest.mark.parametrize(("fmt", "marker"), [("mermaid", "flowchart TD"), ("dot", 'digraph "mini"')])
def test_export_text_formats(fmt: str, marker: str) -> None:
    """Mermaid and DOT exports name every node and colour outcomes."""
    code, out = run("export", "mini", "--trees", MINI, "--format", fmt)
    assert code == 0
    assert out.startswith(marker)
    for node_id in ("smell", "lights", "tier2", "dead"):
        assert node_id in out


def test_export_json_node_link() -> None:
    """The JSON export is networkx node-link data with kinds and the start marked."""
    code, out = run("export", "mini", "--trees", MINI, "--format", "json")
    data = json.loads(out)
    kinds = {n["id"]: n["kind"] for n in data["nodes"]}
    assert code == 0
    assert kinds["tier2"] == "outcome:escalate"
    assert [n["id"] for n in data["nodes"] if n["start"]] == ["smell"]
    assert len(data["links"]) == 11


def test_schema_is_json_schema_with_node_kinds() -> None:
    """`triage schema` prints a JSON Schema naming every node kind."""
    code, out = run("schema")
    schema = json.loads(out)
    assert code == 0
    assert schema["$schema"].endswith("2020-12/schema")
    text = json.dumps(schema)
    for kind in (
        "QuestionNode",
        "ActionNode",
        "CollectNode",
        "LogicNode",
        "CallNode",
        "ReturnNode",
        "VisitOutcome",
    ):
        assert kind in text


def test_list_marks_broken_files() -> None:
    """`triage list` lists valid trees and flags broken files."""
    code, out = run("list", "--trees", MINI, "--trees", BROKEN)
    assert code == 0
    assert "connectivity  mini" in out
    assert "BROKEN" in out


def test_console_script_entry_point() -> None:
    """python -m triage works as the console script does."""
    proc = subprocess.run(
        [sys.executable, "-m", "triage", "validate", MINI], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith("OK: 2 file(s)")


def test_run_without_tree_offers_a_picker() -> None:
    """Without a tree, `triage run` lists the problems and takes a number or search words."""
    code, out = run("run", "--trees", MINI, stdin="internet\nno\n0\nfixed\n")
    assert code == 0
    assert "   1) [connectivity] Internet is down" in out
    assert "== Decision: RESOLVED ==" in out


def test_validate_progress_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    """`--progress` draws one bar per file on standard error and ends it; the report on stdout is unchanged."""
    out = io.StringIO()
    assert main(["validate", "tests/data/mini", "--progress"], out=out) == 0
    err = capsys.readouterr().err
    frames = err.split("\r")[1:]
    assert [f.split()[1] for f in frames] == ["0/2", "1/2", "2/2"]
    assert err.rstrip().endswith("2/2 files checked")
    assert err.endswith("\n")
    assert out.getvalue() == "OK: 2 file(s), 0 error(s), 0 warning(s)\n"
    assert main(["validate", "tests/data/mini", "--no-progress"], out=io.StringIO()) == 0
    assert capsys.readouterr().err == ""


def _readme_commands() -> list[str]:
    """The command cells of README's table under "## The command line", e.g. `triage run [TREE] [--mode ...]`."""
    readme = (HERE.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## The command line\n", 1)[1].split("\n## ", 1)[0]
    cells = [line.split(" | ")[0] for line in section.splitlines() if line.startswith("| `triage ")]
    return [usage for cell in cells for usage in re.findall(r"`(triage [^`]+)`", cell)]


def test_readme_table_lists_exactly_the_commands() -> None:
    """README's command table names every command of the `triage` group, and no command it lacks."""
    from triage.cli.main import cli

    in_readme = {usage.split()[1] for usage in _readme_commands()}
    assert in_readme == set(cli.commands)


def test_readme_table_options_exist() -> None:
    """Every option README's command table shows for a command is an option of that command."""
    from triage.cli.main import cli

    for usage in _readme_commands():
        command = cli.commands[usage.split()[1]]
        known = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts) if opt.startswith("--")}
        shown = set(re.findall(r"--[a-z][a-z-]*", usage))
        assert shown <= known, f"{usage}: {sorted(shown - known)} are not options of the command"


def test_every_command_and_parameter_has_help() -> None:
    """`triage --help` gives every command a whole line of help, and every option and argument says what it is."""
    from click.testing import CliRunner

    from triage.cli.main import cli

    result = CliRunner().invoke(cli, ["--help"], terminal_width=80)
    assert result.exit_code == 0
    listing = result.output.split("Commands:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    rows = dict(m.groups() for line in listing if (m := re.match(r"  (\S+) +(\S.*)", line)))
    assert sorted(rows) == sorted(cli.commands)
    for name, help_line in rows.items():
        assert help_line.strip(), name
        assert not help_line.endswith("..."), f"triage {name}: the first sentence is cut at 80 columns"
    for name, command in cli.commands.items():
        for param in command.params:
            assert getattr(param, "help", None), f"triage {name}: {param.name} has no help"


def test_shell_completion_lists_commands() -> None:
    """`_TRIAGE_COMPLETE=bash_complete` (what the sourced bash script calls) completes command names."""
    env = {"_TRIAGE_COMPLETE": "bash_complete", "COMP_WORDS": "triage de", "COMP_CWORD": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "triage"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0
    assert proc.stdout.splitlines() == ["plain,demo-data"]
