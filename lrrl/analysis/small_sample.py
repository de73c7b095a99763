"""Intervals and tests that keep their level with 3 to 10 seeds per cell.

A percentile bootstrap over n seeds is too narrow at small n: its 95% interval of a
mean covers the truth about 75% of the time at n = 3 and 84% at n = 5 (measured in
``tests/analysis/test_small_sample.py``). The verdicts of the claims page therefore
use, for a difference of means, Welch's t interval (exact for normal scores at any
n, whatever the two variances), and beside it the exact Wilcoxon-Mann-Whitney
rank-sum test, whose level holds whatever the shape of the scores (bimodal ones,
such as a CartPole run that holds the 200 cap or collapses). A decision needs both.

Pure functions of numpy arrays (scipy for the t and binomial distributions):

- ``t_interval``, ``one_sample``: a mean and its t interval, a test against a value;
- ``welch``: a difference of means, its interval and the test against a value;
- ``ratio``: a ratio of means (above an offset) and its Fieller interval;
- ``rank_sum``: the exact rank-sum test (all splits of the pooled scores counted,
  ties at mid-ranks), with the probability of superiority P(X > Y) + P(X = Y) / 2;
- ``sign_test``: the exact two-sided sign test of paired differences;
- ``holm``: Holm's step-down adjustment of a family's p-values;
- ``binomial_upper``: the exact (Clopper-Pearson) one-sided upper bound of a proportion;
- ``detectable_difference``, ``seeds_needed``, ``detectable_share_difference``: power.

References: Welch (1947), Biometrika 34; Mann and Whitney (1947), Ann. Math. Stat. 18;
Holm (1979), Scand. J. Stat. 6; Clopper and Pearson (1934), Biometrika 26; Fieller (1954), J. R. Stat. Soc. B 16; Cohen (1988), Statistical Power Analysis, ch. 6 (h).
"""

import dataclasses
import math

import numpy as np
from scipy import stats


def _values(values):
    values = np.asarray(values, dtype=float).ravel()
    return values[np.isfinite(values)]


