"""The claims page's rules and measurements on synthetic scores (the end-to-end run is in tests/e2e/test_claims_e2e.py)."""

import os
import tomllib

import numpy as np
import pandas as pd
import pytest

from lrrl import gin_files
from lrrl.analysis import claims

LOW = 'fixed_0.0001'
GOOD = 'fixed_0.001'


def _summary(cells):
    """{label: cell_summary} from {label: list of final returns}."""
    out = {}
    for label, values in cells.items():
        runs = pd.DataFrame({'seed': range(len(values)), 'final_return': values, 'auc': values})
        out[label] = claims.cell_summary(runs, reps=500, seed=0)
    return out


def _runs(values):
    return pd.DataFrame({'seed': range(len(values)), 'final_return': values, 'auc': values})


def _verdict(with_, uniform, alone, without, good):
    summary = _summary(
        {'lrrl_with': with_, 'uniform_with': uniform, 'unstable_alone': alone, 'lrrl_without': without, GOOD: good}
    )
    probabilities = {
        ('lrrl_with', 'uniform_with'): claims.improvement(_runs(with_), _runs(uniform), 'final_return', 500, 0),
        ('lrrl_with', 'unstable_alone'): claims.improvement(_runs(with_), _runs(alone), 'final_return', 500, 0),
    }
    return claims.robustness_verdict(summary, probabilities, GOOD)


def test_claim1_is_reproduced_when_lrrl_beats_uniform_and_the_unstable_rate_and_matches_the_best():
    verdict, conditions = _verdict(
        with_=[150, 160, 170, 155, 165],
        uniform=[60, 70, 80, 65, 75],
        alone=[20, 25, 30, 22, 28],
        without=[150, 170, 160, 165, 155],
        good=[160, 170, 150, 165, 155],
    )
    assert verdict == claims.REPRODUCED and all(conditions.values())


def test_claim1_is_refuted_when_lrrl_is_no_better_than_uniform():
    verdict, conditions = _verdict(
        with_=[60, 70, 80, 65, 75],
        uniform=[62, 72, 78, 66, 74],
        alone=[20, 25, 30, 22, 28],
        without=[150, 170, 160, 165, 155],
        good=[160, 170, 150, 165, 155],
    )
    assert verdict == claims.REFUTED
    assert not conditions['P(LRRL with > uniform with) interval above 0.5']


def test_claim1_is_inconclusive_when_lrrl_beats_uniform_but_falls_short_of_the_best_by_an_unclear_margin():
    verdict, conditions = _verdict(
        with_=[100, 170, 120, 175, 110],
        uniform=[60, 70, 80, 65, 75],
        alone=[20, 25, 30, 22, 28],
        without=[150, 170, 160, 165, 155],
        good=[160, 170, 150, 165, 155],
    )
    assert verdict == claims.INCONCLUSIVE
    assert conditions['P(LRRL with > uniform with) interval above 0.5']
    assert not conditions["LRRL with >= the lower end of the best fixed rate's interval"]


def test_a_cell_summary_is_the_mean_over_seeds_with_an_interval_around_it():
    s = _summary({'a': [10.0, 20.0, 30.0, 40.0]})['a']
    mean, low, high = s['final_return']
    assert mean == pytest.approx(25.0)
    assert 10.0 <= low < mean < high <= 40.0
    assert s['seeds'] == 4


def test_second_half_share_reads_the_arm_of_the_rate_from_the_logged_candidates():
    iterations = pd.DataFrame(
        {
            'iteration': range(4),
            'rate_0': 1e-3,
            'rate_1': 0.03,
            # first half all on 1e-3, second half 0.25 and 0.75 on 0.03.
            'share_0': [1.0, 1.0, 0.75, 0.25],
            'share_1': [0.0, 0.0, 0.25, 0.75],
        }
    )
    assert claims.second_half_share(iterations, 0.03) == pytest.approx(0.5)
    assert claims.second_half_share(iterations, 1e-3) == pytest.approx(0.5)
    assert np.isnan(claims.second_half_share(iterations, 0.3))


def test_rate_drift_is_late_minus_early_share_weighted_log10_rate():
    iterations = pd.DataFrame(
        {
            'run_dir': 'r',
            'iteration': range(8),
            'rate_0': 1e-4,
            'rate_1': 1e-2,
            'share_0': [0.0, 0.0, 0.5, 0.5, 0.5, 0.5, 1.0, 1.0],
            'share_1': [1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.0, 0.0],
        }
    )
    runs = pd.DataFrame({'run_dir': ['r'], 'method': ['lrrl_with_0.03'], 'seed': [0], 'bandit': ['Exp3Bandit']})
    tables = type('T', (), {'iterations': iterations})
    drift = claims.rate_drift(runs, tables)
    # First quarter (2 iterations) all on 1e-2, last quarter all on 1e-4: -2 decades.
    assert drift['drift'].iloc[0] == pytest.approx(-2.0)


def test_setup_labels_follow_the_sweep_files():
    setup = claims.ROBUSTNESS_SETUPS[0]
    cells = setup.cells()
    assert cells['lrrl_with'] == 'lrrl_with_0.03' and cells['unstable_alone'] == 'fixed_0.03'
    assert cells['uniform_with_destructive'] == 'uniform_with_0.3'
    with open(os.path.join(gin_files.CONFIG_DIR, 'experiments', setup.sweep + '.toml'), 'rb') as f:
        labels = set(tomllib.load(f)['axes']['method'])
    assert set(cells.values()) <= labels
