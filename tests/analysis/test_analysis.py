"""Run folders back as tables: gin configs as text, scores, normalisation, intervals."""

import glob
import os
import pickle
import re
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers import CONFIGS
from lrrl.analysis import gin_text
from lrrl.analysis import loading
from lrrl.analysis import scores
from lrrl.analysis import intervals
from lrrl.analysis import normalization


# --- Reading what a run was, from its gin config ---------------------------


def test_gin_bindings_follow_includes_and_resolve_macros():
    bindings = gin_text.read_gin_bindings(os.path.join(CONFIGS, 'methods', 'lrrl_k5.gin'))
    assert bindings['BanditLearningRate.rates'] == (1.5625e-5, 3.125e-5, 6.25e-5, 1.25e-4, 2.5e-4)
    assert bindings['Exp3Bandit.alpha'] == pytest.approx(0.3)  # from the included lrrl/bandit.gin
    agent = gin_text.read_gin_bindings(os.path.join(CONFIGS, 'agents', 'dqn_cartpole.gin'))
    assert agent['FixedLearningRate.rate'] == 0.001  # %BASE_LEARNING_RATE resolved


def test_method_names_come_from_the_shipped_method_files_or_the_controller():
    agent = gin_text.read_gin_bindings(os.path.join(CONFIGS, 'agents', 'dqn.gin'))
    sparse = {**agent, **gin_text.read_gin_bindings(os.path.join(CONFIGS, 'methods', 'lrrl_sparse.gin'))}
    assert loading.infer_method(sparse) == 'lrrl_sparse'
    assert loading.infer_method(agent) == 'fixed{6.25e-05}'
    custom = {**sparse, 'BanditLearningRate.rates': (1e-4, 1e-3)}
    assert loading.infer_method(custom) == 'lrrl{0.0001,0.001}'
    rmsprop = {**agent, 'lrrl.create_agent.optimizer_class': '@tf.train.RMSPropOptimizer'}
    assert loading.infer_method(rmsprop) == 'fixed{6.25e-05}+RMSPropOptimizer'


def test_no_run_folder_is_a_clear_error(tmp_path):
    (tmp_path / 'empty').mkdir()
    with pytest.raises(loading.NoRunsError, match='no run folders under'):
        loading.load_runs([str(tmp_path / 'empty')])
    with pytest.raises(loading.NoRunsError, match='no such folder'):
        loading.load_runs([str(tmp_path / 'absent')])


# --- Normalisation and the rliable estimators -------------------------------


def test_human_normalisation_matches_the_reference_scores_of_two_games():
    # Pong: random -20.7, human 14.6; Breakout: random 1.7, human 30.5.
    assert normalization.human_normalized(14.6, 'Pong') == pytest.approx(1.0)
    assert normalization.human_normalized(-20.7, 'Pong') == pytest.approx(0.0)
    assert normalization.human_normalized(21.0, 'pong') == pytest.approx((21.0 + 20.7) / 35.3)
    np.testing.assert_allclose(normalization.human_normalized([1.7, 30.5, 59.3], 'Breakout'), [0.0, 1.0, 2.0])
    assert normalization.human_normalized(42054.7, 'Seaquest') == pytest.approx(1.0)
    with pytest.raises(KeyError, match="'CartPole'"):
        normalization.human_normalized(1.0, 'CartPole')


def matrix(by_game):
    """A ``ScoreMatrix`` of ``{game: scores}`` whose runs are seeds 0, 1, ... in every game."""
    return intervals.score_matrix({game: pd.Series(np.asarray(v, dtype=float)) for game, v in by_game.items()})


def test_score_matrix_keeps_the_seeds_every_game_has_and_names_the_runs_left_out():
    by_game = {
        'Pong': pd.Series([1.0, 2.0, 3.0, 4.0], index=[0, 1, 2, 2]),
        'Breakout': pd.Series([10.0, 20.0, 30.0], index=pd.Index([1, 0, None], dtype=object)),
    }
    m = intervals.score_matrix(by_game)
    assert m.games == ['Breakout', 'Pong'] and m.seeds == [0, 1]
    np.testing.assert_array_equal(m.matrix, [[20.0, 1.0], [10.0, 2.0]])  # rows are seeds, matched across games
    assert m.left_out == {'Pong': [2, 2], 'Breakout': [None]}
    # One game: every run is used, whatever its seed.
    alone = intervals.score_matrix({'Pong': pd.Series([1.0, 2.0], index=pd.Index([None, None], dtype=object))})
    assert alone.matrix.shape == (2, 1) and alone.left_out == {}
    nothing_common = intervals.score_matrix({'a': pd.Series([1.0], index=[0]), 'b': pd.Series([1.0], index=[1])})
    with pytest.raises(ValueError, match='no seed is common to the games a, b'):
        intervals.aggregate_intervals({'m': nothing_common}, reps=10)


