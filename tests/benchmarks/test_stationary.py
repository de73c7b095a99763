"""The stationary benchmark: the LRRL loop, the bandit configurations, divergence handling, the CLI."""

import os
import re

import numpy as np
import pandas as pd
import pytest

from helpers import run_cli
from lrrl.benchmarks import bandit_configurations
from lrrl.benchmarks import stationary
from lrrl.control import controllers
from lrrl.control import feedback as feedback_lib
from lrrl.benchmarks import test_functions


class Quadratic(test_functions.TestFunction):
    """f(x) = |x|^2: SGD at rate η multiplies x by (1 - 2η) each step."""

    name = 'quadratic'
    domain = (-10.0, 10.0)

    def value(self, x):
        return np.sum(np.asarray(x) ** 2, axis=-1)

    def gradient(self, x):
        return 2.0 * np.asarray(x)

    def minimiser(self, dimension):
        return np.zeros(dimension)


def test_lrrl_on_a_quadratic_prefers_the_rate_that_converges():
    # 0.25 halves x every step; 1e-3 barely moves; 1.0 flips x's sign, never
    # closer. One step per round, feedback -f(x) after each step.
    rates = (1e-3, 0.25, 1.0)
    final = []
    for seed in range(20):
        controller = controllers.BanditLearningRate(rates, episodes_per_round=1)
        controller.seed(seed)
        gaps, used, diverged_at = stationary.optimise(Quadratic(), 'sgd', [controller], np.array([[7.0]]), 300)
        assert diverged_at[0] == -1
        assert set(np.unique(used)) <= set(rates)
        final.append(controller.probabilities())
    final = np.array(final)
    assert np.sum(final.argmax(axis=1) == 1) >= 15
    mean = final.mean(axis=0)
    assert mean[1] > mean[0] and mean[1] > mean[2]


def test_a_fixed_rate_that_converges_reaches_the_minimum():
    fixed = controllers.FixedLearningRate(0.25)
    gaps, used, diverged_at = stationary.optimise(Quadratic(), 'sgd', [fixed] * 2, np.array([[7.0], [-3.0]]), 60)
    np.testing.assert_allclose(gaps[:, 0], [49.0, 9.0])
    assert np.all(gaps[:, -1] < 1e-30)
    assert np.all(used == 0.25)


def test_divergence_is_recorded_and_the_bandit_only_sees_finite_feedback():
    rosenbrock = test_functions.get('rosenbrock')
    starts = rosenbrock.random_starts(np.random.default_rng(0), 4, 5)
    # SGD at 1.0 on Rosenbrock overflows within a few steps.
    gaps, used, diverged_at = stationary.optimise(
        rosenbrock, 'sgd', [controllers.FixedLearningRate(1.0)] * 4, starts, 50
    )
    assert np.all(diverged_at > 0)
    for row, step in enumerate(diverged_at):
        assert np.all(np.isfinite(gaps[row, :step])) and np.all(np.isnan(gaps[row, step:]))
        assert np.all(np.isnan(used[row, step:]))
    # LRRL with a diverging arm: Exp3Bandit.update raises on non-finite
    # feedback, so finishing without an error shows it never got any.
    lrrl = []
    for seed in range(4):
        controller = controllers.BanditLearningRate((1e-4, 1.0), episodes_per_round=2)
        controller.seed(seed)
        lrrl.append(controller)
    gaps, used, diverged_at = stationary.optimise(rosenbrock, 'sgd', lrrl, starts, 50)
    assert np.any(diverged_at > 0)


def test_the_benchmark_ranks_methods_and_a_diverged_one_ranks_last():
    benchmark = stationary.StationaryBenchmark(
        functions=('rosenbrock',),
        optimizers=('sgd',),
        candidate_rates={'sgd': (1e-4, 1e-3, 1.0)},
        dimension=3,
        steps=200,
        num_seeds=3,
        steps_per_round=5,
    )
    results = benchmark.run(log=lambda *_: None)
    table = results.table().set_index('method')
    bandit_labels = ['LRRL', 'LRRL paper-literal', 'uniform']
    assert list(table.index) == ['fixed 0.0001', 'fixed 0.001', 'fixed 1'] + bandit_labels
    assert table.loc['fixed 1', 'diverged'] == 3
    assert table.loc['fixed 1', 'rank'] > max(table.loc['fixed 0.0001', 'rank'], table.loc['fixed 0.001', 'rank'])
    assert np.isnan(table.loc['fixed 1', 'mean_final_gap'])
    # 1e-3 gets closer than 1e-4 in 200 steps on Rosenbrock.
    assert table.loc['fixed 0.001', 'mean_final_gap'] < table.loc['fixed 0.0001', 'mean_final_gap']
    assert table.loc['fixed 0.001', 'rank'] < table.loc['fixed 0.0001', 'rank']
    # Among the fixed rates alone, the order is the same; each bandit is ranked against them and itself.
    for label in bandit_labels:
        assert 1 <= table.loc[label, 'rank_vs_fixed'] <= 4 and table.loc[label, 'rank'] <= 6
    assert table.loc['fixed 1', 'rank_vs_fixed'] == 3
    runs = results.runs_frame()
    assert len(runs) == 6 * 3 and set(runs['seed']) == {0, 1, 2}
    # The same start for every method of a seed.
    assert len({tuple(row) for row in benchmark.starts(test_functions.get('rosenbrock'))}) == 3


