"""MaclaurinNet: the task, its numpy gradients, and the benchmark CLI."""

import os

import numpy as np
import pandas as pd
import pytest

from helpers import run_cli
from lrrl.control import controllers
from lrrl.benchmarks import maclaurin_task
from lrrl.benchmarks import maclaurin
from lrrl.control import rlr


def test_the_inputs_are_the_polynomials_sampled_on_the_grid():
    task = maclaurin_task.MaclaurinTask(seed=3)
    assert task.train_inputs.shape == (256, 20) and task.train_targets.shape == (256, 5)
    assert task.test_inputs.shape == (256, 20)
    np.testing.assert_allclose(task.points, np.linspace(-2, 2, 20))
    for i in (0, 17, 255):
        w = task.train_targets[i]
        # np.polyval wants the highest power first.
        np.testing.assert_allclose(task.train_inputs[i], np.polyval(w[::-1], task.points), rtol=1e-12)
    assert task.sizes == (20, 64, 64, 5)
    # Held-out polynomials differ from the training ones.
    assert not np.any(np.all(np.isclose(task.test_targets[:, None], task.train_targets[None]), axis=-1))


def test_gradients_match_finite_differences():
    task = maclaurin_task.MaclaurinTask(hidden_sizes=(7, 6), seed=0)
    params = task.init_params(np.random.default_rng(0))
    inputs, targets = task.sample_batch(np.random.default_rng(1))
    loss, grads = task.loss_and_gradients(params, inputs, targets)
    assert loss == pytest.approx(task.loss(params, inputs, targets))
    rng = np.random.default_rng(2)
    h = 1e-6
    for p, g in zip(params, grads):
        assert g.shape == p.shape
        for flat in rng.choice(p.size, size=min(6, p.size), replace=False):
            index = np.unravel_index(flat, p.shape)
            saved = p[index]
            p[index] = saved + h
            up = task.loss(params, inputs, targets)
            p[index] = saved - h
            down = task.loss(params, inputs, targets)
            p[index] = saved
            assert g[index] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-9)


def test_adam_at_the_baseline_rate_learns_the_coefficients():
    task = maclaurin_task.MaclaurinTask(seed=0)
    losses, rates, test_errors, diverged_at = maclaurin.train(task, controllers.FixedLearningRate(1e-3), 400, seed=0)
    assert diverged_at == -1 and np.all(rates == 1e-3)
    # From about the coefficients' variance (1/3) to a small fraction of it.
    assert losses[0] > 0.2 and losses[-1] < 0.02 and test_errors[-1] < 0.03
    assert len(test_errors) == 100


def test_rlr_and_the_bandits_drive_training_on_the_grid():
    task = maclaurin_task.MaclaurinTask(seed=1)
    benchmark = maclaurin.MaclaurinBenchmark(steps=200, num_seeds=1)
    assert benchmark.methods == ['fixed', 'rlr', 'LRRL', 'LRRL paper-literal', 'uniform']
    for method in ('rlr', 'LRRL', 'LRRL paper-literal', 'uniform'):
        controller = benchmark.controller(method, seed=1)
        losses, rates, test_errors, diverged_at = maclaurin.train(task, controller, 200, seed=1)
        assert diverged_at == -1
        assert set(np.unique(rates)) <= set(rlr.DEFAULT_GRID)
        assert len(np.unique(rates)) > 1  # the controller did change the rate
        assert losses[-1] < losses[0]


def test_the_bandits_are_the_shared_configurations_with_rounds_of_kappa_steps():
    benchmark = maclaurin.MaclaurinBenchmark(steps=200, num_seeds=1, steps_per_round=20)
    default = benchmark.controller('LRRL', seed=0)
    assert default.steps_per_round == 20 and default.burn_in == pytest.approx(0.5)
    # configs/stationary/maclaurin.gin's 'LRRL' is lrrl_v1; the code's own default is today's.
    assert default.feedback.config()['targets'] == 'current' and default.bandit.alpha == pytest.approx(0.3)
    v1 = maclaurin.MaclaurinBenchmark(steps=200, num_seeds=1, steps_per_round=20, bandits={'LRRL': 'lrrl_v1'})
    assert v1.controller('LRRL', seed=0).feedback.config()['baseline'] == 'run_min'
    literal = benchmark.controller('LRRL paper-literal', seed=0)
    assert literal.episodes_per_round == 20 and literal.feedback is None and literal.bandit.window == 5
    assert benchmark.controller('uniform', seed=0).bandit.name == 'UniformBandit'
    # 'lrrl' in methods stands for the bandits, in their order, under their labels.
    only = maclaurin.MaclaurinBenchmark(steps=200, methods=('lrrl', 'fixed'), bandits={'IX': 'exp3_ix'})
    assert only.methods == ['IX', 'fixed'] and only.controller('IX', 0).bandit.name == 'Exp3IXBandit'
    assert maclaurin.MaclaurinBenchmark(steps=200, methods=('fixed', 'rlr')).methods == ['fixed', 'rlr']