def test_iqm_and_mean_against_scipy_and_numpy():
    rng = np.random.default_rng(1)
    scores = {'Pong': rng.normal(size=6), 'Breakout': rng.normal(size=6) + 3, 'Seaquest': rng.exponential(size=6)}
    row = intervals.aggregate_intervals({'m': matrix(scores)}, reps=200).iloc[0]
    pooled = np.concatenate(list(scores.values()))
    assert row['iqm'] == pytest.approx(stats.trim_mean(pooled, 0.25))
    assert row['mean'] == pytest.approx(np.mean([np.mean(v) for v in scores.values()]))
    assert (row['games'], row['runs'], row['runs_left_out']) == (3, 18, 0)
    middle = np.arange(8.0)[2:6]
    assert intervals.aggregate_intervals({'m': matrix({'g': np.arange(8.0)})}, reps=10).iloc[0]['iqm'] == pytest.approx(
        middle.mean()
    )


def test_probability_of_improvement_counts_pairs_per_game_then_averages_games():
    x = matrix({'a': [3.0, 1.0], 'b': [5.0, 5.0]})
    y = matrix({'a': [2.0, 2.0, 1.0], 'b': [5.0, 6.0, 4.0]})
    # a: 3 beats all three, 1 loses twice and ties once -> 3.5 / 6; b: each 5 ties, loses, wins -> 3 / 6.
    p, low, high = intervals.improvement_interval(x, y, reps=300)
    assert p == pytest.approx((3.5 / 6 + 3 / 6) / 2)
    assert low <= p <= high
    # Against the Mann-Whitney U statistic, which counts the same pairs.
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(7, 2)), rng.normal(size=(4, 2))
    u = [stats.mannwhitneyu(a[:, g], b[:, g]).statistic / (7 * 4) for g in range(2)]
    x, y = matrix({'g0': a[:, 0], 'g1': a[:, 1]}), matrix({'g0': b[:, 0], 'g1': b[:, 1]})
    p, _, _ = intervals.improvement_interval(x, y, reps=10)
    assert p == pytest.approx(np.mean(u))
    with pytest.raises(ValueError, match='different games'):
        intervals.improvement_interval(matrix({'a': [1.0]}), matrix({'b': [1.0]}), reps=10)


def test_intervals_hold_the_point_estimate_shrink_with_more_runs_and_are_reproducible():
    rng = np.random.default_rng(3)
    few = matrix({'Pong': rng.normal(size=5), 'Breakout': rng.normal(size=5) + 1})
    many = matrix({'Pong': rng.normal(size=80), 'Breakout': rng.normal(size=80) + 1})
    table = intervals.aggregate_intervals({'few': few, 'many': many}, reps=1000, seed=7).set_index('method')
    for method in ('few', 'many'):
        for name in ('iqm', 'mean'):
            assert table.loc[method, f'{name}_low'] <= table.loc[method, name] <= table.loc[method, f'{name}_high']
    width = table['iqm_high'] - table['iqm_low']
    assert width['many'] < width['few'] / 2  # 16x the runs: about a quarter of the width
    state = np.random.get_state()[1].copy()
    again = intervals.aggregate_intervals({'few': few, 'many': many}, reps=1000, seed=7).set_index('method')
    pd.testing.assert_frame_equal(table, again)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # the caller's random state is left alone
    other = intervals.aggregate_intervals({'few': few}, reps=1000, seed=8).iloc[0]
    assert (other['iqm_low'], other['iqm_high']) != (table.loc['few', 'iqm_low'], table.loc['few', 'iqm_high'])
    constant = intervals.aggregate_intervals({'c': matrix({'g': np.full(4, 2.5)})}, reps=50).iloc[0]
    assert (constant['iqm'], constant['iqm_low'], constant['iqm_high']) == (2.5, 2.5, 2.5)
    with pytest.raises(ValueError, match='reps=0'):
        intervals.aggregate_intervals({'few': few}, reps=0)


def test_performance_profile_is_the_fraction_of_runs_above_each_threshold():
    scores = matrix({'a': [0.0, 1.0, 2.0, 3.0], 'b': [2.0, 2.0, 0.0, 0.0]})
    thresholds = [-1, 0.5, 1.5, 2.5, 3]
    profile, low, high = intervals.performance_profiles({'m': scores}, thresholds, reps=300)['m']
    np.testing.assert_allclose(profile, [1.0, 5 / 8, 4 / 8, 1 / 8, 0.0])
    assert (low <= profile).all() and (profile <= high).all()
    np.testing.assert_allclose(
        [low[0], high[0], low[-1], high[-1]], [1.0, 1.0, 0.0, 0.0], atol=1e-12
    )  # no resample changes these


def test_best_method_is_bold_only_where_its_interval_clears_the_others():
    table = pd.DataFrame(
        {
            'agent': ['dqn'] * 5,
            'game': ['Pong', 'Pong', 'Breakout', 'Breakout', 'Breakout'],
            'method': ['a', 'b', 'a', 'b', 'c'],
            'max_average_return_mean': [10.0, 5.0, 10.0, 8.0, 1.0],
            'max_average_return_std': [1.0, 1.0, 1.5, 1.0, 0.5],
        }
    )
    best = scores.best_in_game(table, ['agent', 'game'], score='max_average_return')
    assert list(best) == [True, False, False, False, False]  # Breakout: 10 - 1.5 < 8 + 1


# --- Real runs -----------------------------------------------------------


