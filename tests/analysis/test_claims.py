"""The claims page's rules and measurements on synthetic scores (the end-to-end run is in tests/e2e/test_claims_e2e.py)."""

import itertools
import os
import tomllib

import numpy as np
import pandas as pd
import pytest

from lrrl import gin_files
from lrrl.analysis import claims
from lrrl.analysis import normalization

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


ALONE = [20, 25, 30, 22, 28]  # the unstable rate alone
UNIFORM = [60, 70, 80, 65, 75]
TOP = [150, 170, 160, 165, 155]  # LRRL without the unstable rate, and the best fixed rate
P_UNIFORM = 'P(LRRL with > uniform with) interval above 0.5'
WITHOUT = "LRRL with >= the lower end of LRRL without's interval"
BEST = "LRRL with >= the lower end of the best fixed rate's interval"


@pytest.mark.parametrize(
    'with_, uniform, verdict, failed',
    [
        # Beats uniform and the unstable rate alone, and matches the best.
        ([150, 160, 170, 155, 165], UNIFORM, claims.REPRODUCED, set()),
        # No better than uniform.
        ([60, 70, 80, 65, 75], [62, 72, 78, 66, 74], claims.REFUTED, {P_UNIFORM, WITHOUT, BEST}),
        # Above uniform, short of the best by a margin its own interval does not settle.
        ([100, 170, 120, 175, 110], UNIFORM, claims.INCONCLUSIVE, {WITHOUT, BEST}),
        # Above uniform, clearly below the best fixed rate.
        ([100, 110, 105, 115, 108], UNIFORM, claims.REFUTED, {WITHOUT, BEST}),
    ],
)
def test_claim1_rule(with_, uniform, verdict, failed):
    cells = {'lrrl_with': with_, 'uniform_with': uniform, 'unstable_alone': ALONE, 'lrrl_without': TOP, GOOD: TOP}
    probabilities = {
        ('lrrl_with', 'uniform_with'): claims.improvement(_runs(with_), _runs(uniform), 'final_return', 500, 0),
        ('lrrl_with', 'unstable_alone'): claims.improvement(_runs(with_), _runs(ALONE), 'final_return', 500, 0),
    }
    found, conditions = claims.robustness_verdict(_summary(cells), probabilities, GOOD)
    assert found == verdict
    assert {text for text, met in conditions.items() if not met} == failed


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


def test_final_max_probability_is_the_largest_arm_probability_of_the_last_iteration():
    iterations = pd.DataFrame({'iteration': [1, 0], 'p_0': [0.2, 0.5], 'p_1': [0.7, 0.25], 'p_2': [0.1, 0.25]})
    assert claims.final_max_probability(iterations) == pytest.approx(0.7)
    # A fixed rate logs one arm at probability 1: no bandit, no value.
    assert np.isnan(claims.final_max_probability(pd.DataFrame({'iteration': [0], 'p_0': [1.0]})))


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
    cells = claims.ROBUSTNESS_SETUPS[0].cells()
    assert cells['lrrl_with'] == 'lrrl_with_0.03' and cells['unstable_alone'] == 'fixed_0.03'
    assert cells['uniform_with_destructive'] == 'uniform_with_0.3'
    for setup in claims.ROBUSTNESS_SETUPS:
        with open(os.path.join(gin_files.CONFIG_DIR, 'experiments', setup.sweep + '.toml'), 'rb') as f:
            labels = set(tomllib.load(f)['axes']['method'])
        assert set(setup.cells().values()) <= labels, setup.sweep
        if setup.destructive_rate is None:
            assert not any('destructive' in role for role in setup.cells())


def _stationary_outputs(folder, lrrl_firsts, uniform_firsts, lrrl_ratio):
    rows = []
    for k in range(6):
        rows.append({'method': 'LRRL', 'rank_vs_fixed': 1 if k < lrrl_firsts else 3})
        rows.append({'method': 'uniform', 'rank_vs_fixed': 1 if k < uniform_firsts else 3})
    pd.DataFrame(rows).to_csv(folder / 'functions_table.csv', index=False)
    pd.DataFrame(
        {'method': ['fixed', 'LRRL', 'uniform'], 'test_error_tail_baseline_ratio_geomean': [1.0, lrrl_ratio, 0.8]}
    ).to_csv(folder / 'maclaurin_table.csv', index=False)


@pytest.mark.parametrize(
    'lrrl_firsts, uniform_firsts, ratio, verdict',
    [(4, 2, 1.3, claims.REPRODUCED), (2, 2, 0.7, claims.REFUTED), (4, 2, 0.7, claims.INCONCLUSIVE)],
)
def test_claim6_rule_reads_the_benchmarks_tables(tmp_path, lrrl_firsts, uniform_firsts, ratio, verdict):
    assert claims.stationary_claim(str(tmp_path)) is None
    _stationary_outputs(tmp_path, lrrl_firsts, uniform_firsts, ratio)
    result = claims.stationary_claim(str(tmp_path))
    assert result['verdict'] == verdict
    assert f'in {lrrl_firsts} of 6 function x optimizer cells (uniform: {uniform_firsts})' in result['evidence']


