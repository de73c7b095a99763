"""The claims page's intervals and tests, measured on synthetic scores whose truth is known.

Coverage is measured, not assumed: each test draws many small samples from a known
distribution and counts how often the 95% interval holds the true value (Monte Carlo
error about 0.005 at 4,000 draws). Run with ``-s`` to see the table of measured coverage.
"""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lrrl.analysis import intervals
from lrrl.analysis import small_sample

BAR = 0.93  # a 95% interval must cover at least this often (docs/claims.md)
DRAWS = 4000
CAP, CAP_SD, COLLAPSED, COLLAPSED_SD = 195.0, 5.0, 60.0, 30.0  # a CartPole-like cap-or-collapse outcome


def _normal(rng, shape):
    return rng.normal(100.0, 20.0, shape), 100.0


def _cap_or_collapse(rng, shape, share=0.5):
    """Bimodal: a run holds the cap with probability ``share``, else collapses."""
    held = rng.random(shape) < share
    values = np.where(held, rng.normal(CAP, CAP_SD, shape), rng.normal(COLLAPSED, COLLAPSED_SD, shape))
    return values, share * CAP + (1 - share) * COLLAPSED


def _percentile_bootstrap(samples, rng, reps=1000):
    """Today's interval of a cell's mean (rliable's percentile bootstrap over seeds), vectorised."""
    n = samples.shape[1]
    picks = rng.integers(0, n, (samples.shape[0], reps, n))
    means = np.take_along_axis(np.repeat(samples[:, None, :], reps, axis=1), picks, axis=2).mean(axis=2)
    return np.percentile(means, 2.5, axis=1), np.percentile(means, 97.5, axis=1)


def _t_coverage(draw, n, rng):
    samples, truth = draw(rng, (DRAWS, n))
    found = np.array([small_sample.t_interval(s)[1:] for s in samples])
    return float(np.mean((found[:, 0] <= truth) & (truth <= found[:, 1])))


def _welch_coverage(draw, n, rng, draws=DRAWS):
    x, truth_x = draw(rng, (draws, n))
    y, truth_y = draw(rng, (draws, n))
    y = y * 0.5  # unequal variances; the true difference moves with them
    truth = truth_x - 0.5 * truth_y
    found = np.array([(w.low, w.high) for w in (small_sample.welch(a, b) for a, b in zip(x, y))])
    return float(np.mean((found[:, 0] <= truth) & (truth <= found[:, 1])))


