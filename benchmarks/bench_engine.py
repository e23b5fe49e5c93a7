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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from gen_tree import _stored, _target, generate_tree, plan_walk, write_tree_yaml  # noqa: E402

from triage.trees.conditions import parse as parse_condition  # noqa: E402
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


# -- the three walkers ------------------------------------------------------------------------------


def engine_walk(
    lib: Any, tree_id: str, plan: list[tuple[str, Any, str]], min_steps: int, *, view: bool = True
) -> dict[str, Any]:
    """Time ``Session.answer`` (the transition and the next StepView) or, with ``view=False``,
    ``Session.submit`` (the transition alone: answer check, event, logic hops, policy)."""
    policy = Policy(PolicyConfig(step_budget={Audience.AGENT: 10**9, Audience.SELF_SERVICE: 10**9}))
    # a new session: start, then the first answer (which builds the per-session distance table)
    t0 = time.perf_counter()
    s = Session.start(lib, tree_id, policy=policy)
    t1 = time.perf_counter()
    s.answer(plan[0][1])
    t2 = time.perf_counter()
    first = {"start": t1 - t0, "first_answer": t2 - t1}
    # check the walk once (also a warm-up)
    s.restart()
    for node_id, ans, land in plan:
        if s.node.id != node_id:
            raise AssertionError(f"engine stands at {s.node.id!r}, plan expects {node_id!r}")
        v = s.answer(ans)
        if v.node_id != land:
            raise AssertionError(f"engine went to {v.node_id!r}, plan expects {land!r}")
    if not s.finished:
        raise AssertionError("the planned walk did not finish the session")
    times: list[int] = []
    positions: list[int] = []
    walks = 0
    answer = s.answer if view else s.submit
    clock = time.perf_counter_ns
    while len(times) < min_steps:
        s.restart()
        for i, (_, ans, _) in enumerate(plan):
            a = clock()
            answer(ans)
            b = clock()
            times.append(b - a)
            positions.append(i)
        walks += 1
    return {"times": times, "positions": positions, "walks": walks, **first}


def walk_routes(
    tree: dict[str, Any], plan: list[tuple[str, Any, str]]
) -> tuple[list[tuple[Any, Any]], dict[str, str]]:
    """Per step: (trigger key, fact value to store or None), and the route each logic node takes on this walk."""
    by_id = {n["id"]: n for n in tree["nodes"]}
    facts: dict[str, Any] = {"mode": "agent", "locale": "en"}
    keys: list[tuple[Any, Any]] = []
    auto: dict[str, str] = {}
    for node_id, ans, _ in plan:
        node = by_id[node_id]
        if node["kind"] == "collect":
            stored = _stored(node, ans)
            facts[node["fact"]] = stored
            keys.append(("submit", stored))
        else:
            keys.append((ans, None))
        cur = _target(node, ans)
        while by_id[cur]["kind"] == "logic":
            ln = by_id[cur]
            target = ln["default"]
            for rule in ln["rules"]:
                if parse_condition(rule["when"]).evaluate(facts):
                    target = rule["next"]
                    break
            auto[cur] = target
            cur = target
    return keys, auto


def dict_walk(tree: dict[str, Any], plan: list[tuple[str, Any, str]], min_steps: int) -> dict[str, Any]:
    """The floor: each step is a dict lookup of the next id (logic routes precomputed for this walk)."""
    nxt: dict[str, dict[Any, str]] = {}
    for n in tree["nodes"]:
        if n["kind"] == "question":
            nxt[n["id"]] = {o["value"]: o["next"] for o in n["options"]}
        elif n["kind"] == "action":
            nxt[n["id"]] = {
                "fixed": n["on_fixed"],
                "not_fixed": n["on_not_fixed"],
                "could_not": n.get("on_could_not") or n["on_not_fixed"],
            }
        elif n["kind"] == "collect":
            nxt[n["id"]] = {"submit": n["next"]}
    keys, auto = walk_routes(tree, plan)
    facts: dict[str, Any] = {}
    state = {"cur": tree["start"]}
    collect_fact = {n["id"]: n["fact"] for n in tree["nodes"] if n["kind"] == "collect"}

    def step(key: Any, value: Any) -> str:
        cur = state["cur"]
        if value is not None:
            facts[collect_fact[cur]] = value
        cur = nxt[cur][key]
        while cur in auto:
            cur = auto[cur]
        state["cur"] = cur
        return cur

    for (key, value), (_, _, land) in zip(keys, plan, strict=True):
        if step(key, value) != land:
            raise AssertionError("dict walk left the plan")
    times: list[int] = []
    clock = time.perf_counter_ns
    while len(times) < min_steps:
        state["cur"] = tree["start"]
        facts.clear()
        for key, value in keys:
            a = clock()
            step(key, value)
            b = clock()
            times.append(b - a)
    return {"times": times}


