"""Time and peak memory of ``triage validate`` on each hostile tree file (the corpus of tests/test_hostile.py).

Run from the repository root::

    .venv/bin/python benchmarks/hostile_report.py

Each file is checked in a fresh interpreter limited to 1.5 GB of address space, as the test does; the table
gives its size, exit code, wall time (interpreter start-up included, about 1.5 s of it) and peak RSS, and the
first message printed. Nothing is asserted here: tests/test_hostile.py does that.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_hostile import MEMORY_CAP, TIME_LIMIT, corpus, run_validate  # noqa: E402


def main() -> None:
    print(
        f"hostile corpus: python -m triage validate FILE, RLIMIT_AS {MEMORY_CAP / 1e9:.1f} GB, limit {TIME_LIMIT:.0f} s"
    )
    header = f"{'file':32} {'size':>10} {'exit':>4} {'time':>7} {'peak RSS':>9}  first message"
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as folder:
        for path in corpus(Path(folder)):
            result = run_validate(path)
            lines = [ln for ln in result.output.splitlines() if ln.strip()]
            first = lines[0].replace(str(path), "FILE") if lines else ""
            size = path.stat().st_size
            print(
                f"{path.name:32} {size:>10,} {result.exit_code:>4} {result.seconds:>6.2f}s "
                f"{result.peak_bytes / 2**20:>6.0f} MB  {first[:110]}",
                flush=True,
            )


if __name__ == "__main__":
    main()
