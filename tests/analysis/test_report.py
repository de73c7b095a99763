"""The report command and its plots, on real runs; the paper column and Atari normalisation on synthetic scores."""

import numpy as np
import pandas as pd
import pytest

from helpers import SHORT_CARTPOLE
from helpers import run_cli
from lrrl import tables as tables_lib
from lrrl.analysis import display
from lrrl.analysis import estimates
from lrrl.analysis import loading
from lrrl.analysis import normalization
from lrrl.analysis import scores as scores_lib

LRRL = 'lrrl{0.0001,0.001,0.01}'
FIXED = 'fixed{0.001}'


def test_no_runs_is_an_error_and_nothing_is_written(tmp_path):
    (tmp_path / 'runs').mkdir()
    out = tmp_path / 'out'
    result = run_cli('lrrl.report', f'--runs={tmp_path / "runs"}', f'--out={out}')
    assert result.returncode == 2
    assert 'no run folders under' in result.stderr
    assert not out.exists()
    result = run_cli('lrrl.report', f'--out={out}')
    assert result.returncode == 2 and '--runs is empty' in result.stderr
    assert not out.exists()


def test_atari_scores_are_human_normalised_and_other_games_left_out():
    scores = pd.DataFrame(
        {
            'method': ['a', 'a', 'a', 'b', 'b'],
            'game': ['Pong', 'Pong', 'Breakout', 'Pong', 'CartPole'],
            'seed': [0, 1, 0, 0, None],
            'max_average_return': [14.6, -20.7, 30.5, -3.05, 200.0],
        }
    )
    by_method, label, left_out = estimates.normalized_scores(scores, 'max_average_return')
    assert label == 'human-normalised max average return' and left_out == ['CartPole']
    np.testing.assert_allclose(by_method['a']['Pong'], [1.0, 0.0])
    assert list(by_method['a']['Pong'].index) == [0, 1]  # indexed by seed, to match runs across games
    np.testing.assert_allclose(by_method['a']['Breakout'], [1.0])
    np.testing.assert_allclose(by_method['b']['Pong'], [0.5])
    assert 'CartPole' not in by_method['b']
    raw, raw_label, _ = estimates.normalized_scores(scores[scores['game'] == 'CartPole'], 'max_average_return')
    assert 'raw' in raw_label and list(raw['b']['CartPole']) == [200.0] and list(raw['b']['CartPole'].index) == [None]
    assert normalization.has_reference('SpaceInvaders') and not normalization.has_reference('CartPole')


def test_unequal_seeds_use_the_seeds_all_games_have_and_the_rest_is_named_in_the_notes():
    # lrrl has Pong seeds 0, 1, 2 but Breakout seeds 0, 1; fixed has every seed on Pong only.
    scores = pd.DataFrame(
        {
            'method': ['lrrl'] * 5 + ['fixed'] * 3,
            'game': ['Pong', 'Pong', 'Pong', 'Breakout', 'Breakout', 'Pong', 'Pong', 'Pong'],
            'seed': [0, 1, 2, 0, 1, 0, 1, 2],
            'max_average_return': [14.6, -3.05, 14.6, 30.5, 1.7, -20.7, -3.05, 14.6],
        }
    )
    by_method, _, _ = estimates.normalized_scores(scores, 'max_average_return')
    matrices, aggregate, improvement, notes = estimates.group_estimates('dqn', by_method, {'lrrl'}, reps=200, seed=0)
    assert matrices['lrrl'].seeds == [0, 1] and matrices['lrrl'].left_out == {'Pong': [2]}
    aggregate = aggregate.set_index('method')
    assert aggregate.loc['lrrl', 'runs'] == 4 and aggregate.loc['lrrl', 'runs_left_out'] == 1
    # Breakout (1.0, 0.0) and Pong seeds 0, 1 (1.0, 0.5): rliable's mean is the mean of the game means.
    assert aggregate.loc['lrrl', 'mean'] == pytest.approx((0.5 + 0.75) / 2)
    assert aggregate.loc['fixed', 'runs'] == 3 and aggregate.loc['fixed', 'runs_left_out'] == 0
    _, rows = display.aggregate_display(aggregate.reset_index().assign(group='dqn', score='human-normalised'))
    assert [row[3] for row in rows] == ['3', '4 (1 left out)']  # fixed, lrrl
    assert notes[0] == (
        'dqn, lrrl: the aggregates use the seeds all its games have (0,1); left out: Pong seed 2 '
        '(rliable needs the same runs on every game).'
    )
    # The improvement is on Pong, the only game both have, where lrrl keeps all three seeds.
    assert list(improvement['games']) == [1]
    x, y = np.array([1.0, 0.5, 1.0])[:, None], np.array([0.0, 0.5, 1.0])[None, :]
    assert improvement['probability'][0] == pytest.approx(np.mean(x > y) + 0.5 * np.mean(x == y))
    assert 'P(lrrl > fixed): on the games both have (Pong), seeds 0,1,2 vs 0,1,2' in notes[1]