def t_interval(values, level=0.95):
    """(mean, low, high): the mean and its two-sided t interval; NaN ends with fewer than two values."""
    values = _values(values)
    if len(values) == 0:
        return (np.nan, np.nan, np.nan)
    mean = float(values.mean())
    if len(values) < 2:
        return (mean, np.nan, np.nan)
    half = stats.t.ppf(0.5 + level / 2, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
    return (mean, mean - float(half), mean + float(half))


def one_sample(values, null=0.0):
    """Two-sided p of the t test of mean = ``null``; 1 with fewer than two values."""
    values = _values(values)
    if len(values) < 2:
        return 1.0
    se = values.std(ddof=1) / math.sqrt(len(values))
    if se == 0:
        return 1.0 if values.mean() == null else 0.0
    return float(2 * stats.t.sf(abs((values.mean() - null) / se), len(values) - 1))


@dataclasses.dataclass(frozen=True)
class Welch:
    """mean(x) - mean(y), its Welch t interval at ``level``, the standard error and degrees of freedom."""

    estimate: float
    low: float
    high: float
    se: float
    df: float

    def p(self, null=0.0):
        """Two-sided p of the test of a difference equal to ``null``."""
        if not np.isfinite(self.se):
            return 1.0
        if self.se == 0:
            return 1.0 if self.estimate == null else 0.0
        return float(2 * stats.t.sf(abs((self.estimate - null) / self.se), self.df))


def _welch_df(var_x, n_x, var_y, n_y):
    a, b = var_x / n_x, var_y / n_y
    if a + b == 0:
        return float(n_x + n_y - 2)
    return float((a + b) ** 2 / (a**2 / (n_x - 1) + b**2 / (n_y - 1)))


def welch(x, y, level=0.95):
    """Welch's interval of mean(x) - mean(y); NaN ends when a side has fewer than two values."""
    x, y = _values(x), _values(y)
    if len(x) == 0 or len(y) == 0:
        return Welch(np.nan, np.nan, np.nan, np.nan, np.nan)
    estimate = float(x.mean() - y.mean())
    if len(x) < 2 or len(y) < 2:
        return Welch(estimate, np.nan, np.nan, np.nan, np.nan)
    var_x, var_y = x.var(ddof=1), y.var(ddof=1)
    se = math.sqrt(var_x / len(x) + var_y / len(y))
    df = _welch_df(var_x, len(x), var_y, len(y))
    half = float(stats.t.ppf(0.5 + level / 2, df) * se)
    return Welch(estimate, estimate - half, estimate + half, se, df)


def ratio(x, y, offset=0.0, level=0.95):
    """(estimate, low, high) of (mean(x) - offset) / (mean(y) - offset), by Fieller's theorem.

    Fieller (1954), J. R. Stat. Soc. B 16: the set of ratios rho for which
    mean(x) - offset - rho (mean(y) - offset) is within its t interval of 0, with
    the two samples independent and the degrees of freedom Welch's at the
    estimate. Exact for normal scores; the set is an interval only when the
    denominator is itself clearly away from 0 (else the ends are infinite). Used
    for a score relative to a reference, e.g. a final return relative to
    UniformBandit's, both above a random policy's (``offset``).
    """
    x, y = _values(x) - offset, _values(y) - offset
    if len(x) < 2 or len(y) < 2 or y.mean() == 0:
        return (np.nan, np.nan, np.nan)
    a, b = float(x.mean()), float(y.mean())
    var_a, var_b = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    estimate = a / b
    df = _welch_df(x.var(ddof=1), len(x), estimate**2 * y.var(ddof=1), len(y))
    t = float(stats.t.ppf(0.5 + level / 2, df))
    quadratic = b * b - t * t * var_b
    linear = a * b
    constant = a * a - t * t * var_a
    discriminant = linear * linear - quadratic * constant
    if quadratic <= 0 or discriminant < 0:
        return (estimate, -np.inf, np.inf)
    root = math.sqrt(discriminant)
    return (estimate, (linear - root) / quadratic, (linear + root) / quadratic)


@dataclasses.dataclass(frozen=True)
class RankSum:
    """The exact rank-sum test of x against y: one-sided p-values and P(X > Y) + P(X = Y) / 2."""

    p_greater: float  # of "x tends to be larger"
    p_less: float  # of "x tends to be smaller"
    probability: float

    @property
    def p_two_sided(self):
        return min(1.0, 2 * min(self.p_greater, self.p_less))


def rank_sum(x, y, shift=0.0):
    """The exact Wilcoxon-Mann-Whitney test of ``x - shift`` against ``y``.

    Every split of the pooled scores into groups of len(x) and len(y) is counted
    (by dynamic programming over the rank sums, so 10 + 10 or 30 + 30 scores are
    exact and fast); tied scores get mid-ranks, so the test is exact conditional on
    the ties. Under the null hypothesis that both samples come from one
    distribution, P(p <= a) <= a for any shape of scores. ``shift``: the test of a
    location shift of ``shift`` (x - shift against y).
    """
    x, y = _values(x) - shift, _values(y)
    n, m = len(x), len(y)
    if n == 0 or m == 0:
        return RankSum(1.0, 1.0, np.nan)
    doubled = np.rint(2 * stats.rankdata(np.concatenate([x, y]))).astype(int)
    total = int(doubled.sum())
    counts = np.zeros((n + 1, total + 1))
    counts[0, 0] = 1.0
    for rank in doubled:
        shifted = np.zeros_like(counts)
        shifted[1:, rank:] = counts[:-1, : total + 1 - rank]
        counts += shifted
    observed = int(doubled[:n].sum())
    ways = counts[n]
    every = ways.sum()
    p_greater = float(ways[observed:].sum() / every)
    p_less = float(ways[: observed + 1].sum() / every)
    u = observed / 2 - n * (n + 1) / 2
    return RankSum(min(1.0, p_greater), min(1.0, p_less), float(u / (n * m)))


def smallest_rank_sum_p(n, m):
    """The smallest two-sided p the exact rank-sum test can give with n and m scores (no ties)."""
    return min(1.0, 2 / math.comb(n + m, n)) if n and m else 1.0


def sign_test(differences):
    """Exact two-sided sign test of paired differences (zeros dropped): (p, positives, negatives)."""
    differences = _values(differences)
    positive, negative = int((differences > 0).sum()), int((differences < 0).sum())
    if positive + negative == 0:
        return 1.0, 0, 0
    return float(stats.binomtest(positive, positive + negative, 0.5).pvalue), positive, negative


def holm(p_values):
    """Holm's step-down adjusted p-values, in the order given (family-wise error <= alpha when adjusted < alpha)."""
    p = np.asarray(p_values, dtype=float)
    k = len(p)
    adjusted = np.empty(k)
    running = 0.0
    for rank, index in enumerate(np.argsort(p, kind='stable')):
        running = max(running, min(1.0, (k - rank) * p[index]))
        adjusted[index] = running
    return adjusted


def detectable_difference(sd_x, n_x, sd_y, n_y, alpha=0.05, power=0.8):
    """The smallest true difference of means a two-sided Welch test at ``alpha`` detects with ``power``.

    ``(t_{1-alpha/2} + t_{power}) * se`` with Welch's degrees of freedom from the
    given standard deviations; infinite when a side has fewer than two seeds or the
    exact rank-sum test beside it cannot reach ``alpha`` with these seed counts.
    """
    if n_x < 2 or n_y < 2 or smallest_rank_sum_p(n_x, n_y) >= alpha:
        return math.inf
    var_x, var_y = sd_x**2, sd_y**2
    se = math.sqrt(var_x / n_x + var_y / n_y)
    df = _welch_df(var_x, n_x, var_y, n_y)
    return float((stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)) * se)


