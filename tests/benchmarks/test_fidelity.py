"""The fidelity check: Welch's interval holds its coverage at the sweep's size; verdicts follow the rule."""

import numpy as np
import pytest


def test_welchs_interval_holds_its_coverage_at_thirty_seeds_for_bounded_skewed_returns():
    """CartPole-like returns: bounded in [0, 200], skewed, unequal spreads in the two cells."""
    from lrrl.benchmarks import fidelity

    rng = np.random.default_rng(0)
    reps, n = 4000, 30
    covered = 0
    for _ in range(reps):
        x = 200 * rng.beta(2.0, 0.8, size=n)  # mean 200 * 2 / 2.8
        y = np.clip(rng.normal(120, 60, size=n), 0, 200)
        y_mean = _clipped_normal_mean(120, 60, 0, 200)
        _, low, high, _ = fidelity.welch_interval(x, y, 0.95)
        covered += low <= 200 * 2 / 2.8 - y_mean <= high
    # 4,000 replicates: a standard error of 0.35 points around the true coverage.
    assert covered / reps >= 0.94


def _clipped_normal_mean(mu, sigma, low, high):
    """The mean of a normal clipped to [low, high]: the mass beyond each end sits at that end."""
    from scipy import stats

    a, b = (low - mu) / sigma, (high - mu) / sigma
    inside = mu * (stats.norm.cdf(b) - stats.norm.cdf(a)) + sigma * (stats.norm.pdf(a) - stats.norm.pdf(b))
    return low * stats.norm.cdf(a) + inside + high * stats.norm.sf(b)


@pytest.mark.parametrize(
    'low, high, verdict',
    [
        (-10.0, 12.0, 'equivalent'),
        (-30.0, 5.0, 'not shown'),
        (2.0, 20.0, 'equivalent (a difference inside the margin)'),
        (5.0, 40.0, 'different'),
    ],
)
def test_the_verdict_is_the_rules(low, high, verdict):
    from lrrl.benchmarks import fidelity

    assert fidelity.verdict(low, high, 25.0) == verdict
