"""``triage`` commands for the planner: learned numbers beside the authored ones, and the simulator.

    triage learned TREE [--group ID] [--prior-weight N] [--min-change X] [--forget F] [--db URL]
        per fix group of the tree's latest published version: every prior, fix chance and answer likelihood,
        authored against learned from the stored sessions, with how much evidence moved it
    triage simulate [--family A..E|all] [--instances N] [--policies a,b,...] [--seed S] [--customers N]
                    [--workers N]
        seeded scenarios of the benchmark families; per policy its exact expectations (cost, ratio to the
        optimum, steps, self-resolution, correct outcome, unnecessary escalations and visits, missed
        escalations) with 95% confidence intervals across instances, the same over simulated customers on
        common random numbers, and a bar chart of the mean ratio to the optimum
    triage simulate --tree TREE [--group ID] [--misspecify] [--trees DIR]
        the same for a real tree's fix group, its authored numbers being the truth (``--misspecify``: the
        policies plan with perturbed numbers, one perturbation per instance)
    triage simulate --library [--customers N] [--seed S] [--trees DIR] [--mode agent|self_service|both] [--csv]
        tier-1 resolution, measured: simulated customers (faults drawn from each tree's priors) walk every
        customer-facing tree with the real engine; per tree and for the library, weighted by the call-volume
        shares in trees/call-volumes.csv, the shares resolved in self-service and at tier 1, closed at the first
        line, escalated, visits, parts shipped, handling minutes, line visits without the checks, and whether
        the library meets its targets (exit status 1 if not)

A progress bar runs on standard error; ``--no-progress`` turns it off.
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

import click

from triage.analytics.simulation import MODES, Mode, simulate_library
from triage.analytics.simulation_report import library_csv, render_library
from triage.analytics.volumes import CALL_VOLUMES, read_call_volumes
from triage.cli.options import Streams, db_option, pass_streams, trees_option
from triage.cli.progress import ProgressBar
from triage.errors import CallVolumeError
from triage.guidance import Oracle, Problem
from triage.guidance.learning import LearnedRow, learned_vs_authored
from triage.guidance.simulate import (
    FAMILIES,
    POLICIES,
    Evaluation,
    Family,
    Progress,
    Scenario,
    draw_customers,
    evaluate,
    make_policies,
    mean_ci,
    misspecify,
    run_session,
    suite,
)
from triage.records.history import GroupHistory, beliefs_for_group, find_group, fix_groups
from triage.records.store import Store
from triage.trees.fix_groups import group_problem
from triage.trees.library import DEFAULT_TREES
from triage.trees.model import FixGroupNode, Tree
from triage.walk.scenarios import load_library

__all__ = ["COMMANDS", "render_learned", "render_simulation"]

BAR_WIDTH = 40


# -- learned ----------------------------------------------------------------------------------------------------


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' if n != 1 else ''}"


def _num(x: float) -> str:
    return f"{x:.3f}"


def _signed(x: float) -> str:
    return f"{round(x, 3) + 0.0:+.3f}"  # + 0.0: a change that rounds to zero reads +0.000, never -0.000


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> list[str]:
    """Aligned lines: the first ``left`` columns left-aligned, the rest right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for r in [header, *rows]:
        cells = [
            c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def _step(row: LearnedRow) -> str:
    if row.step is None:
        return "-"
    return f"{row.step}: {row.answer}" if row.answer is not None else row.step


def render_learned(
    history: GroupHistory, rows: Sequence[LearnedRow], *, version: int, min_change: float
) -> list[str]:
    """The lines ``triage learned`` prints for one fix group."""
    head = (
        f"{history.tree.id} v{version}, fix group {history.group.id}: {_count(len(history.records), 'session')}, "
        f"{history.labelled} with a closure code naming the fault"
    )
    if not rows:
        return [head, f"no number moved by {min_change:g} or more"]
    table = _table(
        ["parameter", "fault", "step", "authored", "learned", "change", "observations"],
        [
            [
                r.parameter,
                r.fault,
                _step(r),
                _num(r.authored),
                _num(r.learned),
                _signed(r.change),
                f"{r.observations:.1f}",
            ]
            for r in rows
        ],
        left=3,
    )
    hint = (
        "to adopt: copy the learned values into the tree file (priors under `faults`, fix chances under each "
        "action's `fixes`, answer likelihoods under the group's `questions`) and publish it"
    )
    return [head, *table, hint]


# -- learned: command --------------------------------------------------------------------------------------------


def _fraction(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is not None and not 0.0 <= value <= 1.0:
        raise click.BadParameter(f"must be between 0 and 1 (got {value})")
    return value


def _positive(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if not (math.isfinite(value) and value > 0):
        raise click.BadParameter(f"must be a number > 0 (got {value})")
    return value


@dataclass(frozen=True)
class _Learn:
    """What ``triage learned`` was asked for."""

    tree: str
    group: str | None
    prior_weight: float
    min_change: float
    forget: float | None


@click.command("learned")
@click.argument("tree", help="tree id (its latest published version)")
@click.option("--group", metavar="ID", help="one fix group (default: every fix group of the tree)")
@click.option(
    "--prior-weight",
    type=float,
    callback=_positive,
    default=10.0,
    metavar="N",
    help="pseudo-observations behind each authored number (default 10)",
)
@click.option(
    "--min-change", type=float, default=0.0, metavar="X", help="only numbers that moved by at least X"
)
@click.option(
    "--forget",
    type=float,
    callback=_fraction,
    metavar="F",
    help="discount per session, oldest first (e.g. 0.99)",
)
@db_option
@pass_streams
def learned(
    streams: Streams,
    tree: str,
    group: str | None,
    prior_weight: float,
    min_change: float,
    forget: float | None,
    db: str | None,
) -> int:
    """Learned fix-group numbers beside the authored ones.

    Per fix group of the tree's latest published version: priors, fix chances and answer likelihoods learned
    from the stored sessions and closure codes.
    """
    store = Store(db)
    try:
        return _learned(store, _Learn(tree, group, prior_weight, min_change, forget), streams.out)
    finally:
        store.dispose()


def _learned(store: Store, args: _Learn, out: TextIO) -> int:
    latest = store.latest_version(args.tree)
    if latest is None:
        raise SystemExit(f"triage learned: tree {args.tree!r} has not been published; run `triage publish`")
    tree = store.library().get_tree(args.tree)
    groups = [find_group(tree, args.group)] if args.group else fix_groups(tree)
    if not groups:
        out.write(f"tree {tree.id!r} has no fix group: nothing is learned for it\n")
        return 1
    blocks = []
    for g in groups:
        history = beliefs_for_group(store, tree, g, prior_weight=args.prior_weight, forget=args.forget)
        rows = learned_vs_authored(history.beliefs, min_change=args.min_change)
        blocks.append(
            "\n".join(render_learned(history, rows, version=latest.version, min_change=args.min_change))
        )
    out.write("\n\n".join(blocks) + "\n")
    return 0


# -- simulate: running ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _InstanceOut:
    """One scenario's figures per policy: exact expectations and, per simulated customer, the same metrics."""

    optimum: float
    exact: dict[str, Evaluation]
    sessions: dict[str, list[tuple[float, ...]]]


def _instance_job(job: tuple[Scenario, tuple[str, ...], int]) -> _InstanceOut:
    """Every policy on one scenario: exact under the truth, then on the same simulated customers."""
    scenario, names, customers = job
    truth = scenario.truth
    oracle = Oracle(truth)
    v = oracle.value()
    policies = make_policies(scenario, names, oracle=oracle)
    exact = {name: evaluate(truth, pol, oracle=oracle) for name, pol in policies.items()}
    kinds = {f.id: f.resolved_by for f in truth.faults}
    drawn = draw_customers(truth, customers, scenario.seed)
    sessions: dict[str, list[tuple[float, ...]]] = {}
    for name, pol in policies.items():
        rows: list[tuple[float, ...]] = []
        for c in drawn:
            r = run_session(truth, pol, c, oracle=oracle)
            kind = kinds[r.fault]
            rows.append(
                (
                    r.cost,
                    r.cost / v if v > 0 else 1.0,
                    float(r.steps),
                    float(r.outcome == "fixed"),
                    float({"fixed": "self", "tier2": "tier2", "visit": "onsite"}[r.outcome] == kind),
                    float(r.escalated and kind == "self"),
                    float(r.outcome == "visit" and kind != "onsite"),
                    float(r.missed_escalation),
                )
            )
        sessions[name] = rows
    return _InstanceOut(v, exact, sessions)


def _run(
    scenarios: Sequence[Scenario],
    names: tuple[str, ...],
    customers: int,
    workers: int,
    progress: Progress | None,
    label: Callable[[Scenario], str],
) -> list[_InstanceOut]:
    """Every scenario, in order, on ``workers`` processes; ``progress`` after each one finishes."""
    jobs = [(sc, names, customers) for sc in scenarios]
    total = len(jobs)
    if workers <= 1 or total <= 1:
        out = []
        for i, job in enumerate(jobs, start=1):
            out.append(_instance_job(job))
            if progress is not None:
                progress(i, total, label(job[0]))
        return out
    results: dict[int, _InstanceOut] = {}
    with ProcessPoolExecutor(max_workers=min(workers, total)) as pool:
        futures = {pool.submit(_instance_job, job): i for i, job in enumerate(jobs)}
        for done, fut in enumerate(as_completed(futures), start=1):
            i = futures[fut]
            results[i] = fut.result()
            if progress is not None:
                progress(done, total, label(jobs[i][0]))
    return [results[i] for i in range(total)]


# -- simulate: rendering ----------------------------------------------------------------------------------------


def _cell(values: Sequence[float], digits: int, scale: float = 1.0) -> str:
    mean, ci = mean_ci([x * scale for x in values])
    if math.isnan(mean):
        return "-"
    return f"{mean:.{digits}f}" if math.isnan(ci) else f"{mean:.{digits}f} ± {ci:.{digits}f}"


_HEADER = [
    "policy",
    "cost",
    "ratio",
    "steps",
    "self-resolved %",
    "correct %",
    "unn. esc. %",
    "unn. visits %",
    "missed esc. %",
]


def _metric_rows(per_policy: dict[str, list[tuple[float, ...]]]) -> list[list[str]]:
    rows = []
    for name, values in per_policy.items():
        cols = list(zip(*values, strict=True))
        rows.append(
            [
                name,
                _cell(cols[0], 2),
                _cell(cols[1], 3),
                _cell(cols[2], 2),
                *(_cell(c, 1, 100.0) for c in cols[3:]),
            ]
        )
    return rows


def _exact_values(ev: Evaluation, optimum: float) -> tuple[float, ...]:
    return (
        ev.cost,
        ev.cost / optimum if optimum > 0 else 1.0,
        ev.steps,
        ev.self_resolved,
        ev.correct_outcome,
        ev.unnecessary_escalation,
        ev.unnecessary_visit,
        ev.missed_escalation,
    )


def render_simulation(results: Sequence[_InstanceOut], names: Sequence[str], customers: int) -> list[str]:
    """The tables and the chart ``triage simulate`` prints for one set of instances."""
    exact = {n: [_exact_values(r.exact[n], r.optimum) for r in results] for n in names}
    lines = [f"exact expectations per session (mean ± 95% CI across {_count(len(results), 'instance')})"]
    lines += _table(_HEADER, _metric_rows(exact))
    if customers > 0:
        simulated = {n: [row for r in results for row in r.sessions[n]] for n in names}
        sessions = len(results) * customers
        lines += [
            "",
            f"simulated customers, common random numbers (mean ± 95% CI across {sessions} sessions)",
        ]
        lines += _table(_HEADER, _metric_rows(simulated))
    ratios = {n: math.fsum(v[1] for v in exact[n]) / len(exact[n]) for n in names}
    top = max(ratios.values()) - 1.0
    lines += ["", "mean ratio to the optimum (exact; the bar is the excess over 1)"]
    width = max(len(n) for n in names)
    for n in names:
        excess = max(0.0, ratios[n] - 1.0)
        bar = "#" * round(BAR_WIDTH * excess / top) if top > 1e-12 else ""
        lines.append(f"{n.ljust(width)}  {ratios[n]:.3f} |{bar}".rstrip())
    return lines


# -- simulate: command ------------------------------------------------------------------------------------------


def _split(value: str) -> list[str]:
    return [x.strip() for x in value.split(",") if x.strip()]


def _tree_scenarios(
    tree: Tree, group: FixGroupNode, *, instances: int, seed: int, misspecified: bool
) -> tuple[list[Scenario], str]:
    truth = group_problem(tree, group)
    # family labels only feed the simulator's bookkeeping: E is "planned with a misspecified model", C is not
    if not misspecified:
        return [
            Scenario("C", seed, truth, truth)
        ], "planned with the authored numbers, which are also the truth"
    scenarios = [
        Scenario("E", seed + i, truth, misspecify(truth, random.Random(f"triage-misspecify:{seed + i}")))
        for i in range(instances)
    ]
    return scenarios, (
        f"planned with {_count(instances, 'perturbed model')} (prior ~ Dir(50·π), fix chances ±0.5 in logit); "
        "the truth is the authored numbers"
    )


def _describe(problem: Problem) -> str:
    c = problem.costs
    stops = [
        f"{name} {cost:g} {c.unit}"
        for name, cost in (("escalate", c.escalation), ("visit", c.visit))
        if cost < 1e8
    ]
    counts = [
        _count(len(xs), what)
        for xs, what in (
            (problem.faults, "fault"),
            (problem.actions, "action"),
            (problem.questions, "question"),
        )
    ]
    return ", ".join(counts) + "; " + ", ".join(stops)


@dataclass(frozen=True)
class _Simulation:
    """What ``triage simulate`` was asked for."""

    family: str
    instances: int
    policies: str | None
    seed: int
    customers: int | None
    workers: int
    tree: str | None
    group: str | None
    misspecify: bool
    trees: tuple[str, ...]
    no_progress: bool
    library: bool = False
    mode: str = "both"
    csv: bool = False


def _policy_names(sim: _Simulation) -> tuple[str, ...]:
    names = tuple(_split(sim.policies)) if sim.policies else tuple(POLICIES)
    unknown = [n for n in names if n not in POLICIES]
    if unknown:
        raise SystemExit(f"triage simulate: unknown policy {unknown[0]!r} (known: {', '.join(POLICIES)})")
    if sim.instances < 1 or (sim.customers or 0) < 0 or sim.workers < 1:
        raise SystemExit(
            "triage simulate: --instances and --workers must be at least 1, --customers at least 0"
        )
    return names


def _tree_section(sim: _Simulation, ref: str) -> tuple[str, list[Scenario]]:
    """One section: the tree's fix group, its authored numbers being the truth."""
    tree = load_library(list(sim.trees) or [DEFAULT_TREES]).resolve(ref)
    if sim.group:
        group = find_group(tree, sim.group)
    else:
        groups = fix_groups(tree)
        if len(groups) != 1:
            listed = ", ".join(g.id for g in groups) or "none"
            raise SystemExit(f"triage simulate: give --group (fix groups of {tree.id!r}: {listed})")
        group = groups[0]
    scenarios, how = _tree_scenarios(
        tree, group, instances=sim.instances, seed=sim.seed, misspecified=sim.misspecify
    )
    return f"tree {tree.id}, fix group {group.id}: {_describe(scenarios[0].truth)}\n{how}", scenarios


def _family_sections(sim: _Simulation) -> list[tuple[str, list[Scenario]]]:
    """One section per benchmark family asked for."""
    sections = []
    for fam in list(FAMILIES) if sim.family == "all" else _split(sim.family):
        if fam not in FAMILIES:
            raise SystemExit(f"triage simulate: unknown family {fam!r} (known: {', '.join(FAMILIES)}, all)")
        family: Family = fam  # type: ignore[assignment]  # checked against FAMILIES just above
        last = sim.seed + sim.instances - 1
        seeds = f"seed {sim.seed}" if last == sim.seed else f"seeds {sim.seed}-{last}"
        head = f"family {fam}: {FAMILIES[family]}\n{_count(sim.instances, 'instance')}, {seeds}"
        sections.append((head, suite(family, sim.instances, seed=sim.seed)))
    return sections


def _library_volumes(sim: _Simulation, known: set[str]) -> dict[str, float]:
    """The call-volume shares: ``call-volumes.csv`` in the first --trees folder, else the shipped table."""
    folders = [Path(t) for t in sim.trees if Path(t).is_dir()]
    path = folders[0] / CALL_VOLUMES.name if folders else CALL_VOLUMES
    if not path.exists():
        raise SystemExit(
            f"triage simulate: {path} is missing; add it with a line 'tree,share' and one per tree"
        )
    try:
        return read_call_volumes(path, known)
    except CallVolumeError as exc:
        raise SystemExit(f"triage simulate: {exc}") from None


def _simulate_library(sim: _Simulation, out: TextIO) -> int:
    """Every customer-facing tree, weighted by its call volume; exit 1 when the library misses a target."""
    customers = 1000 if sim.customers is None else sim.customers
    if customers < 1:
        raise SystemExit("triage simulate: --customers must be at least 1 with --library")
    library = load_library(list(sim.trees) or [DEFAULT_TREES])
    volumes = _library_volumes(sim, {t.id for t in library.offered()})
    progress: Progress | None = None if sim.no_progress else ProgressBar(sys.stderr)
    mode: Mode = sim.mode  # type: ignore[assignment]  # click checked it against MODES
    figures = simulate_library(
        library, volumes, customers=customers, seed=sim.seed, mode=mode, progress=progress
    )
    out.write(library_csv(figures) if sim.csv else "\n".join(render_library(figures)) + "\n")
    return 0 if all(t.met for t in figures.targets()) else 1


def _simulate(sim: _Simulation, out: TextIO) -> int:
    if sim.library:
        return _simulate_library(sim, out)
    if sim.customers is None:
        sim = replace(sim, customers=200)
    names = _policy_names(sim)
    progress: Progress | None = None if sim.no_progress else ProgressBar(sys.stderr)
    sections = [_tree_section(sim, sim.tree)] if sim.tree else _family_sections(sim)

    def label(sc: Scenario) -> str:
        return f"{sc.family} seed {sc.seed}" if not sim.tree else f"instance {sc.seed - sim.seed + 1}"

    blocks = []
    for head, scenarios in sections:
        results = _run(scenarios, names, sim.customers or 0, sim.workers, progress, label)
        blocks.append("\n".join([head, "", *render_simulation(results, names, sim.customers or 0)]))
    out.write("\n\n".join(blocks) + "\n")
    return 0


@click.command("simulate")
@click.option("--family", default="C", help="scenario family A..E, a comma list, or 'all' (default C)")
@click.option("--instances", type=int, default=50, metavar="N", help="instances per family (default 50)")
@click.option(
    "--policies", metavar="A,B", help=f"comma list of policies (default: all of {', '.join(POLICIES)})"
)
@click.option("--seed", type=int, default=0, metavar="S", help="first instance seed (default 0)")
@click.option(
    "--customers",
    type=int,
    default=None,
    metavar="N",
    help="simulated customers per instance, 0 for the exact figures only (default 200); "
    "with --library, per tree (default 1000)",
)
@click.option("--workers", type=int, default=1, metavar="N", help="processes to run on (default 1)")
@click.option("--tree", metavar="TREE", help="simulate this tree's fix group instead of a family")
@click.option("--group", metavar="ID", help="the fix group (default: the tree's only one)")
@click.option("--misspecify", is_flag=True, help="with --tree: plan with perturbed numbers, one per instance")
@trees_option
@click.option("--no-progress", is_flag=True, help="no progress bar on standard error")
@click.option(
    "--library", is_flag=True, help="tier-1 resolution of every customer-facing tree, volume-weighted"
)
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="both",
    show_default=True,
    help="with --library: who walks (both: self-service first, a tier-1 agent takes over where it stops)",
)
@click.option("--csv", "csv", is_flag=True, help="with --library: CSV instead of the table")
@pass_streams
def simulate(streams: Streams, /, **given: Any) -> int:
    """Benchmark the planner against baselines and the optimum.

    On seeded scenarios of the benchmark families, or on a real tree's fix group (--tree): exact
    expectations per policy, the same over simulated customers, and a chart of the ratio to the optimum.
    With --library: every customer-facing tree walked by simulated customers, per tree and volume-weighted.
    """
    return _simulate(_Simulation(**given), streams.out)


COMMANDS: tuple[click.Command, ...] = (learned, simulate)
