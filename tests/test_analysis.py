"""Run folders back as tables: gin configs as text, scores, normalisation, intervals."""

import glob
import os
import pickle
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import CONFIGS
from lrrl import analysis
from lrrl import metrics
from lrrl import normalization


# --- Reading what a run was, from its gin config ---------------------------


def test_gin_bindings_follow_includes_and_resolve_macros():
    bindings = analysis.read_gin_bindings(os.path.join(CONFIGS, 'methods', 'lrrl_k5.gin'))
    assert bindings['BanditLearningRate.rates'] == (1.5625e-5, 3.125e-5, 6.25e-5, 1.25e-4, 2.5e-4)
    assert bindings['Exp3Bandit.alpha'] == 0.2  # from the included lrrl/bandit.gin
    agent = analysis.read_gin_bindings(os.path.join(CONFIGS, 'agents', 'dqn_cartpole.gin'))
    assert agent['FixedLearningRate.rate'] == 0.001  # %BASE_LEARNING_RATE resolved


def test_method_names_come_from_the_shipped_method_files_or_the_controller():
    agent = analysis.read_gin_bindings(os.path.join(CONFIGS, 'agents', 'dqn.gin'))
    sparse = {**agent, **analysis.read_gin_bindings(os.path.join(CONFIGS, 'methods', 'lrrl_sparse.gin'))}
    assert analysis.infer_method(sparse) == 'lrrl_sparse'
    assert analysis.infer_method(agent) == 'fixed{6.25e-05}'
    custom = {**sparse, 'BanditLearningRate.rates': (1e-4, 1e-3)}
    assert analysis.infer_method(custom) == 'lrrl{0.0001,0.001}'
    rmsprop = {**agent, 'lrrl.create_agent.optimizer_class': '@tf.train.RMSPropOptimizer'}
    assert analysis.infer_method(rmsprop) == 'fixed{6.25e-05}+RMSPropOptimizer'


def test_no_run_folder_is_a_clear_error(tmp_path):
    (tmp_path / 'empty').mkdir()
    with pytest.raises(analysis.NoRunsError, match='no run folders under'):
        analysis.load_runs([str(tmp_path / 'empty')])
    with pytest.raises(analysis.NoRunsError, match='no such folder'):
        analysis.load_runs([str(tmp_path / 'absent')])


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


def test_iqm_is_the_25_percent_trimmed_mean_of_all_runs_pooled():
    rng = np.random.default_rng(1)
    scores = {'Pong': rng.normal(size=5), 'Breakout': rng.normal(size=3), 'Seaquest': rng.normal(size=8)}
    pooled = np.concatenate(list(scores.values()))
    assert metrics.iqm(scores) == pytest.approx(stats.trim_mean(pooled, 0.25))
    middle = np.sort(np.arange(8.0))[2:6]
    assert metrics.iqm({'g': np.arange(8.0)}) == pytest.approx(middle.mean())


def test_probability_of_improvement_counts_pairs_per_game_then_averages_games():
    x = {'a': np.array([3.0, 1.0]), 'b': np.array([5.0, 5.0])}
    y = {'a': np.array([2.0, 2.0, 1.0]), 'b': np.array([5.0, 6.0])}
    # a: pairs (3>2,3>2,3>1 -> 3 wins; 1<2,1<2,1=1 -> 0.5) = 3.5/6; b: 5=5 twice (1), 5<6 twice = 1/4.
    assert metrics.probability_of_improvement(x, y) == pytest.approx((3.5 / 6 + 0.25) / 2)
    # Against the Mann-Whitney U statistic, which counts the same pairs.
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=7), rng.normal(size=4)
    u = stats.mannwhitneyu(a, b).statistic
    assert metrics.probability_of_improvement({'g': a}, {'g': b}) == pytest.approx(u / (7 * 4))


