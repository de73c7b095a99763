"""The rules that turn scores into *reproduced*, *refuted* or *not shown at this scale* (docs/claims.md).

Verdicts are symmetric. A comparison is *reproduced* when the evidence puts the
difference on the side the claim says, *refuted* when it puts it on the other side,
and otherwise *not shown*, with the smallest effect its data could have detected.
The evidence for a side is two tests that must agree: Welch's t interval of the
difference of means (its coverage measured in ``tests/analysis/test_small_sample.py``)
and the exact rank-sum test, whose level holds for any shape of scores. The
comparisons that enter one claim's verdict are one family: their p-values are
Holm-adjusted, and a side is shown when the adjusted p is below ``alpha``.

The kinds of comparison of x against y (d = mean(x) - mean(y)):

- ``beats``: the claimed side is d > 0, the other d < 0;
- ``competitive`` with margin m: the claimed side is -m < d < m (both ends of the
  interval inside the margin: equivalence), the other d < -m or d > m; with
  ``or_better`` ("competitive with or better than"), the claimed side is d > -m
  and the other d < -m.

A comparison's p is the largest two-sided p among the boundaries of the region its
estimate lies in (0 for ``beats``; -m, and +m for equivalence), taken over both tests:
at level a the a-interval lies in that region exactly when that p is below a.
Pure functions: no files, no runs.
"""

import dataclasses
import math

import numpy as np
from scipy import stats

from lrrl.analysis import small_sample
from lrrl.analysis.claims import claim_files

REPRODUCED = 'reproduced'
REFUTED = 'refuted'
NOT_SHOWN = 'not shown at this scale'
RUNNING = 'running'
NOT_RUN = 'not run yet'
BEATS = claim_files.BEATS
COMPETITIVE = claim_files.COMPETITIVE
# Kinds of a single sample (claims 5 and 6): its mean (or share) against a value.
MEAN_BELOW = 'mean below'
MEAN_ABOVE = 'mean above'
SHARE_ABOVE = 'share above'


@dataclasses.dataclass
class Comparison:
    """One comparison's numbers; ``judge`` fills ``adjusted``, ``verdict``, ``detectable`` and ``family``.

    Two samples: ``estimate`` = mean(x) - mean(y) with Welch's ``low``, ``high`` at
    1 - alpha, ``p_t`` (Welch), ``p_exact`` (rank-sum), ``probability`` = P(X > Y) +
    P(X = Y)/2. One sample: the mean (or share) and its interval, ``p_t`` (t test, or
    none) and ``p_exact`` (sign or binomial test). ``side``: 'claimed' or 'other',
    the region the estimate lies in; ``p``: the larger of the two p-values.
    """

    kind: str
    estimate: float
    low: float
    high: float
    p_t: float
    p_exact: float
    side: str
    n_x: int
    n_y: int = 0
    sd_x: float = np.nan
    sd_y: float = np.nan
    probability: float = np.nan
    margin: float = 0.0
    or_better: bool = False
    adjusted: float = np.nan
    verdict: str = NOT_SHOWN
    detectable: float = np.nan
    family: int = 1
    # The same at the campaign's planned seeds per cell (two-sample comparisons; None otherwise).
    planned_seeds: int = None
    planned_detectable: float = np.nan

    @property
    def p(self):
        return max(self.p_t, self.p_exact)

    def boundary(self):
        """The value the estimate must clear on the claimed side (-m, 0, or 0.5 for a share)."""
        if self.kind == COMPETITIVE:
            return -self.margin
        return 0.5 if self.kind == SHARE_ABOVE else 0.0


def _sd(values):
    values = np.asarray(values, dtype=float)
    return float(values.std(ddof=1)) if len(values) > 1 else np.nan


def boundaries(kind, margin, or_better):
    """The values where the verdict's regions meet."""
    if kind == BEATS:
        return (0.0,)
    if kind == COMPETITIVE:
        return (-margin,) if or_better else (-margin, margin)
    raise ValueError(f'kind = {kind!r} is not allowed: it must be {BEATS!r} or {COMPETITIVE!r}.')


def claimed_side(kind, estimate, margin=0.0, or_better=False):
    """'claimed' if ``estimate`` lies in the region the claim says, else 'other'."""
    if kind == BEATS:
        return 'claimed' if estimate > 0 else 'other'
    if or_better:
        return 'claimed' if estimate > -margin else 'other'
    return 'claimed' if -margin < estimate < margin else 'other'


