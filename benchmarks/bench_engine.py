"""Benchmark: tree load+validate time, and time per engine step against two baselines.

Run from the repository root::

    .venv/bin/python benchmarks/bench_engine.py                  # 1k, 10k, 100k trees
    .venv/bin/python benchmarks/bench_engine.py --quick          # 1k and 10k, fewer runs/steps
    .venv/bin/python benchmarks/bench_engine.py --sizes 1000,10000

See benchmarks/README.md for what each figure means. The script asserts nothing about
speed; it prints the figures and a "targets" block (PASS/MISS), and profiles a missed target.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from gen_tree import generate_tree, plan_walk, write_tree_yaml  # noqa: E402
from walkers import dict_walk, engine_walk, transitions_walk  # noqa: E402

from triage.trees.model import Audience  # noqa: E402
from triage.walk.policy import Policy, PolicyConfig  # noqa: E402
from triage.walk.scenarios import load_library  # noqa: E402
from triage.walk.session import Session  # noqa: E402

TARGET_10K_LOAD_S = 1.0
TARGET_SCALE = 12.0

# -- small helpers ----------------------------------------------------------------------------------


def fmt_s(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.3f} s" if x >= 0.1 else f"{x * 1e3:.1f} ms"


def fmt_ns(x: float) -> str:
    if x >= 1e6:
        return f"{x / 1e6:.2f} ms"
    if x >= 1e3:
        return f"{x / 1e3:.1f} us"
    return f"{x:.0f} ns"


def p99(xs: Sequence[float]) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(0.99 * len(s)))]


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[bool] | None = None) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    right = right or [i > 0 for i in range(len(headers))]
    out = []
    for j, r in enumerate(cells):
        out.append(
            "  ".join(
                c.rjust(w) if right[i] else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
        if j == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(("  " + line).rstrip() for line in out)


def section(title: str) -> None:
    print()
    print(title)
    print("=" * len(title))


def size_label(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


# -- load + validate ----------------------------------------------------------------------------------

_CHILD = r"""
import json, sys, time
sys.path.insert(0, {root!r})
import ryaml
import triage.trees.library as library
from triage.walk.scenarios import load_library

# time the phases of this one run by wrapping three calls load_library makes (no engine code changes)
spent = {{"yaml": 0.0, "load_tree": 0.0, "check_tree": 0.0}}
def timed(name, fn):
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - t0
    return wrapper
ryaml.loads = timed("yaml", ryaml.loads)
library.load_tree = timed("load_tree", library.load_tree)
library.check_tree = timed("check_tree", library.check_tree)