def test_paper_column_matches_methods_and_flags_a_different_scale():
    cells = pd.DataFrame(
        {
            'agent': ['dqn'] * 4,
            'game': ['Breakout'] * 3 + ['Pong'],
            'method': ['lrrl_k5', 'fixed_a', 'fixed_b', 'lrrl_k5'],
            'max_average_return_mean': [1.0, 5.0, 3.0, 1.0],
        }
    )
    runs = pd.DataFrame(
        {
            'agent': ['dqn'] * 4,
            'game': ['Breakout'] * 3 + ['Pong'],
            'method': ['lrrl_k5', 'fixed_a', 'fixed_b', 'lrrl_k5'],
            'controller': ['BanditLearningRate', 'FixedLearningRate', 'FixedLearningRate', 'BanditLearningRate'],
            'num_iterations': [200, 200, 200, 10],
            'training_steps': [250_000, 250_000, 250_000, 1000],
        }
    )
    text = estimates.paper_values(cells, runs)
    assert text[0] == '253 (LRRL K(5))'
    assert text[1] == '217 ± 14 (DQN, best fixed rate)'  # the best of the fixed-rate methods
    assert text[2] == '' and text[3] == ''  # no value for Pong
    runs.loc[0, 'num_iterations'] = 20
    assert 'different scale' in estimates.paper_values(cells, runs)[0]


def test_latex_and_markdown_escape_and_bold():
    rows = [['lrrl{0.1,0.2}', '1.0 ± 0.5'], ['fixed_a', '2']]
    tex = display.latex_table(['method', 'score'], rows, bold=[True, False])
    assert r'\textbf{lrrl\{0.1,0.2\}}' in tex and r'fixed\_a' in tex and r'$\pm$' in tex
    md = tables_lib.markdown_table(['method', 'score'], rows, bold=[True, False])
    assert '| **lrrl{0.1,0.2}** | **1.0 ± 0.5** |' in md


@pytest.mark.slow
def test_report_on_real_runs_writes_tables_notes_and_plots(cartpole_runs, tmp_path):
    out = tmp_path / 'out'
    result = run_cli(
        'lrrl.report', f'--runs={cartpole_runs}', f'--out={out}', '--bootstrap_reps=300', '--final_iterations=2'
    )
    assert result.returncode == 0, result.stderr[-4000:]
    for name in (
        'report.md',
        'per_game.csv',
        'per_game.md',
        'per_game.tex',
        'aggregate.csv',
        'aggregate.tex',
        'improvement.csv',
        'improvement.md',
        'runs.csv',
        'iterations.csv',
        'curves_dqn_CartPole.png',
        'aggregate_dqn_final_return.png',
        'aggregate_dqn_auc.png',
        'aggregate_dqn_max_average_return.png',
        'lr_dqn_CartPole_lrrl_0.0001_0.001_0.01.png',
    ):
        assert (out / name).stat().st_size > 0, name
    tables = loading.load_runs([str(cartpole_runs)])
    expected = scores_lib.cell_table(tables, scores_lib.run_scores(tables, final_iterations=2)).set_index('method')
    written = pd.read_csv(out / 'per_game.csv').set_index('method')
    for column in ('max_average_return_mean', 'max_average_return_std', 'final_return_mean', 'auc_mean', 'n_seeds'):
        np.testing.assert_allclose(written[column], expected.loc[written.index, column], err_msg=column)
    text = (out / 'report.md').read_text()
    assert 'unfinished: ' in text and 'fixed/seed_1' in text and '2 of 3 iterations' in text
    assert f'missing seeds: dqn, CartPole, {LRRL} has seeds 0,1, lacks 2' in text
    assert 'not comparable' in text  # 3 x 300 steps is not the paper's scale
    from scipy import stats

    aggregates = pd.read_csv(out / 'aggregate.csv')
    returns = tables.iterations.sort_values('iteration').groupby(['method', 'run_dir'])['train_return']
    for score, per_run in (
        ('max average return', returns.max()),
        ('final return', returns.apply(lambda r: r.tail(2).mean())),
    ):
        aggregate = aggregates[aggregates['score'].str.startswith(score)].set_index('method')
        for method in (FIXED, LRRL):
            assert aggregate.loc[method, 'iqm'] == pytest.approx(stats.trim_mean(per_run[method].to_numpy(), 0.25))
            assert aggregate.loc[method, 'iqm_low'] <= aggregate.loc[method, 'iqm'] <= aggregate.loc[method, 'iqm_high']
    raw = returns.max()
    improvement = pd.read_csv(out / 'improvement.csv')
    improvement = improvement[improvement['score'].str.startswith('max average return')].reset_index()
    assert list(improvement['method']) == [LRRL] and list(improvement['baseline']) == [FIXED]
    x, y = raw[LRRL].to_numpy()[:, None], raw[FIXED].to_numpy()[None, :]
    assert improvement['probability'][0] == pytest.approx(np.mean(x > y) + 0.5 * np.mean(x == y))


