"""Summaries across instances: means with confidence intervals, quantiles of the ratio to the optimum."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from triage.guidance.simulate.evaluation import InstanceResult

__all__ = [
    "SummaryRow",
    "mean_ci",
    "summarize",
]


def mean_ci(values: Sequence[float], z: float = 1.96) -> tuple[float, float]:
    """Mean and the half-width of its normal-approximation confidence interval (95% by default)."""
    if not values:
        return math.nan, math.nan
    mean = math.fsum(values) / len(values)
    if len(values) < 2:
        return mean, math.nan
    return mean, z * statistics.stdev(values) / math.sqrt(len(values))


def _quantile(values: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile (numpy's default)."""
    xs = sorted(values)
    pos = (len(xs) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


@dataclass(frozen=True)
class SummaryRow:
    """One policy on one family, over its instances (means; ``*_ci``: 95% half-widths across instances).

    ``improvement`` is the mean paired ``1 - cost / cost(authored)`` (NaN if authored was not run).
    """

    family: str
    policy: str
    instances: int
    cost: float
    cost_ci: float
    ratio: float
    ratio_ci: float
    ratio_median: float
    ratio_p90: float
    ratio_max: float
    optimal_share: float
    improvement: float
    steps: float
    self_resolved: float
    correct_outcome: float
    unnecessary_escalation: float
    unnecessary_visit: float
    missed_escalation: float


def summarize(results: Sequence[InstanceResult], *, family: str | None = None) -> list[SummaryRow]:
    """Rows per (family, policy), in first-seen order; ``family`` relabels (pools) all results under one name."""
    groups: dict[tuple[str, str], list[InstanceResult]] = {}
    authored: dict[tuple[str, int], float] = {}
    for r in results:
        groups.setdefault((family or r.family, r.policy), []).append(r)
        if r.policy == "authored":
            authored[(r.family, r.seed)] = r.evaluation.cost
    rows = []
    for (fam, pol), rs in groups.items():
        ratios = [r.ratio for r in rs]
        cost, cost_ci = mean_ci([r.evaluation.cost for r in rs])
        ratio, ratio_ci = mean_ci(ratios)
        imps = [
            1 - r.evaluation.cost / authored[(r.family, r.seed)] for r in rs if (r.family, r.seed) in authored
        ]

        def avg(name: str, rs: list[InstanceResult] = rs) -> float:
            return math.fsum(getattr(r.evaluation, name) for r in rs) / len(rs)

        rows.append(
            SummaryRow(
                family=fam,
                policy=pol,
                instances=len(rs),
                cost=cost,
                cost_ci=cost_ci,
                ratio=ratio,
                ratio_ci=ratio_ci,
                ratio_median=_quantile(ratios, 0.5),
                ratio_p90=_quantile(ratios, 0.9),
                ratio_max=max(ratios),
                optimal_share=sum(abs(x - 1) <= 1e-9 for x in ratios) / len(ratios),
                improvement=math.fsum(imps) / len(imps) if imps else math.nan,
                steps=avg("steps"),
                self_resolved=avg("self_resolved"),
                correct_outcome=avg("correct_outcome"),
                unnecessary_escalation=avg("unnecessary_escalation"),
                unnecessary_visit=avg("unnecessary_visit"),
                missed_escalation=avg("missed_escalation"),
            )
        )
    return rows