def transitions_walk(
    tree: dict[str, Any], plan: list[tuple[str, Any, str]], min_steps: int
) -> dict[str, Any]:
    """The same state machine in `transitions`: one state per node, one transition per link.

    Triggers are the answers (option value; fixed / not_fixed / could_not; ``submit`` with the
    value for a collect, which a ``before`` callback stores as a fact). A logic node has an
    ``auto`` trigger per rule, guarded by the rule's condition (triage's own parser, compiled
    once), then an unguarded ``auto`` to its default: the first that holds wins, as in triage.
    """
    from transitions import Machine

    class Model:
        def __init__(self) -> None:
            self.facts: dict[str, Any] = {"mode": "agent", "locale": "en"}

    model = Model()
    states: list[str] = []
    trans: list[dict[str, Any]] = []
    auto_states: set[str] = set()

    def setter(fact: str) -> Callable[..., None]:
        def store(value: Any) -> None:
            model.facts[fact] = value

        return store

    def guard(when: str) -> Callable[..., bool]:
        cond = parse_condition(when)
        return lambda *args: cond.evaluate(model.facts)

    for n in tree["nodes"]:
        nid = n["id"]
        states.append(nid)
        kind = n["kind"]
        if kind == "question":
            for o in n["options"]:
                tr: dict[str, Any] = {"trigger": o["value"], "source": nid, "dest": o["next"]}
                if n.get("fact"):
                    tr["before"] = setter(n["fact"])
                trans.append(tr)
        elif kind == "action":
            trans.append({"trigger": "fixed", "source": nid, "dest": n["on_fixed"]})
            trans.append({"trigger": "not_fixed", "source": nid, "dest": n["on_not_fixed"]})
            trans.append(
                {"trigger": "could_not", "source": nid, "dest": n.get("on_could_not") or n["on_not_fixed"]}
            )
        elif kind == "collect":
            trans.append({"trigger": "submit", "source": nid, "dest": n["next"], "before": setter(n["fact"])})
        elif kind == "logic":
            auto_states.add(nid)
            for rule in n["rules"]:
                trans.append(
                    {
                        "trigger": "auto",
                        "source": nid,
                        "dest": rule["next"],
                        "conditions": [guard(rule["when"])],
                    }
                )
            trans.append({"trigger": "auto", "source": nid, "dest": n["default"]})
    t0 = time.perf_counter()
    machine = Machine(
        model=model, states=states, transitions=trans, initial=tree["start"], auto_transitions=False
    )
    build = time.perf_counter() - t0
    keys, _ = walk_routes(tree, plan)
    trigger = model.trigger  # type: ignore[attr-defined]

    def step(key: Any, value: Any) -> None:
        if value is None:
            trigger(key)
        else:
            trigger(key, value)
        while model.state in auto_states:  # type: ignore[attr-defined]
            trigger("auto")

    for (key, value), (_, _, land) in zip(keys, plan, strict=True):
        step(key, value)
        if model.state != land:  # type: ignore[attr-defined]
            raise AssertionError(f"transitions went to {model.state!r}, plan expects {land!r}")  # type: ignore[attr-defined]
    times: list[int] = []
    clock = time.perf_counter_ns
    while len(times) < min_steps:
        machine.set_state(tree["start"], model=model)
        model.facts = {"mode": "agent", "locale": "en"}
        for key, value in keys:
            a = clock()
            step(key, value)
            b = clock()
            times.append(b - a)
    return {"times": times, "build": build, "states": len(states), "transitions": len(trans)}


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
    args = ap.parse_args(argv)

    sizes = [
        int(x) for x in (args.sizes or ("1000,10000" if args.quick else "1000,10000,100000")).split(",") if x
    ]
    steps = args.steps or (1000 if args.quick else 5000)
    tmp = Path(tempfile.mkdtemp(prefix="triage-bench-"))
    wall0 = time.perf_counter()

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

    # 1. generate
    section("1. Generated trees")
    trees: dict[int, dict[str, Any]] = {}
    paths: dict[int, Path] = {}
    rows: list[Sequence[Any]] = []
    for n in sorted(set(sizes) | {args.walk_size}):
        t0 = time.perf_counter()
        tree = generate_tree(n, args.seed)
        path = write_tree_yaml(tree, tmp / f"{tree['id']}.yaml")
        gen_s = time.perf_counter() - t0
        paths[n] = path
        if n == args.walk_size:  # keep only the walked tree's data: a big idle heap would slow the GC
            trees[n] = tree
        counts: dict[str, int] = {}
        for node in tree["nodes"]:
            k = node["kind"] if node["kind"] != "outcome" else node["outcome"]
            counts[k] = counts.get(k, 0) + 1
        spine = sum(1 for node in tree["nodes"] if "spine" in node.get("tags", ()))
        rows.append(
            (
                n,
                f"{path.stat().st_size / 1e6:.1f} MB",
                spine,
                counts.get("question", 0),
                counts.get("action", 0),
                counts.get("collect", 0),
                counts.get("logic", 0),
                counts.get("resolved", 0),
                counts.get("escalate", 0),
                counts.get("visit", 0),
                fmt_s(gen_s),
            )
        )
    print(
        table(
            [
                "nodes",
                "yaml",
                "spine",
                "question",
                "action",
                "collect",
                "logic",
                "resolved",
                "escalate",
                "visit",
                "gen+write",
            ],
            rows,
        )
    )

    # 2. load + validate
    section("2. Load + validate: load_library([file], scenarios=False), fresh interpreter per run")
    load_median: dict[int, float | None] = {}
    rows = []
    for n in sizes:
        planned = (3 if args.quick else 5) if n <= 10000 else (1 if args.quick else 2)
        runs: list[dict[str, Any]] = []
        info: dict[str, Any] = {}
        for _ in range(planned):
            info = load_once(paths[n], args.load_timeout)
            if info["seconds"] is None:
                break
            if info["trees"] != 1 or info["errors"]:
                raise AssertionError(f"the generated {n}-node tree did not load cleanly: {info}")
            runs.append(info)
            if info["seconds"] > 120:  # one long run is enough
                break
        secs = [r["seconds"] for r in runs]
        med = statistics.median(secs) if runs else None
        load_median[n] = med

        def phase(get: Callable[[dict[str, Any]], float], rs: list[dict[str, Any]] = runs) -> str:
            return fmt_s(statistics.median(get(r) for r in rs)) if rs else "-"

        rows.append(
            (
                n,
                len(runs),
                fmt_s(med) if med is not None else f"> {args.load_timeout:.0f} s (timeout)",
                fmt_s(min(secs)) if runs else "-",
                fmt_s(max(secs)) if runs else "-",
                f"{med / n * 1e6:.0f} us" if med else "-",
                phase(lambda r: r["yaml"]),
                phase(lambda r: r["load_tree"] - r["yaml"]),
                phase(lambda r: r["check_tree"]),
                phase(lambda r: r["seconds"] - r["load_tree"] - r["check_tree"]),
                info.get("warnings", "-"),
            )
        )
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

    # 3 + 4. steps
    section(
        f"3. Time per step on a {args.walk_size}-node tree (one answer, including automatic hops after it)"
    )
    wtree = trees[args.walk_size]
    plan = plan_walk(wtree)
    lib = load_library([paths[args.walk_size]], scenarios=False)
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
    rows = []
    walkers = (
        ("triage Session.submit", sub),
        ("triage Session.answer", eng),
        ("transitions trigger", trn),
        ("dict lookup", dct),
    )
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
    # triage by position in the walk
    buckets = [(0, 50), (50, 200), (200, 10**9)]
    rows = []
    for lo, hi in buckets:
        ts = [t for t, p in zip(eng["times"], eng["positions"], strict=True) if lo <= p < hi]
        if ts:
            label = f"answers {lo + 1}-{hi}" if hi < 10**9 else f"answers {lo + 1}-{len(plan)}"
            rows.append((label, len(ts), fmt_ns(statistics.median(ts)), fmt_ns(p99(ts))))
    print("  triage Session.answer time by position in the walk:")
    print(table(["position", "steps", "median", "p99"], rows, right=[False, True, True, True]))

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

    # 5. targets
    section("Targets")
    load10 = load_median.get(10000)
    ok_load = load10 is not None and load10 < TARGET_10K_LOAD_S
    ok_ratio = ratio is not None and ratio < TARGET_SCALE
    ok_step = e_med <= t_med
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
        (
            "triage step (submit) <= transitions step (median)",
            "PASS" if ok_step else "MISS",
            f"{fmt_ns(e_med)} vs {fmt_ns(t_med)} (p99 {fmt_ns(e_p99)} vs {fmt_ns(t_p99)})",
        ),
    ]
    print(table(["target", "result", "figure"], rows, right=[False, False, False]))

    if not args.no_profile and ((load10 is not None and not ok_load) or (ratio is not None and not ok_ratio)):
        n = 10000 if 10000 in paths else sizes[-1]
        section(f"Profile: one load_library of the {n}-node tree")
        gc.collect()
        prof = cProfile.Profile()
        prof.enable()
        load_library([paths[n]], scenarios=False)
        prof.disable()
        print_profile(prof)
    if not args.no_profile and not ok_step:
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


if __name__ == "__main__":
    sys.exit(main())