def _percentile_coverage(draw, n, rng):
    samples, truth = draw(rng, (DRAWS // 2, n))
    low, high = _percentile_bootstrap(samples, rng)
    return float(np.mean((low <= truth) & (truth <= high)))


MEASURED = {}


@pytest.mark.parametrize('n', [3, 5, 10])
def test_t_and_welch_intervals_cover_95_percent_of_normal_means_at_3_to_10_seeds(n):
    rng = np.random.default_rng(n)
    one = MEASURED[('t interval of a mean', 'normal', n)] = _t_coverage(_normal, n, rng)
    two = MEASURED[('Welch interval of a difference', 'normal', n)] = _welch_coverage(_normal, n, rng)
    assert one >= BAR and two >= BAR, (one, two)


@pytest.mark.parametrize('n', [3, 5])
def test_todays_percentile_bootstrap_does_not_hold_95_percent_at_3_or_5_seeds(n):
    rng = np.random.default_rng(100 + n)
    found = MEASURED[('percentile bootstrap of a mean', 'normal', n)] = _percentile_coverage(_normal, n, rng)
    # The bar the new intervals pass is failed by the old method, by far at n = 3.
    assert found < BAR, found
    if n == 3:
        assert found < 0.8, found


def test_the_vectorised_percentile_bootstrap_is_rliables_interval():
    """The method measured above is the one the old page used (``intervals.aggregate_intervals``)."""
    values = np.array([62.0, 138.0, 95.0, 120.0, 107.0])
    frame = intervals.aggregate_intervals({'c': intervals.score_matrix({'g': pd.Series(values)})}, 4000, 0)
    low, high = _percentile_bootstrap(values[None, :], np.random.default_rng(0), reps=4000)
    assert frame['mean_low'].iloc[0] == pytest.approx(low[0], abs=3.0)
    assert frame['mean_high'].iloc[0] == pytest.approx(high[0], abs=3.0)


def test_welch_covers_cap_or_collapse_differences_at_10_seeds_and_is_measured_at_5():
    rng = np.random.default_rng(7)
    at_ten = MEASURED[('Welch interval of a difference', 'cap or collapse', 10)] = _welch_coverage(
        _cap_or_collapse, 10, rng
    )
    at_five = MEASURED[('Welch interval of a difference', 'cap or collapse', 5)] = _welch_coverage(
        _cap_or_collapse, 5, rng
    )
    assert at_ten >= BAR, at_ten
    # At 5 seeds a bimodal outcome is near the bar (about 0.93-0.94); this is why a verdict
    # also needs the exact rank-sum test, whose level holds for any shape (next test).
    assert at_five >= 0.9, at_five


@pytest.mark.parametrize('n', [3, 5, 10])
def test_the_exact_rank_sum_test_keeps_its_level_on_cap_or_collapse_scores(n):
    rng = np.random.default_rng(20 + n)
    x, _ = _cap_or_collapse(rng, (1000, n), share=0.3)
    y, _ = _cap_or_collapse(rng, (1000, n), share=0.3)
    rejected = np.mean([small_sample.rank_sum(a, b).p_two_sided < 0.05 for a, b in zip(x, y)])
    MEASURED[('exact rank-sum test, P(reject a true null)', 'cap or collapse', n)] = float(rejected)
    assert rejected <= 0.05 + 0.015, rejected  # three Monte Carlo standard errors


def test_print_the_measured_coverage():
    """With ``pytest -s``: the table quoted in docs/claims.md (after the tests above ran)."""
    for (method, shape, n), value in sorted(MEASURED.items()):
        print(f'{method:55s} {shape:16s} n = {n:2d}: {value:.3f}')


def _brute_force(x, y):
    pooled = np.concatenate([x, y])
    ranks = stats.rankdata(pooled)
    observed = ranks[: len(x)].sum()
    sums = [ranks[list(c)].sum() for c in itertools.combinations(range(len(pooled)), len(x))]
    return np.mean(np.array(sums) >= observed - 1e-9), np.mean(np.array(sums) <= observed + 1e-9)


@pytest.mark.parametrize(
    'x, y',
    [
        ([1.0, 5.0, 3.0], [2.0, 4.0, 0.5]),
        ([200.0, 200.0, 91.0, 103.0, 200.0], [200.0, 62.0, 80.0, 138.0, 100.0]),  # ties at the cap
        ([10.0, 10.0, 10.0], [10.0, 10.0]),
        ([4.0, 9.0, 1.0, 7.0], [3.0, 8.0, 2.0, 6.0, 5.0, 0.0]),
    ],
)
def test_rank_sum_counts_every_split_of_the_pooled_scores(x, y):
    found = small_sample.rank_sum(x, y)
    greater, less = _brute_force(np.array(x), np.array(y))
    assert found.p_greater == pytest.approx(greater) and found.p_less == pytest.approx(less)


def test_rank_sum_agrees_with_scipys_exact_test_without_ties_and_gives_p_x_above_y():
    x, y = [3.1, 4.7, 5.9, 8.2, 9.0], [1.2, 2.5, 4.1, 6.3, 0.4, 2.2]
    found = small_sample.rank_sum(x, y)
    expected = stats.mannwhitneyu(x, y, alternative='greater', method='exact')
    assert found.p_greater == pytest.approx(expected.pvalue)
    assert found.probability == pytest.approx(expected.statistic / (len(x) * len(y)))
    # A shift moves x down before the test: x - 10 is below every y.
    assert small_sample.rank_sum(x, y, shift=10.0).p_less == pytest.approx(1 / math.comb(11, 5))


def test_three_seeds_a_side_can_never_reach_p_below_0_05():
    """The exact test's smallest two-sided p with 3 + 3 seeds is 0.1: 3 seeds never show anything."""
    assert small_sample.smallest_rank_sum_p(3, 3) == pytest.approx(0.1)
    assert small_sample.rank_sum([100, 101, 102], [1, 2, 3]).p_two_sided == pytest.approx(0.1)
    assert math.isinf(small_sample.detectable_difference(1.0, 3, 1.0, 3))
    assert np.isfinite(small_sample.detectable_difference(1.0, 5, 1.0, 5))


def test_holm_adjusts_in_steps_and_keeps_the_order():
    adjusted = small_sample.holm([0.01, 0.04, 0.03, 0.5])
    assert adjusted == pytest.approx([0.04, 0.09, 0.09, 0.5])


def test_the_detectable_difference_is_found_with_the_stated_power():
    rng = np.random.default_rng(3)
    effect = small_sample.detectable_difference(20.0, 10, 40.0, 10, alpha=0.05, power=0.8)
    x = rng.normal(effect, 20.0, (3000, 10))
    y = rng.normal(0.0, 40.0, (3000, 10))
    found = np.mean([small_sample.welch(a, b).p() < 0.05 for a, b in zip(x, y)])
    assert found == pytest.approx(0.8, abs=0.03)
    n = small_sample.seeds_needed(20.0, 40.0, effect)
    assert n == 10
    assert small_sample.seeds_needed(20.0, 40.0, effect / 2) > 30


def test_equivalence_seeds_give_the_stated_power_when_the_agents_are_alike():
    """At the seeds it names, two cells with the same mean land inside the margin 80% of the time."""
    rng = np.random.default_rng(5)
    n = small_sample.equivalence_seeds_needed(66.0, 66.0, 25.0)
    # More than the seeds at which the interval's half-width alone reaches the margin (about 56).
    assert 130 < n < 160

    def share_inside(seeds, trials=2000):
        x, y = rng.normal(100.0, 66.0, (2, trials, seeds))
        inside = 0
        for a, b in zip(x, y):
            interval = small_sample.welch(a, b)
            inside += -25.0 < interval.low and interval.high < 25.0
        return inside / trials

    assert share_inside(n) == pytest.approx(0.8, abs=0.03)
    assert share_inside(n // 2) < 0.45
    assert small_sample.equivalence_seeds_needed(66.0, 66.0, 0.0) is None
    assert small_sample.equivalence_seeds_needed(66.0, 66.0, 0.01, most=50) is None


def test_a_share_of_successful_runs_needs_large_gaps_at_10_seeds():
    gap = small_sample.detectable_share_difference(0.3, 10)
    assert 0.4 < gap < 0.65
    assert small_sample.detectable_share_difference(0.3, 100) < 0.25
    assert np.isnan(small_sample.detectable_share_difference(0.9, 5))


def test_sign_test_and_one_sample_t():
    p, positive, negative = small_sample.sign_test([1, 2, 3, 4, 5, 6, 7, 8, 0, -1])
    assert (positive, negative) == (8, 1) and p == pytest.approx(stats.binomtest(8, 9).pvalue)
    mean, _, high = small_sample.t_interval([1.0, 2.0, 3.0])
    assert mean == pytest.approx(2.0) and high - mean == pytest.approx(stats.t.ppf(0.975, 2) / math.sqrt(3))
    assert small_sample.one_sample([1.0, 2.0, 3.0], 2.0) == pytest.approx(1.0)


@pytest.mark.parametrize('n', [5, 10])
def test_the_fieller_ratio_interval_holds_its_coverage(n):
    """A final return relative to a reference's, both above a random policy's: Fieller's interval covers."""
    rng = np.random.default_rng(7)
    offset, truth = 20.0, (150.0 - 20.0) / (100.0 - 20.0)
    covered = 0
    draws = 2000
    for _ in range(draws):
        x, y = rng.normal(150.0, 40.0, n), rng.normal(100.0, 25.0, n)
        _, low, high = small_sample.ratio(x, y, offset)
        covered += low <= truth <= high
    assert covered / draws >= BAR
    # Far from the offset the interval is finite and brackets the estimate.
    estimate, low, high = small_sample.ratio([150.0, 160.0, 140.0], [100.0, 105.0, 95.0], offset)
    assert low < estimate < high and np.isfinite(low) and np.isfinite(high)
    # A reference not clearly above the offset gives no finite interval.
    assert small_sample.ratio([150.0, 160.0], [10.0, 40.0], offset)[1] == -np.inf


@pytest.mark.parametrize('n, p', [(100, 0.03), (400, 0.05), (30, 0.2)])
def test_the_exact_binomial_upper_bound_holds_its_level(n, p):
    """At least 95% of exact one-sided upper bounds lie at or above the true proportion."""
    rng = np.random.default_rng(n)
    counts = rng.binomial(n, p, size=4000)
    bounds = np.array([small_sample.binomial_upper(int(k), n) for k in counts])
    assert np.mean(bounds >= p) >= 0.95
    # Exact, not loose: zero successes in n trials bounds p by 1 - 0.05 ** (1 / n).
    assert small_sample.binomial_upper(0, n) == pytest.approx(1 - 0.05 ** (1 / n))
    with pytest.raises(ValueError, match='successes'):
        small_sample.binomial_upper(n + 1, n)