path = sys.argv[1]
t0 = time.perf_counter()
lib = load_library([path], scenarios=False)
t1 = time.perf_counter()
errors = len(lib.errors)
warnings = len(lib.diagnostics) - errors
print(json.dumps({{"seconds": t1 - t0, "trees": len(lib), "errors": errors, "warnings": warnings, **spent}}))
"""


def load_once(path: Path, timeout: float | None) -> dict[str, Any]:
    """One ``load_library([path], scenarios=False)`` in a fresh interpreter, timed inside it."""
    code = _CHILD.format(root=str(ROOT))
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code, str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"seconds": None, "timeout": timeout}
    if proc.returncode != 0:
        raise RuntimeError(f"load of {path} failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# -- profiling --------------------------------------------------------------------------------------


def short(func: tuple[str, int, str]) -> str:
    path, line, name = func
    if path.startswith("~") or path == "~":
        return name
    p = Path(path)
    parts = p.parts
    for anchor in ("triage", "site-packages"):
        if anchor in parts:
            i = parts.index(anchor)
            rel = "/".join(parts[i + (1 if anchor == "site-packages" else 0) :])
            return f"{rel}:{line}({name})"
    return f"{p.name}:{line}({name})"


def print_profile(prof: cProfile.Profile, limit: int = 12) -> None:
    st = pstats.Stats(prof)
    total = st.total_tt  # type: ignore[attr-defined]
    rows = []
    for func, (_cc, nc, tt, ct, _) in st.stats.items():  # type: ignore[attr-defined]
        rows.append((func, nc, tt, ct))
    print(f"  total profiled time {total:.3f} s (cProfile adds overhead; compare shares, not absolutes)")
    print("  by own time:")
    top = sorted(rows, key=lambda r: r[2], reverse=True)[:limit]
    print(
        table(
            ["function", "calls", "own", "own %", "cumulative"],
            [
                (short(f), nc, f"{tt:.3f} s", f"{100 * tt / total:.0f}%", f"{ct:.3f} s")
                for f, nc, tt, ct in top
            ],
        )
    )
    print("  by cumulative time (triage functions):")
    mine = [r for r in rows if f"{os.sep}triage{os.sep}" in r[0][0]]
    top = sorted(mine, key=lambda r: r[3], reverse=True)[:limit]
    print(
        table(
            ["function", "calls", "cumulative", "cum %"],
            [(short(f), nc, f"{ct:.3f} s", f"{100 * ct / total:.0f}%") for f, nc, tt, ct in top],
        )
    )


# -- main -------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    sizes = [
        int(x) for x in (args.sizes or ("1000,10000" if args.quick else "1000,10000,100000")).split(",") if x
    ]
    steps = args.steps or (1000 if args.quick else 5000)
    tmp = Path(tempfile.mkdtemp(prefix="triage-bench-"))
    wall0 = time.perf_counter()
    _print_setup(args, sizes, steps)

    # 1. generate
    section("1. Generated trees")
    wtree, paths = generate_trees(args, sizes, tmp)

    # 2. load + validate
    section("2. Load + validate: load_library([file], scenarios=False), fresh interpreter per run")
    load_median, ratio = load_section(args, sizes, paths)

    # 3 + 4. steps
    section(
        f"3. Time per step on a {args.walk_size}-node tree (one answer, including automatic hops after it)"
    )
    plan = plan_walk(wtree)
    lib = load_library([paths[args.walk_size]], scenarios=False)
    e_med, t_med, figures = step_section(wtree, plan, lib, steps)

    # 5. targets
    section("Targets")
    load10 = load_median.get(10000)
    ok_load = load10 is not None and load10 < TARGET_10K_LOAD_S
    ok_ratio = ratio is not None and ratio < TARGET_SCALE
    ok_step = e_med <= t_med
    print_targets(load10, ok_load, ratio, ok_ratio, ok_step, figures)

    if not args.no_profile and ((load10 is not None and not ok_load) or (ratio is not None and not ok_ratio)):
        profile_load(paths, sizes)
    if not args.no_profile and not ok_step:
        profile_walk(args, plan, lib, wtree["id"])

    if args.keep:
        print(f"\n  generated files kept in {tmp}")
    else:
        for p in paths.values():
            p.unlink(missing_ok=True)
        tmp.rmdir()
    print(
        f"\n  total benchmark time {time.perf_counter() - wall0:.0f} s; load average now {os.getloadavg()[0]:.1f}"
    )
    return 0


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--sizes", default=None, help="tree sizes in nodes, comma-separated (default 1000,10000,100000)"
    )
    ap.add_argument("--quick", action="store_true", help="fewer runs and steps; default sizes 1000,10000")
    ap.add_argument(
        "--walk-size", type=int, default=10000, help="tree size for the step benchmark (default 10000)"
    )
    ap.add_argument(
        "--steps", type=int, default=None, help="minimum timed steps per walker (default 5000, quick 1000)"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--load-timeout", type=float, default=3600.0, help="seconds allowed for one load run")
    ap.add_argument("--no-profile", action="store_true", help="do not profile a missed target")
    ap.add_argument("--keep", action="store_true", help="keep the generated YAML files (prints the folder)")
    return ap.parse_args(argv)


def _print_setup(args: argparse.Namespace, sizes: list[int], steps: int) -> None:
    import importlib.metadata

    import pydantic
    import transitions

    print("triage engine benchmark")
    print(
        f"  python {platform.python_version()} ({platform.machine()}), pydantic {pydantic.VERSION}, "
        f"transitions {transitions.__version__}, ryaml {importlib.metadata.version('ryaml')}, "
        f"networkx {importlib.metadata.version('networkx')}, cpus {os.cpu_count()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"  sizes {', '.join(map(str, sizes))}; walk tree {args.walk_size}; >= {steps} timed steps per walker; "
        f"seed {args.seed}{'; quick' if args.quick else ''}"
    )


# -- 1. generated trees -----------------------------------------------------------------------------

_KIND_COLUMNS = ("question", "action", "collect", "logic", "resolved", "escalate", "visit")


def generate_trees(
    args: argparse.Namespace, sizes: list[int], tmp: Path
) -> tuple[dict[str, Any], dict[int, Path]]:
    """Generate and write every size (and the walk size); print a table; return the walked tree's data."""
    walked: dict[str, Any] = {}
    paths: dict[int, Path] = {}
    rows: list[Sequence[Any]] = []
    for n in sorted(set(sizes) | {args.walk_size}):
        t0 = time.perf_counter()
        tree = generate_tree(n, args.seed)
        path = write_tree_yaml(tree, tmp / f"{tree['id']}.yaml")
        gen_s = time.perf_counter() - t0
        paths[n] = path
        if n == args.walk_size:  # keep only the walked tree's data: a big idle heap would slow the GC
            walked = tree
        counts = Counter(
            node["kind"] if node["kind"] != "outcome" else node["outcome"] for node in tree["nodes"]
        )
        spine = sum(1 for node in tree["nodes"] if "spine" in node.get("tags", ()))
        rows.append(
            (
                n,
                f"{path.stat().st_size / 1e6:.1f} MB",
                spine,
                *(counts.get(k, 0) for k in _KIND_COLUMNS),
                fmt_s(gen_s),
            )
        )
    print(table(["nodes", "yaml", "spine", *_KIND_COLUMNS, "gen+write"], rows))
    return walked, paths


