"""The numpy benchmarks give a loss-reading feedback their own loss (lrrl.benchmarks.loss_probe)."""

import functools

import numpy as np
import pytest

from lrrl import errors
from lrrl.benchmarks import bandit_testbed
from lrrl.benchmarks import maclaurin
from lrrl.benchmarks import maclaurin_task
from lrrl.benchmarks import stationary
from lrrl.benchmarks import test_functions
from lrrl.control import bandits
from lrrl.control import controllers
from lrrl.control import feedback


def loss_controller(rates):
    controller = controllers.BanditLearningRate(
        rates=rates,
        bandit=functools.partial(bandits.Exp3Bandit, window=None),
        steps_per_round=10,
        feedback=feedback.LossImprovement(),
    )
    controller.seed(0)
    return controller


def test_a_test_function_feeds_its_gap_to_the_minimum():
    function = test_functions.get('rastrigin')
    rows = [loss_controller((1e-3, 1e-2, 1e-1)) for _ in range(2)]
    starts = function.random_starts(np.random.default_rng(0), 2, 5)
    gaps, _, _ = stationary.optimise(function, 'sgd', rows, starts, 100)
    records = rows[0].take_round_records()
    assert len(records) == 10 and rows[0].rounds_closed == 10
    # Each round's probe is the row's gap at its start and end; the feedback is their log-ratio.
    first = records[0]
    assert first['loss_start'] == pytest.approx(gaps[0, 0]) and first['loss_end'] == pytest.approx(gaps[0, 10])
    assert first['feedback'] == pytest.approx(np.clip(np.log(gaps[0, 0] / gaps[0, 10]), -1, 1))
    assert all(r['loss_start'] == pytest.approx(previous['loss_end']) for previous, r in zip(records, records[1:]))


def test_maclaurin_net_feeds_its_held_out_loss():
    task = maclaurin_task.MaclaurinTask(seed=0)
    controller = loss_controller((1e-4, 1e-3, 1e-2))
    maclaurin.train(task, controller, 50, seed=0)
    records = controller.take_round_records()
    assert len(records) == 5 and all(np.isfinite(r['loss_end']) and r['q_max_end'] == 0.0 for r in records)


def test_a_synthetic_task_has_no_loss_and_says_so():
    task = next(t for t in bandit_testbed.build_tasks(functions=(), optimizers=()) if t.name == 'cartpole_destructive')
    with pytest.raises(errors.ConfigError, match='has no loss to probe'):
        task.simulate(loss_controller(task.rates), seed=0)