def detectable_mean(sd, n, alpha=0.05, power=0.8):
    """The smallest true mean (from 0) a two-sided one-sample t test at ``alpha`` detects with ``power``."""
    if n < 2:
        return math.inf
    return float((stats.t.ppf(1 - alpha / 2, n - 1) + stats.t.ppf(power, n - 1)) * sd / math.sqrt(n))


def seeds_needed(sd_x, sd_y, effect, alpha=0.05, power=0.8, most=10_000):
    """The fewest seeds per cell (both cells alike) at which ``detectable_difference`` is at most ``effect``.

    None if more than ``most`` would be needed (or the effect is not positive).
    """
    if not effect > 0:
        return None
    for n in range(2, most + 1):
        if detectable_difference(sd_x, n, sd_y, n, alpha, power) <= effect:
            return n
    return None


def equivalence_seeds_needed(sd_x, sd_y, margin, level=0.95, power=0.8, most=10_000):
    """The fewest seeds per cell (both alike) at which, if the true difference of means is 0, the
    ``level`` Welch interval of the difference lies inside ±``margin`` with probability ``power``
    (two one-sided tests). That needs ``(t_{(1+level)/2} + t_{(1+power)/2}) * se <= margin``: the
    observed difference has to fit inside the margin beside the interval's half-width. It is
    ``seeds_needed`` for an effect of ``margin`` at alpha ``1 - level`` and power ``(1 + power) / 2``.
    None past ``most``.
    """
    return seeds_needed(sd_x, sd_y, margin, alpha=1 - level, power=(1 + power) / 2, most=most)


def detectable_share_difference(share, n, alpha=0.05, power=0.8):
    """The smallest rise from ``share`` of successful runs a two-sided test at ``alpha`` detects with
    ``power`` with n seeds per cell: Cohen's h = (z_{1-alpha/2} + z_power) * sqrt(2/n) on the
    arcsine scale (normal approximation); NaN if no share up to 1 is detectable."""
    h = (stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * math.sqrt(2 / n)
    angle = 2 * math.asin(math.sqrt(min(max(share, 0.0), 1.0))) + h
    if angle > math.pi:
        return np.nan
    return float(math.sin(angle / 2) ** 2 - share)


def binomial_upper(successes, trials, level=0.95):
    """The exact one-sided upper bound of a proportion after ``successes`` in ``trials``
    (Clopper-Pearson: the p at which P(X <= successes) = 1 - level; 1 when all succeeded)."""
    if not 0 <= successes <= trials or trials < 1:
        raise ValueError(f'need 0 <= successes <= trials and trials >= 1, got {successes} of {trials}')
    if successes == trials:
        return 1.0
    return float(stats.beta.ppf(level, successes + 1, trials - successes))