def compare(kind, x, y, margin=0.0, or_better=False, alpha=0.05):
    """x against y (arrays of per-seed scores) under ``kind`` (``BEATS`` or ``COMPETITIVE``)."""
    if kind == COMPETITIVE and not margin > 0:
        raise ValueError(f'margin = {margin!r} is not allowed for a competitive comparison: it must be > 0.')
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    welch = small_sample.welch(x, y, level=1 - alpha)
    estimate = welch.estimate
    p_t, p_exact = 0.0, 0.0
    for boundary in boundaries(kind, margin, or_better):
        p_t = max(p_t, welch.p(boundary))
        test = small_sample.rank_sum(x, y, shift=boundary)
        # One-sided in the direction the means point; two-sided level.
        one_sided = test.p_greater if estimate > boundary else test.p_less
        p_exact = max(p_exact, 1.0 if estimate == boundary else min(1.0, 2 * one_sided))
    return Comparison(
        kind=kind,
        estimate=estimate,
        low=welch.low,
        high=welch.high,
        p_t=p_t if np.isfinite(welch.se) else 1.0,
        p_exact=p_exact,
        side=claimed_side(kind, estimate, margin, or_better),
        n_x=len(x),
        n_y=len(y),
        sd_x=_sd(x),
        sd_y=_sd(y),
        probability=small_sample.rank_sum(x, y).probability,
        margin=margin if kind == COMPETITIVE else 0.0,
        or_better=or_better,
    )


def compare_mean(values, kind=MEAN_BELOW, alpha=0.05):
    """One sample's mean against 0 (claimed below or above): t interval and exact sign test."""
    values = np.asarray(values, dtype=float)
    mean, low, high = small_sample.t_interval(values, level=1 - alpha)
    p_sign, _, _ = small_sample.sign_test(values)
    side = (mean < 0) if kind == MEAN_BELOW else (mean > 0)
    return Comparison(
        kind=kind,
        estimate=mean,
        low=low,
        high=high,
        p_t=small_sample.one_sample(values),
        p_exact=p_sign,
        side='claimed' if side else 'other',
        n_x=len(values),
        sd_x=_sd(values),
    )


def compare_share(wins, losses, alpha=0.05):
    """The share of wins among wins and losses against 1/2: Clopper-Pearson interval, exact binomial test."""
    n = wins + losses
    if n == 0:
        return Comparison(SHARE_ABOVE, np.nan, np.nan, np.nan, 1.0, 1.0, 'other', 0)
    test = stats.binomtest(wins, n, 0.5)
    interval = test.proportion_ci(confidence_level=1 - alpha, method='exact')
    share = wins / n
    return Comparison(
        kind=SHARE_ABOVE,
        estimate=share,
        low=float(interval.low),
        high=float(interval.high),
        p_t=0.0,  # no parametric test: the exact one decides alone
        p_exact=float(test.pvalue),
        side='claimed' if share > 0.5 else 'other',
        n_x=n,
    )


def _detectable(comparison, alpha, power):
    """The smallest true distance from the boundary this comparison could have shown at ``alpha``."""
    c = comparison
    if c.kind in (BEATS, COMPETITIVE):
        return small_sample.detectable_difference(c.sd_x, c.n_x, c.sd_y, c.n_y, alpha, power)
    if c.kind in (MEAN_BELOW, MEAN_ABOVE):
        if c.n_x < 1 or 2 * 0.5**c.n_x >= alpha:
            return math.inf  # the sign test cannot reach alpha
        return small_sample.detectable_mean(c.sd_x, c.n_x, alpha, power)
    if c.kind == SHARE_ABOVE:
        if c.n_x < 1 or 2 * 0.5**c.n_x >= alpha:
            return math.inf
        return small_sample.detectable_share_difference(0.5, c.n_x, alpha, power)
    raise ValueError(f'kind = {c.kind!r} is not allowed.')


def judge(comparisons, alpha=0.05, power=0.8, planned_seeds=None):
    """Decides a family of comparisons (one claim's): Holm-adjusted p, verdict, detectable effect.

    The detectable effect is at the family's Bonferroni level alpha / k (the level
    Holm's first step uses): the smallest true distance from the boundary that this
    many seeds and this spread would show with ``power``; with ``planned_seeds``, also
    what that many seeds per cell would show at the same spread (two-sample
    comparisons). Returns the comparisons.
    """
    comparisons = list(comparisons)
    if not comparisons:
        return comparisons
    adjusted = small_sample.holm([c.p for c in comparisons])
    for c, p in zip(comparisons, adjusted):
        c.adjusted = float(p)
        c.family = len(comparisons)
        c.verdict = NOT_SHOWN if not p < alpha else REPRODUCED if c.side == 'claimed' else REFUTED
        c.detectable = _detectable(c, alpha / len(comparisons), power)
        if planned_seeds and c.kind in (BEATS, COMPETITIVE):
            c.planned_seeds = planned_seeds
            c.planned_detectable = small_sample.detectable_difference(
                c.sd_x, planned_seeds, c.sd_y, planned_seeds, alpha / len(comparisons), power
            )
    return comparisons


def combine(verdicts):
    """A conjunction (a part over its games, a claim over its parts): reproduced if every verdict is,
    refuted if any is, else not shown; running or not run if any is."""
    verdicts = list(verdicts)
    if not verdicts or all(v == NOT_RUN for v in verdicts):
        return NOT_RUN
    if RUNNING in verdicts or NOT_RUN in verdicts:
        return RUNNING
    if all(v == REPRODUCED for v in verdicts):
        return REPRODUCED
    return REFUTED if REFUTED in verdicts else NOT_SHOWN