# -- 2. load + validate -----------------------------------------------------------------------------


def load_section(
    args: argparse.Namespace, sizes: list[int], paths: dict[int, Path]
) -> tuple[dict[int, float | None], float | None]:
    """Time the loads of every size; print a table; return the median per size and the 100k/10k ratio."""
    load_median: dict[int, float | None] = {}
    rows = []
    for n in sizes:
        planned = (3 if args.quick else 5) if n <= 10000 else (1 if args.quick else 2)
        runs, last = _load_runs(paths[n], n, planned, args.load_timeout)
        med = statistics.median(r["seconds"] for r in runs) if runs else None
        load_median[n] = med
        rows.append(_load_row(n, runs, med, args.load_timeout, last.get("warnings", "-")))
    print(
        table(
            [
                "nodes",
                "runs",
                "median",
                "min",
                "max",
                "per node",
                "yaml parse",
                "read+pydantic",
                "check_tree",
                "other",
                "warnings",
            ],
            rows,
        )
    )
    print("  phases (medians over the same runs): yaml parse = ryaml.loads (serde-yaml, Rust);")
    print("  read+pydantic = rest of load_tree; check_tree = graph checks (triage.trees.checks.check_tree);")
    print("  other = rest of load_library (file search, library checks).")
    ratio = None
    if load_median.get(100000) and load_median.get(10000):
        ratio = load_median[100000] / load_median[10000]  # type: ignore[operator]
        print(f"  100k / 10k load time ratio: {ratio:.1f}x (linear would be 10x)")
    return load_median, ratio


