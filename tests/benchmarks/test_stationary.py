"""The stationary benchmark: the LRRL loop, divergence handling, the CLI."""

import os

import numpy as np
import pandas as pd
import pytest

from helpers import run_cli
from lrrl.control import controllers
from lrrl.benchmarks import stationary
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
    assert list(table.index) == ['fixed 0.0001', 'fixed 0.001', 'fixed 1', 'LRRL']
    assert table.loc['fixed 1', 'diverged'] == 3
    assert table.loc['fixed 1', 'rank'] > max(table.loc['fixed 0.0001', 'rank'], table.loc['fixed 0.001', 'rank'])
    assert np.isnan(table.loc['fixed 1', 'mean_final_gap'])
    # 1e-3 gets closer than 1e-4 in 200 steps on Rosenbrock.
    assert table.loc['fixed 0.001', 'mean_final_gap'] < table.loc['fixed 0.0001', 'mean_final_gap']
    assert table.loc['fixed 0.001', 'rank'] < table.loc['fixed 0.0001', 'rank']
    runs = results.runs_frame()
    assert len(runs) == 4 * 3 and set(runs['seed']) == {0, 1, 2}
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
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        stationary.StationaryBenchmark(**kwargs)


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
    assert '40 steps in dimension 10, mean ± std over 2 seeds' in text
    table = pd.read_csv(os.path.join(out, 'functions_table.csv'))
    assert len(table) == 2 * 2 * 5 and set(table['seeds']) == {2}
    assert len(pd.read_csv(os.path.join(out, 'functions_runs.csv'))) == 2 * 2 * 5 * 2
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