def test_uniform_spreads_its_steps_over_the_grid():
    task = maclaurin_task.MaclaurinTask(seed=2)
    benchmark = maclaurin.MaclaurinBenchmark(steps=2400, num_seeds=1)
    _, rates, _, diverged_at = maclaurin.train(task, benchmark.controller('uniform', seed=2), 2400, seed=2)
    assert diverged_at == -1
    shares = np.array([np.mean(rates == r) for r in rlr.DEFAULT_GRID])
    # 240 rounds drawn uniformly over 12 rates: each share within 1/12 ± 0.05.
    np.testing.assert_allclose(shares, 1 / 12, atol=0.05)


@pytest.mark.parametrize(
    'kwargs, message',
    [
        (dict(methods=('fixed', 'adamw')), r"MaclaurinBenchmark.methods = \('fixed', 'adamw'\) is not allowed"),
        (dict(steps=0), r'MaclaurinBenchmark.steps = 0 is not allowed'),
        (dict(grid=(1e-3, 1e-4)), r'RLRLearningRate.rates = .* strictly increasing'),
        (dict(fixed_rate=-1.0), r'FixedLearningRate.rate = -1.0 is not allowed'),
        (dict(methods=('lrrl', 'lrrl')), r"MaclaurinBenchmark.methods = \('lrrl', 'lrrl'\) is not allowed"),
        (dict(bandits={}), r'MaclaurinBenchmark.bandits = \{\} is not allowed: it must be a non-empty mapping'),
        (dict(bandits={'rlr': 'uniform'}), r"MaclaurinBenchmark.bandits = .* the label 'rlr' is already a column"),
        (dict(bandits={'LRRL': 'lrrl'}), r"MaclaurinBenchmark.bandits = .* 'lrrl' is not one of these names"),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        maclaurin.MaclaurinBenchmark(**kwargs)


def test_bad_methods_and_bandits_are_config_errors():
    from lrrl import errors

    with pytest.raises(errors.ConfigError, match='MaclaurinBenchmark.methods'):
        maclaurin.MaclaurinBenchmark(methods=('adamw',))
    with pytest.raises(errors.ConfigError, match='MaclaurinBenchmark.bandits'):
        maclaurin.MaclaurinBenchmark(bandits={'x': 'y'})


def test_bad_task_settings_are_refused():
    with pytest.raises(ValueError, match=r'MaclaurinTask.batch_size = 300 is not allowed: .*<= num_polynomials = 256'):
        maclaurin_task.MaclaurinTask(batch_size=300)


def test_cli_writes_its_table(tmp_path):
    out = str(tmp_path / 'maclaurin')
    args = [
        f'--output_dir={out}',
        '--gin_bindings=MaclaurinBenchmark.steps=150',
        '--gin_bindings=MaclaurinBenchmark.num_seeds=2',
    ]
    result = run_cli('lrrl.maclaurin_benchmark', *args, timeout=300)
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(out)) == sorted(maclaurin.OUTPUT_FILES)
    with open(os.path.join(out, 'maclaurin_table.md')) as f:
        text = f.read()
    for label in ('fixed Adam 1e-3', 'RLR scheduler', '150 Adam steps', '2 seeds (seeds 100–101'):
        assert label in text
    for label in ('LRRL', 'LRRL paper-literal', 'uniform'):
        assert f'| {label} |' in text and f'- **{label}**' in text
    assert '× uniform (test, last 100)' in text
    runs = pd.read_csv(os.path.join(out, 'maclaurin_runs.csv'))
    assert len(runs) == 5 * 2 and set(runs['method']) == {'fixed', 'rlr', 'LRRL', 'LRRL paper-literal', 'uniform'}
    assert set(runs['seed']) == {100, 101}
    table = pd.read_csv(os.path.join(out, 'maclaurin_table.csv')).set_index('method')
    assert table.loc['fixed', 'test_error_baseline_ratio_geomean'] == pytest.approx(1.0)
    assert table.loc['uniform', 'test_error_tail_uniform_ratio_geomean'] == pytest.approx(1.0)
    assert table.loc['uniform', 'test_error_tail_uniform_better_seeds'] == 0
    again = run_cli('lrrl.maclaurin_benchmark', *args, timeout=300)
    assert again.returncode == 2 and 'pass --overwrite' in again.stderr
    bad = run_cli(
        'lrrl.maclaurin_benchmark', f'--output_dir={tmp_path / "never"}', '--gin_bindings=MaclaurinTask.degree=-1'
    )
    assert bad.returncode == 2 and 'MaclaurinTask.degree = -1 is not allowed' in bad.stderr
    assert not (tmp_path / 'never').exists()