def _game(kind, x, y):
    """One game's status of a part, from final returns of x and of the best other cell."""
    summary = _summary({'x': x, 'y': y})
    p = claims.improvement(_runs(x), _runs(y), 'final_return', 500, 0)
    return claims.game_status(kind, summary['x']['final_return'], summary['y']['final_return'], p)


HIGH = [150, 170, 160, 165, 155]
MID = [100, 110, 105, 115, 108]
SPREAD = [60, 170, 100, 175, 110]


@pytest.mark.parametrize(
    'kind, x, y, status',
    [
        (claims.BEATS, HIGH, MID, 'above'),
        (claims.BEATS, MID, HIGH, 'below'),
        (claims.BEATS, MID, MID, 'not above'),
        (claims.BEATS, SPREAD, MID, 'unclear'),
        (claims.COMPETITIVE, MID, HIGH, 'below'),
        (claims.COMPETITIVE, [148, 168, 158, 163, 153], HIGH, 'above'),
        (claims.COMPETITIVE, HIGH, MID, 'above'),
        (claims.COMPETITIVE, SPREAD, HIGH, 'unclear'),
    ],
)
def test_a_games_status_under_each_kind_of_part(kind, x, y, status):
    assert _game(kind, x, y) == status


@pytest.mark.parametrize(
    'kind, statuses, verdict',
    [
        (claims.BEATS, ['above', 'above'], claims.REPRODUCED),
        (claims.BEATS, ['above', 'unclear'], claims.INCONCLUSIVE),
        (claims.BEATS, ['above', 'below'], claims.REFUTED),
        # No game with P above 0.5: the part is refuted even without a clear loss.
        (claims.BEATS, ['not above', 'not above'], claims.REFUTED),
        (claims.BEATS, ['not above', 'unclear'], claims.INCONCLUSIVE),
        (claims.COMPETITIVE, ['above', 'unclear'], claims.INCONCLUSIVE),
        (claims.COMPETITIVE, ['above', 'below'], claims.REFUTED),
        (claims.COMPETITIVE, ['above', 'above'], claims.REPRODUCED),
    ],
)
def test_a_parts_verdict_needs_every_game(kind, statuses, verdict):
    assert claims.part_verdict(kind, statuses) == verdict


def test_a_claim_is_the_conjunction_of_its_parts_and_names_them_when_they_differ():
    assert claims.claim_verdict({'a': claims.REPRODUCED, 'b': claims.REPRODUCED}) == claims.REPRODUCED
    mixed = claims.claim_verdict({'a': claims.REPRODUCED, 'b': claims.REFUTED})
    assert mixed.startswith(claims.REFUTED) and 'a: reproduced; b: refuted' in mixed
    assert claims.claim_verdict({'a': claims.REPRODUCED, 'b': claims.INCONCLUSIVE}).startswith(claims.INCONCLUSIVE)


@pytest.mark.parametrize('setup', claims.PER_GAME_SETUPS, ids=lambda s: s.sweep)
def test_per_game_parts_name_cells_of_their_sweep_files(setup):
    with open(os.path.join(gin_files.CONFIG_DIR, 'experiments', setup.sweep + '.toml'), 'rb') as f:
        axes = tomllib.load(f)['axes']
    labels = [list(axes[column.removeprefix('label:')]) for column in setup.cell_columns]
    cells = {'/'.join(combination) for combination in itertools.product(*labels)}
    for part in setup.parts:
        assert {part.x, *part.others} <= cells, part.name


@pytest.mark.parametrize('setup', claims.COMPARISON_SETUPS, ids=lambda s: f'{s.sweeps[-1]}')
def test_comparison_setups_name_cells_and_a_game_of_their_sweep_files(setup):
    methods, games = set(), set()
    for sweep in setup.sweeps:
        with open(os.path.join(gin_files.CONFIG_DIR, 'experiments', sweep + '.toml'), 'rb') as f:
            axes = tomllib.load(f)['axes']
        methods |= set(axes['method'])
        games |= {normalization.minatar_game_label(g) for g in axes.get('game', {}).get('values', [])}
    shown = dict(setup.cells)
    assert set(shown.values()) <= methods, set(shown.values()) - methods
    assert setup.reference in shown
    # Sweeps with a game axis run MinAtar games; the CartPole ones set the environment in gin.
    assert setup.game in games if games else setup.game == 'CartPole'