def _load_runs(
    path: Path, n: int, planned: int, timeout: float
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Up to ``planned`` timed loads, stopping at a timeout or after one run over two minutes; and the
    last result (a timed-out one has no figures)."""
    runs: list[dict[str, Any]] = []
    info: dict[str, Any] = {}
    for _ in range(planned):
        info = load_once(path, timeout)
        if info["seconds"] is None:
            break
        if info["trees"] != 1 or info["errors"]:
            raise AssertionError(f"the generated {n}-node tree did not load cleanly: {info}")
        runs.append(info)
        if info["seconds"] > 120:  # one long run is enough
            break
    return runs, info


def _load_row(
    n: int, runs: list[dict[str, Any]], med: float | None, timeout: float, warnings: Any
) -> tuple[Any, ...]:
    secs = [r["seconds"] for r in runs]

    def phase(get: Callable[[dict[str, Any]], float]) -> str:
        return fmt_s(statistics.median(get(r) for r in runs)) if runs else "-"

    return (
        n,
        len(runs),
        fmt_s(med) if med is not None else f"> {timeout:.0f} s (timeout)",
        fmt_s(min(secs)) if runs else "-",
        fmt_s(max(secs)) if runs else "-",
        f"{med / n * 1e6:.0f} us" if med else "-",
        phase(lambda r: r["yaml"]),
        phase(lambda r: r["load_tree"] - r["yaml"]),
        phase(lambda r: r["check_tree"]),
        phase(lambda r: r["seconds"] - r["load_tree"] - r["check_tree"]),
        warnings,
    )


# -- 3. steps ---------------------------------------------------------------------------------------


def step_section(
    wtree: dict[str, Any], plan: list[tuple[str, Any, str]], lib: Any, steps: int
) -> tuple[float, float, str]:
    """Time the four walkers; print their tables; return the submit and transitions medians and the
    figure the targets block shows."""
    tree_id = wtree["id"]
    print(
        f"  planned walk: {len(plan)} answers from start to the final outcome "
        f"({sum(1 for n in wtree['nodes'] if 'spine' in n.get('tags', ()))} spine nodes, "
        f"the rest passed automatically); restart after each walk"
    )
    clock = time.perf_counter_ns
    over = []
    for _ in range(10000):
        a = clock()
        b = clock()
        over.append(b - a)
    timer_ns = statistics.median(over)

    gc.collect()
    eng = engine_walk(lib, tree_id, plan, steps)
    gc.collect()
    sub = engine_walk(lib, tree_id, plan, steps, view=False)
    gc.collect()
    dct = dict_walk(wtree, plan, steps)
    gc.collect()
    trn = transitions_walk(wtree, plan, steps)
    print(
        f"  transitions.Machine build: {fmt_s(trn['build'])} for {trn['states']} states, "
        f"{trn['transitions']} transitions (auto_transitions=False)"
    )
    print(
        f"  triage new session: Session.start {fmt_s(eng['start'])}, first answer {fmt_s(eng['first_answer'])} "
        f"(builds the session's distance-to-outcome table)"
    )
    walkers = (
        ("triage Session.submit", sub),
        ("triage Session.answer", eng),
        ("transitions trigger", trn),
        ("dict lookup", dct),
    )
    rows = []
    for name, res in walkers:
        ts = res["times"]
        rows.append(
            (
                name,
                len(ts),
                fmt_ns(statistics.median(ts)),
                fmt_ns(p99(ts)),
                fmt_ns(statistics.fmean(ts)),
                fmt_ns(max(ts)),
            )
        )
    print(
        table(
            ["walker", "steps", "median", "p99", "mean", "max"],
            rows,
            right=[False, True, True, True, True, True],
        )
    )
    print(f"  timer overhead (back-to-back perf_counter_ns): {fmt_ns(timer_ns)}, included in every figure")
    print(
        "  Session.submit = the engine's transition (answer check, event with timestamp, facts, logic hops,"
    )
    print(
        "  policy checks); Session.answer = submit + the StepView the app and CLI draw (breadcrumb included)."
    )
    _print_by_position(eng, len(plan))
    return _print_ratios(sub, eng, trn, dct)


def _print_by_position(eng: dict[str, Any], walk_len: int) -> None:
    """triage's answer times by where in the walk they were taken (the breadcrumb grows as it goes)."""
    buckets = [(0, 50), (50, 200), (200, 10**9)]
    rows = []
    for lo, hi in buckets:
        ts = [t for t, p in zip(eng["times"], eng["positions"], strict=True) if lo <= p < hi]
        if ts:
            label = f"answers {lo + 1}-{hi}" if hi < 10**9 else f"answers {lo + 1}-{walk_len}"
            rows.append((label, len(ts), fmt_ns(statistics.median(ts)), fmt_ns(p99(ts))))
    print("  triage Session.answer time by position in the walk:")
    print(table(["position", "steps", "median", "p99"], rows, right=[False, True, True, True]))


def _print_ratios(
    sub: dict[str, Any], eng: dict[str, Any], trn: dict[str, Any], dct: dict[str, Any]
) -> tuple[float, float, str]:
    e_med, e_p99 = statistics.median(sub["times"]), p99(sub["times"])
    a_med, a_p99 = statistics.median(eng["times"]), p99(eng["times"])
    t_med, t_p99 = statistics.median(trn["times"]), p99(trn["times"])
    d_med, d_p99 = statistics.median(dct["times"]), p99(dct["times"])
    print()
    print(
        table(
            ["ratio", "median", "p99"],
            [
                ("submit / transitions", f"{e_med / t_med:.2f}x", f"{e_p99 / t_p99:.2f}x"),
                ("answer / transitions", f"{a_med / t_med:.2f}x", f"{a_p99 / t_p99:.2f}x"),
                ("submit / dict", f"{e_med / d_med:.0f}x", f"{e_p99 / d_p99:.0f}x"),
                ("transitions / dict", f"{t_med / d_med:.0f}x", f"{t_p99 / d_p99:.0f}x"),
            ],
            right=[False, True, True],
        )
    )
    figure = f"{fmt_ns(e_med)} vs {fmt_ns(t_med)} (p99 {fmt_ns(e_p99)} vs {fmt_ns(t_p99)})"
    return e_med, t_med, figure


# -- targets and profiles ---------------------------------------------------------------------------


def print_targets(
    load10: float | None, ok_load: bool, ratio: float | None, ok_ratio: bool, ok_step: bool, step_figure: str
) -> None:
    rows = [
        (
            "10k load+validate < 1 s",
            "PASS" if ok_load else ("MISS" if load10 is not None else "n/a"),
            fmt_s(load10) if load10 is not None else "needs size 10000",
        ),
        (
            "100k load < 12x the 10k time",
            "PASS" if ok_ratio else ("MISS" if ratio is not None else "n/a"),
            f"{ratio:.1f}x" if ratio is not None else "needs sizes 10000 and 100000",
        ),
        ("triage step (submit) <= transitions step (median)", "PASS" if ok_step else "MISS", step_figure),
    ]
    print(table(["target", "result", "figure"], rows, right=[False, False, False]))


def profile_load(paths: dict[int, Path], sizes: list[int]) -> None:
    n = 10000 if 10000 in paths else sizes[-1]
    section(f"Profile: one load_library of the {n}-node tree")
    gc.collect()
    prof = cProfile.Profile()
    prof.enable()
    load_library([paths[n]], scenarios=False)
    prof.disable()
    print_profile(prof)


def profile_walk(args: argparse.Namespace, plan: list[tuple[str, Any, str]], lib: Any, tree_id: str) -> None:
    section(f"Profile: one full walk ({len(plan)} answers) on the {args.walk_size}-node tree")
    policy = Policy(PolicyConfig(step_budget={Audience.AGENT: 10**9, Audience.SELF_SERVICE: 10**9}))
    s = Session.start(lib, tree_id, policy=policy)
    s.answer(plan[0][1])
    s.restart()
    prof = cProfile.Profile()
    prof.enable()
    for _, ans, _ in plan:
        s.submit(ans)
    prof.disable()
    print_profile(prof)


if __name__ == "__main__":
    sys.exit(main())