def hand_scores(run_dir, final_iterations=2):
    """Max, final (mean of the last ``final_iterations``) and mean of the per-iteration training return.

    Read straight from the newest log.
    """
    logs = sorted(
        glob.glob(os.path.join(run_dir, 'logs', 'log_*')), key=lambda p: int(re.search(r'(\d+)$', p).group(1))
    )
    with open(logs[-1], 'rb') as f:
        data = pickle.load(f)
    returns = [data[f'iteration_{i}']['train_average_return'][0] for i in range(len(data))]
    return max(returns), float(np.mean(returns[-final_iterations:])), float(np.mean(returns)), len(returns)


@pytest.mark.slow
def test_loaded_runs_match_their_logs_and_mark_unfinished_runs(cartpole_runs, tmp_path):
    tables = loading.load_runs([str(cartpole_runs)])
    runs = tables.runs.set_index('run_dir')
    assert len(runs) == 5
    assert set(runs['method']) == {'fixed{0.001}', 'lrrl{0.0001,0.001,0.01}'}
    assert set(runs['game']) == {'CartPole'} and set(runs['agent']) == {'dqn'}
    assert sorted(runs['seed']) == [0, 0, 1, 1, 2]
    unfinished = str(cartpole_runs / 'fixed' / 'seed_1')
    assert not runs.loc[unfinished, 'finished'] and runs.loc[unfinished, 'iterations_logged'] == 2
    assert runs.drop(unfinished)['finished'].all()
    # Per iteration, the logged mean training return is the mean of the trace's episode returns.
    lrrl_run = str(cartpole_runs / 'lrrl' / 'seed_0')
    per_iteration = tables.iterations[tables.iterations['run_dir'] == lrrl_run].set_index('iteration')
    from_trace = tables.episodes[tables.episodes['run_dir'] == lrrl_run].groupby('iteration')['return'].mean()
    np.testing.assert_allclose(per_iteration['train_return'], from_trace)
    probabilities = per_iteration[['p_0', 'p_1', 'p_2']].to_numpy()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    # Launched by hand: lrrl.train wrote run.json, the seed is read from it rather than from the folder name.
    renamed = tmp_path / 'renamed_lrrl_run'
    shutil.copytree(lrrl_run, renamed, ignore=shutil.ignore_patterns('checkpoints', 'metrics'))
    assert loading.load_runs([str(renamed)]).runs['seed'].tolist() == [0]


@pytest.mark.slow
def test_table_values_equal_values_computed_by_hand_from_the_logs(cartpole_runs):
    tables = loading.load_runs([str(cartpole_runs)])
    # The final return over the last 2 iterations: neither the last one alone nor all 3.
    cells = scores.cell_table(tables, scores.run_scores(tables, final_iterations=2)).set_index('method')
    for method, folder, seeds in (('fixed{0.001}', 'fixed', (0, 1, 2)), ('lrrl{0.0001,0.001,0.01}', 'lrrl', (0, 1))):
        by_hand = np.array([hand_scores(str(cartpole_runs / folder / f'seed_{s}'))[:3] for s in seeds])
        cell = cells.loc[method]
        for column, name in enumerate(('max_average_return', 'final_return', 'auc')):
            assert cell[f'{name}_mean'] == pytest.approx(by_hand[:, column].mean())
            assert cell[f'{name}_std'] == pytest.approx(by_hand[:, column].std(ddof=1))
        assert cell['n_seeds'] == len(seeds)
    assert cells.loc['fixed{0.001}', 'n_iterations'] == '2-3'
    assert cells.loc['fixed{0.001}', 'n_unfinished'] == 1
    assert cells.loc['lrrl{0.0001,0.001,0.01}', 'missing_seeds'] == '2'
    assert cells.loc['fixed{0.001}', 'missing_seeds'] == ''


@pytest.mark.slow
def test_launcher_labels_become_columns_and_status_is_read(cartpole_runs, tmp_path):
    import json

    source = cartpole_runs / 'lrrl' / 'seed_1'
    for alpha in ('0.1', '0.3'):
        run_dir = tmp_path / 'sweep' / f'alpha_{alpha}'
        shutil.copytree(source, run_dir, ignore=shutil.ignore_patterns('checkpoints', 'metrics'))
        labels = {'agent': 'dqn', 'method': 'lrrl_cp', 'game': 'CartPole', 'alpha': alpha}
        (run_dir / 'run.json').write_text(json.dumps({'sweep': 'alphas', 'labels': labels, 'seed': 7}))
        (run_dir / 'status.json').write_text(json.dumps({'state': 'running', 'iteration': 2, 'num_iterations': 3}))
    tables = loading.load_runs([str(tmp_path / 'sweep')])
    assert list(tables.runs['method']) == ['lrrl_cp', 'lrrl_cp']
    assert list(tables.runs['label:alpha']) == ['0.1', '0.3']
    assert list(tables.runs['seed']) == [7, 7] and set(tables.runs['state']) == {'running'}
    assert 'label:alpha' in tables.cell_columns
    cells = scores.cell_table(tables)
    assert len(cells) == 2 and list(cells['n_seeds']) == [1, 1]