@pytest.mark.parametrize(
    'kwargs, message',
    [
        (dict(functions=('sphere',)), r"Unknown test function 'sphere'"),
        (dict(functions=('rosenbrock',), dimension=1), r'dimension = 1 is not allowed for rosenbrock'),
        (dict(optimizers=('adagrad',)), r"StationaryBenchmark.optimizers = \('adagrad',\) is not allowed"),
        (dict(candidate_rates={'sgd': (0.1, -1.0)}), r'BanditLearningRate.rates = -1.0 is not allowed'),
        (dict(steps=10, steps_per_round=20), r'steps_per_round = 20 is not allowed: .*\[1, steps = 10\]'),
        (dict(num_seeds=0), r'num_seeds = 0 is not allowed'),
        (dict(bandits={}), r'StationaryBenchmark.bandits = \{\} is not allowed: it must be a non-empty mapping'),
        (dict(bandits={'LRRL': 'lrrl_best'}), r"StationaryBenchmark.bandits = .* 'lrrl_best' is not one of these"),
        (dict(bandits=('lrrl_default',)), r'StationaryBenchmark.bandits = .* is not allowed'),
        (
            dict(candidate_rates={'sgd': (0.1, 1.0)}, optimizers=('sgd',), bandits={'fixed 0.1': 'uniform'}),
            r"the label 'fixed 0.1' is already a column",
        ),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        stationary.StationaryBenchmark(**kwargs)


def small_benchmark(**kwargs):
    settings = dict(
        functions=('levy',),
        optimizers=('adam',),
        candidate_rates={'adam': (1e-3, 1e-2, 1e-1, 1.0)},
        dimension=4,
        steps=400,
        num_seeds=3,
        steps_per_round=5,
    )
    settings.update(kwargs)
    return stationary.StationaryBenchmark(**settings)


V1_BANDITS = {'LRRL': 'lrrl_v1', 'LRRL paper-literal': 'lrrl_paper_literal', 'uniform': 'uniform'}


def test_the_default_bandits_are_built_as_configured():
    # The code's default 'LRRL' is today's default (configs/lrrl/bandit.gin): the loss's change.
    today = small_benchmark().controllers('adam', 'LRRL')[0]
    assert isinstance(today.feedback, feedback_lib.LossImprovement) and today.config()['steps_per_round'] == 5
    assert today.bandit.denominator == 'probability' and today.bandit.alpha == pytest.approx(0.3)
    benchmark = small_benchmark(bandits=V1_BANDITS)
    assert list(benchmark.bandits) == ['LRRL', 'LRRL paper-literal', 'uniform']
    # LRRL v1: the default before issue 28 (configs/lrrl/bandit_v1.gin), rounds of κ steps.
    default = benchmark.controllers('adam', 'LRRL')[0]
    assert default.config()['steps_per_round'] == 5 and default.burn_in == pytest.approx(0.5)
    assert isinstance(default.feedback, feedback_lib.RoundImprovement)
    assert default.feedback.config()['baseline'] == 'run_min' and default.feedback.config()['scale'] == 'run_range'
    assert (
        default.bandit.name == 'Exp3Bandit'
        and default.bandit.alpha == pytest.approx(1.0)
        and default.bandit.decay == pytest.approx(0.99)
    )
    assert default.bandit.window is None and default.bandit.decay_all_arms
    # Paper-literal: rounds of κ per-step values, no burn-in, the bandit's own window improvement.
    literal = benchmark.controllers('adam', 'LRRL paper-literal')[0]
    assert literal.config()['episodes_per_round'] == 5 and literal.steps_per_round is None
    assert literal.feedback is None and literal.burn_in == 0.0
    assert literal.bandit.window == 5 and literal.bandit.alpha == 0.2 and literal.bandit.decay == 0.9
    # Uniform: the default's rounds and feedback, UniformBandit.
    uniform = benchmark.controllers('adam', 'uniform')[0]
    assert uniform.bandit.name == 'UniformBandit' and uniform.config() == default.config()
    # Each seed its own controller (a bandit and a feedback with their own state).
    lrrl = benchmark.controllers('adam', 'LRRL')
    assert len({id(c) for c in lrrl}) == 3 and len({id(c.feedback) for c in lrrl}) == 3


def test_the_v1_default_gets_the_scaled_level_of_each_rounds_second_half():
    """LRRL v1 on a numpy task: κ-step rounds, burn-in 0.5, feedback (f - min) / (max - min) in [0, 1]."""
    controller = small_benchmark(bandits=V1_BANDITS).controllers('adam', 'LRRL')[0]
    values, signals = [], []
    signal, update = controller.feedback.signal, controller.bandit.update

    def recording_signal(outcome):
        values.append(outcome.value)
        return signal(outcome)

    def recording_update(feedback):
        signals.append(feedback)
        return update(feedback)

    controller.feedback.signal, controller.bandit.update = recording_signal, recording_update
    start = np.array([[7.0]])
    gaps, used, diverged_at = stationary.optimise(Quadratic(), 'adam', [controller], start, 100)
    assert diverged_at[0] == -1
    # 100 steps in rounds of 5: 20 rounds. The value of round r is the mean of -f at the step counts
    # 5r + 2 ... 5r + 5: those at least ⌊0.5 κ⌋ = 2 steps into the round (the controller counts a
    # one-step "episode" that ends on the burn-in's last step, as it does an RL episode).
    assert len(values) == 20
    f = gaps[0]  # Quadratic's minimum is 0
    for r in range(20):
        assert values[r] == pytest.approx(-np.mean(f[5 * r + 2 : 5 * r + 6]))
    # The rate changes only between rounds.
    assert all(len(set(used[0, 5 * r : 5 * r + 5])) == 1 for r in range(20))
    assert signals[0] == 0.0 and all(0.0 <= s <= 1.0 for s in signals)
    low, high = np.minimum.accumulate(values), np.maximum.accumulate(values)
    expected = [(v - lo) / (hi - lo) if hi > lo else 0.0 for v, lo, hi in zip(values, low, high)]
    np.testing.assert_allclose(signals, expected)


def test_uniform_spreads_its_steps_evenly_and_the_table_shows_every_bandit():
    benchmark = small_benchmark()
    results = benchmark.run(log=lambda *_: None)
    shares = results.rate_shares('levy', 'adam', 'uniform')
    # 3 seeds x 80 rounds drawn uniformly over 4 rates: each share within 1/4 ± 0.1.
    np.testing.assert_allclose(shares, 0.25, atol=0.1)
    assert shares.sum() == pytest.approx(1.0)
    table = results.table().set_index('method')
    best = table.loc['uniform', 'best_fixed_rate']
    assert best in benchmark.candidate_rates['adam'] and (table['best_fixed_rate'] == best).all()
    assert table.loc['uniform', 'share_on_best_fixed'] == pytest.approx(
        shares[benchmark.candidate_rates['adam'].index(best)]
    )
    assert table.loc['uniform', 'share_on_best_fixed_second_half'] == pytest.approx(0.25, abs=0.12)
    assert np.isnan(table.loc['fixed 1', 'share_on_best_fixed'])
    markdown = results.markdown()
    for label in ('LRRL', 'LRRL paper-literal', 'uniform'):
        assert f'| {label} |' in markdown and f'| {label} rank |' in markdown
        assert f'- **{label}** (`{benchmark.bandits[label].name}`)' in markdown
    assert 'rounds of κ = 5 steps' in markdown and 'burn-in 0.5' in markdown
    # The summary's head-to-head counts are whole cells: "better / equal / worse" adds up to the cells.
    counts = re.findall(r'\| (\d+) / (\d+) / (\d+) ', markdown)
    assert len(counts) == 3 * 2 * 2 and all(sum(map(int, c)) == 1 for c in counts)
    summary = results.summary().set_index(['bandit', 'optimizer'])
    assert summary.loc[('LRRL', 'all'), 'cells'] == 1
    row = summary.loc[('LRRL', 'adam')]
    assert row['better_vs_uniform'] + row['equal_vs_uniform'] + row['worse_vs_uniform'] == 1
    assert 'better_vs_LRRL' not in summary.columns or np.isnan(row['better_vs_LRRL'])


def test_other_configurations_can_be_compared_under_their_own_labels():
    benchmark = small_benchmark(steps=100, num_seeds=1, bandits={'EXP3-IX': 'exp3_ix', 'random': 'uniform'})
    assert benchmark.methods('adam')[-2:] == ['EXP3-IX', 'random']
    results = benchmark.run(log=lambda *_: None)
    assert set(results.table()['method']) == {'fixed 0.001', 'fixed 0.01', 'fixed 0.1', 'fixed 1', 'EXP3-IX', 'random'}
    assert results.benchmark.controllers('adam', 'EXP3-IX')[0].bandit.name == 'Exp3IXBandit'


def test_rounds_that_are_a_share_of_the_run_are_resolved_from_its_length():
    controller = controllers.BanditLearningRate((1e-3, 0.25), steps_per_round=None, round_fraction=0.05)
    controller.seed(0)
    stationary.optimise(Quadratic(), 'sgd', [controller], np.array([[7.0]]), 200)
    assert controller.steps_per_round == 10 and controller.rounds_closed == 20


def test_the_configurations_are_the_shared_ones():
    assert bandit_configurations.DEFAULT_BANDITS == {
        'LRRL': 'lrrl_default',
        'LRRL paper-literal': 'lrrl_paper_literal',
        'uniform': 'uniform',
    }
    benchmark = small_benchmark()
    assert benchmark.bandits['LRRL'] is bandit_configurations.DEFAULT
    assert benchmark.bandits['LRRL paper-literal'] is bandit_configurations.PAPER_LITERAL


def test_cli_writes_its_table_and_never_overwrites_silently(tmp_path):
    out = str(tmp_path / 'stationary')
    args = [
        f'--output_dir={out}',
        '--gin_bindings=StationaryBenchmark.steps=40',
        '--gin_bindings=StationaryBenchmark.num_seeds=2',
        "--gin_bindings=StationaryBenchmark.functions=('rosenbrock', 'levy')",
        "--gin_bindings=StationaryBenchmark.optimizers=('sgd', 'adam')",
    ]
    result = run_cli('lrrl.stationary', *args, timeout=300)
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(out)) == sorted(stationary.OUTPUT_FILES)
    with open(os.path.join(out, 'functions_table.md')) as f:
        text = f.read()
    assert '## sgd' in text and '## adam' in text and '| levy |' in text and 'LRRL rank' in text
    assert 'uniform rank' in text and 'LRRL paper-literal rank' in text and '## Summary' in text
    # The configured seeds: 100-101 (LRRL's default was chosen on the testbed's seeds 0-9).
    assert '40 steps in dimension 10, mean ± std over 2 seeds (seeds 100–101' in text
    table = pd.read_csv(os.path.join(out, 'functions_table.csv'))
    # 2 functions x 2 optimizers x (4 fixed rates + 3 bandit configurations).
    assert len(table) == 2 * 2 * 7 and set(table['seeds']) == {2}
    assert set(table['method']) >= {'LRRL', 'LRRL paper-literal', 'uniform'}
    assert {'rank', 'rank_vs_fixed'} <= set(table.columns)
    runs = pd.read_csv(os.path.join(out, 'functions_runs.csv'))
    assert len(runs) == 2 * 2 * 7 * 2 and set(runs['seed']) == {100, 101}
    with open(os.path.join(out, 'functions_config.gin')) as f:
        assert 'StationaryBenchmark.steps = 40' in f.read()
    before = {name: os.path.getmtime(os.path.join(out, name)) for name in os.listdir(out)}
    again = run_cli('lrrl.stationary', *args, timeout=300)
    assert again.returncode == 2
    assert 'pass --overwrite' in again.stderr
    assert before == {name: os.path.getmtime(os.path.join(out, name)) for name in os.listdir(out)}


def test_cli_refuses_a_bad_binding_before_creating_anything(tmp_path):
    out = tmp_path / 'never'
    result = run_cli('lrrl.stationary', f'--output_dir={out}', '--gin_bindings=StationaryBenchmark.dimension=0')
    assert result.returncode == 2
    assert 'StationaryBenchmark.dimension = 0 is not allowed' in result.stderr
    assert not out.exists()
    result = run_cli('lrrl.stationary', f'--output_dir={out}', "--gin_bindings=StationaryBenchmark.bandits={'x': 'y'}")
    assert result.returncode == 2
    assert "StationaryBenchmark.bandits = {'x': 'y'} is not allowed" in result.stderr
    assert "'y' is not one of these names" in result.stderr
    assert not out.exists()