def test_stratified_bootstrap_keeps_each_games_runs_and_is_reproducible():
    rng = np.random.default_rng(3)
    scores = {'Pong': rng.normal(size=5), 'Breakout': rng.normal(size=2) + 10}
    resampled = metrics.stratified_resample(scores, np.random.default_rng(0))
    for game in scores:
        assert len(resampled[game]) == len(scores[game])
        assert set(resampled[game]) <= set(scores[game])
    point, low, high = metrics.bootstrap_interval(metrics.iqm, scores, reps=500, seed=7)
    assert low <= point <= high
    assert (point, low, high) == metrics.bootstrap_interval(metrics.iqm, scores, reps=500, seed=7)
    constant = {'g': np.full(4, 2.5)}
    assert metrics.bootstrap_interval(metrics.iqm, constant, reps=50) == (2.5, 2.5, 2.5)
    with pytest.raises(ValueError, match='reps=0'):
        metrics.bootstrap_interval(metrics.iqm, scores, reps=0)


def test_performance_profile_is_the_fraction_of_runs_above_each_threshold():
    profile = metrics.performance_profile(
        {'a': np.array([0.0, 1.0]), 'b': np.array([2.0, 2.0, 0.0, 0.0])}, [-1, 0.5, 1.5, 3]
    )
    np.testing.assert_allclose(profile, [1.0, (0.5 + 0.5) / 2, (0.0 + 0.5) / 2, 0.0])


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
    best = analysis.best_in_game(table, ['agent', 'game'])
    assert list(best) == [True, False, False, False, False]  # Breakout: 10 - 1.5 < 8 + 1


# --- Real runs -----------------------------------------------------------


def hand_scores(run_dir):
    """Max, final and mean of the per-iteration training return, read straight from the newest log."""
    logs = sorted(
        glob.glob(os.path.join(run_dir, 'logs', 'log_*')), key=lambda p: int(re.search(r'(\d+)$', p).group(1))
    )
    with open(logs[-1], 'rb') as f:
        data = pickle.load(f)
    returns = [data[f'iteration_{i}']['train_average_return'][0] for i in range(len(data))]
    return max(returns), returns[-1], float(np.mean(returns)), len(returns)


@pytest.mark.slow
def test_loaded_runs_match_their_logs_and_mark_unfinished_runs(cartpole_runs):
    tables = analysis.load_runs([str(cartpole_runs)])
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
    assert analysis.RUN_SETTINGS not in os.listdir(lrrl_run)  # launched by hand: all of this was inferred


@pytest.mark.slow
def test_table_values_equal_values_computed_by_hand_from_the_logs(cartpole_runs):
    tables = analysis.load_runs([str(cartpole_runs)])
    cells = analysis.cell_table(tables).set_index('method')
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
    import shutil

    source = cartpole_runs / 'lrrl' / 'seed_1'
    for alpha in ('0.1', '0.3'):
        run_dir = tmp_path / 'sweep' / f'alpha_{alpha}'
        shutil.copytree(source, run_dir, ignore=shutil.ignore_patterns('checkpoints', 'metrics'))
        labels = {'agent': 'dqn', 'method': 'lrrl_cp', 'game': 'CartPole', 'alpha': alpha}
        (run_dir / 'run.json').write_text(json.dumps({'sweep': 'alphas', 'labels': labels, 'seed': 7}))
        (run_dir / 'status.json').write_text(json.dumps({'state': 'running', 'iteration': 2, 'num_iterations': 3}))
    tables = analysis.load_runs([str(tmp_path / 'sweep')])
    assert list(tables.runs['method']) == ['lrrl_cp', 'lrrl_cp']
    assert list(tables.runs['label:alpha']) == ['0.1', '0.3']
    assert list(tables.runs['seed']) == [7, 7] and set(tables.runs['state']) == {'running'}
    assert 'label:alpha' in tables.cell_columns
    cells = analysis.cell_table(tables)
    assert len(cells) == 2 and list(cells['n_seeds']) == [1, 1]