@pytest.mark.slow
def test_plotted_data_is_the_mean_over_seeds(cartpole_runs):
    from lrrl.analysis import plots

    tables = loading.load_runs([str(cartpole_runs)])
    iterations = tables.iterations
    fig = plots.learning_curves(iterations)
    lines = {line.get_label().split(' (n=')[0]: line for line in fig.axes[0].get_lines()}
    assert set(lines) == {FIXED, LRRL}
    for method, line in lines.items():
        by_hand = iterations[iterations['method'] == method].groupby('iteration')['train_return'].mean()
        np.testing.assert_allclose(line.get_xdata(), by_hand.index)
        np.testing.assert_allclose(line.get_ydata(), by_hand.to_numpy())
    assert len(fig.axes[0].collections) == 2  # one shaded band per method
    lrrl_runs = iterations[iterations['method'] == LRRL]
    fig = plots.learning_rates(lrrl_runs, [1e-4, 1e-3, 1e-2])
    heat = np.asarray(fig.axes[1].images[0].get_array())
    by_hand = lrrl_runs.groupby('iteration')[['p_0', 'p_1', 'p_2']].mean().to_numpy().T
    np.testing.assert_allclose(heat, by_hand)
    np.testing.assert_allclose(heat.sum(axis=0), 1.0)
    rate_line = fig.axes[0].get_lines()[0]
    geometric = 10 ** np.log10(lrrl_runs['learning_rate']).groupby(lrrl_runs['iteration']).mean()
    np.testing.assert_allclose(rate_line.get_ydata(), geometric.to_numpy())


@pytest.mark.slow
def test_report_plots_lrrl_whose_arms_are_schedules(tmp_path):
    """Scheduler arms have no candidate rates: the arm plot names arms by index (claim 3's sweep)."""
    runs = tmp_path / 'runs'
    result = run_cli(
        'lrrl.train',
        f'--base_dir={runs / "arms" / "seed_0"}',
        *SHORT_CARTPOLE,
        '--gin_files=methods/lrrl_scheduler_arms.gin',
        '--gin_bindings=Runner.num_iterations=2',
        '--seed=0',
    )
    assert result.returncode == 0, result.stderr[-4000:]
    tables = loading.load_runs([str(runs)])
    assert tables.runs['controller'].tolist() == ['BanditLearningRate']
    assert tables.runs['candidates'].isna().all()
    out = tmp_path / 'out'
    result = run_cli('lrrl.report', f'--runs={runs}', f'--out={out}', '--bootstrap_reps=50', '--final_iterations=1')
    assert result.returncode == 0, result.stderr[-4000:]
    plots_written = sorted(p.name for p in out.glob('lr_*.png'))
    assert len(plots_written) == 1 and (out / plots_written[0]).stat().st_size > 0
    from lrrl.analysis import plots

    fig = plots.learning_rates(tables.iterations, None)
    assert [t.get_text() for t in fig.axes[1].get_yticklabels()] == ['arm 0', 'arm 1', 'arm 2']


def test_aggregate_plot_draws_rliables_profiles_and_the_iqm_intervals():
    from lrrl.analysis import intervals
    from lrrl.analysis import plots

    by_method = {
        'a': {'Pong': pd.Series([0.0, 1.0, 2.0], index=[0, 1, 2])},
        'b': {'Pong': pd.Series([1.0, 1.0], index=[0, 1])},
    }
    matrices = {m: intervals.score_matrix(v) for m, v in by_method.items()}
    aggregate = intervals.aggregate_intervals(matrices, reps=100)
    thresholds = estimates.profile_thresholds(matrices, count=11)
    profiles = intervals.performance_profiles(matrices, thresholds, reps=100)
    fig = plots.aggregate(aggregate, thresholds, profiles, 'score')
    bars, profile_axis = fig.axes
    np.testing.assert_allclose([p.get_width() for p in bars.patches], aggregate['iqm'])
    for line in profile_axis.get_lines():
        values = np.ravel(matrices[line.get_label()].matrix)
        np.testing.assert_allclose(line.get_ydata(), [(values > t).mean() for t in thresholds])
    assert len(profile_axis.collections) == 2  # one 95% band per method
