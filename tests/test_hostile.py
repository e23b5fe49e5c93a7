"""Hostile tree files: each is refused with a clear message, in bounded time and memory, never a crash.

Every file under ``tests/data/hostile/`` (small, committed) and every generated one below (big, written to a
temporary folder) is given to ``python -m triage validate FILE`` in a child process limited to
:data:`MEMORY_CAP` of address space. The child must exit 1 (errors found, not a crash: a signal or a
traceback would show), name the file, print no traceback, finish within :data:`TIME_LIMIT` seconds and peak
under the cap. ``benchmarks/hostile_report.py`` runs the same corpus and prints time and memory per case.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = ROOT / "tests" / "data" / "hostile"
MEMORY_CAP = 1_500_000_000
"""Bytes of address space the child may map (RLIMIT_AS)."""
TIME_LIMIT = 5.0
"""Seconds the child may take, start-up included."""
MB = 1024 * 1024


def _deep_block_mapping(depth: int) -> str:
    return "id: deep\n" + "".join(f"{' ' * i}k{i}:\n" for i in range(depth)) + " " * depth + "leaf: 1\n"


GENERATED: dict[str, Callable[[], str | bytes]] = {
    # alias expansion bigger than the one that aborted serde-yaml: 10,000 x 10,000 = 100 million nodes
    "alias-square-10k.yaml": lambda: (
        "items: &a [" + ",".join(["x"] * 10_000) + "]\nn: [" + ",".join(["*a"] * 10_000) + "]\n"
    ),
    "deep-flow-sequences.yaml": lambda: "id: deep\nstart: " + "[" * 100_000 + "]" * 100_000 + "\n",
    "deep-flow-mappings.yaml": lambda: "id: deep\nstart: " + "{a: " * 100_000 + "1" + "}" * 100_000 + "\n",
    "deep-unclosed-brackets.yaml": lambda: "[" * 100_000 + "\n",
    "deep-block-sequences.yaml": lambda: "- " * 50_000 + "x\n",
    "deep-block-mappings.yaml": lambda: _deep_block_mapping(2_000),
    "huge-scalar.yaml": lambda: "id: '" + "x" * (8 * MB) + "'\nstart: a\nnodes: []\n",
    "huge-unclosed-quote.yaml": lambda: "id: '" + "x" * (10 * MB) + "\n",
    "huge-key.yaml": lambda: "x" * (2 * MB) + ": 1\n",
    "huge-number.yaml": lambda: "id: big\nstart: a\nnodes: []\nversion: " + "9" * (1 * MB) + "\n",
    "over-size-limit.yaml": lambda: "id: big\n# " + "x" * (33 * MB) + "\n",
    "many-unknown-keys.yaml": lambda: (
        "id: keys\nstart: a\nnodes: []\n" + "".join(f"k{i}: {i}\n" for i in range(200_000))
    ),
    "many-nodes-invalid.yaml": lambda: (
        "id: nodes\nstart: n0\nnodes:\n" + "".join(f"  - {{id: n{i}, kind: nope}}\n" for i in range(50_000))
    ),
    "long-condition-line.yaml": lambda: (
        "id: cond\nstart: a\nnodes:\n  - {id: a, kind: logic, rules: [{when: '"
        + "x == 1 and " * 200_000
        + "x == 1', next: a}]}\n"
    ),
}


@dataclass(frozen=True)
class Outcome:
    """How one ``triage validate`` child ended."""

    exit_code: int
    output: str
    seconds: float
    peak_bytes: int


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_validate(path: Path, timeout: float = 4 * TIME_LIMIT) -> Outcome:
    """``python -m triage validate path`` under the memory cap; its own peak RSS comes from ``os.wait4``."""
    out_path = path.with_name(path.name + ".out")
    with out_path.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "triage", "validate", "--no-progress", str(path)],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_limit_memory,  # noqa: PLW1509 - runs before exec in the child, no threads there yet
        )
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: tell Popen so it does not wait again
    output = out_path.read_bytes().decode("utf-8", "replace")
    out_path.unlink()
    return Outcome(proc.returncode, output, seconds, usage.ru_maxrss * 1024)


def corpus(folder: Path) -> list[Path]:
    """Every committed hostile file, and the generated ones written into ``folder``."""
    paths = sorted(HOSTILE.glob("*.yaml"))
    for name, make in GENERATED.items():
        data = make()
        target = folder / name
        if isinstance(data, str):
            target.write_text(data, encoding="utf-8")
        else:
            target.write_bytes(data)
        paths.append(target)
    return paths


CASES = sorted(p.name for p in HOSTILE.glob("*.yaml")) + list(GENERATED)


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The whole corpus by file name, generated files written once for the module."""
    folder = tmp_path_factory.mktemp("hostile")
    return {p.name: p for p in corpus(folder)}


@pytest.mark.parametrize("name", CASES)
def test_hostile_file_is_refused_cleanly(name: str, hostile_files: dict[str, Path], tmp_path: Path) -> None:
    """`triage validate` exits 1 naming the file, with no traceback, in under 5 s and under the memory cap."""
    source = hostile_files[name]
    path = (
        tmp_path / name
    )  # each run in a folder of its own, so a python tag that ran would leave a file here
    path.symlink_to(source)
    result = run_validate(path)
    assert "Traceback" not in result.output, result.output[-3000:]
    assert result.exit_code == 1, (result.exit_code, result.output[-3000:])
    assert str(path) in result.output, result.output[-3000:]
    assert result.seconds < TIME_LIMIT, f"{result.seconds:.2f} s"
    assert result.peak_bytes < MEMORY_CAP
    assert not (ROOT / "pwned.txt").exists()
    assert not (tmp_path / "pwned.txt").exists()


def test_the_corpus_covers_every_class() -> None:
    """The hostile classes the issue names each have at least one file."""
    names = " ".join(CASES)
    for word in (
        "alias",
        "laughs",
        "deep",
        "huge",
        "binary",
        "nul",
        "utf8",
        "python-tag",
        "condition",
        "size",
    ):
        assert word in names, word
