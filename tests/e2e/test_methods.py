"""Every method and optimizer file runs one short CartPole iteration end to end.

In one process (each run in its own TF graph) to spare a TensorFlow import
per method. The rates the trace records are checked against what the method
says: a fixed rate, the schedule's value at the step, a candidate arm.
"""

import glob
import os

import pandas as pd
import pytest

from helpers import CONFIGS

METHOD_FILES = sorted(
    os.path.relpath(path, CONFIGS)
    for folder in ('methods', 'optimizers')
    for path in glob.glob(os.path.join(CONFIGS, folder, '*.gin'))
)
SHORT = [
    'Runner.num_iterations = 1',
    'Runner.training_steps = 300',
    'Runner.evaluation_steps = 100',
    'DQNAgent.min_replay_history = 100',
    'RainbowAgent.min_replay_history = 100',
    'DQNAgent.target_update_period = 50',
    'RainbowAgent.target_update_period = 50',
    # Schedules applied at every step, so the trace can be checked exactly.
    'ScheduledLearningRate.rate_update_period = 1',
    'BanditLearningRate.rate_update_period = 1',
]


def run_one_iteration(base_dir, gin_files):
    import tensorflow as tf

    from lrrl.experiment import training

    with tf.Graph().as_default():
        runner = training.run(str(base_dir), gin_files, SHORT, seed=0)
        agent = runner._agent
        result = {
            'controller': agent.learning_rate_controller,
            'graph_rate': agent.get_learning_rate(),
            'optimizer': type(agent.optimizer).__name__,
            'training_steps': agent.training_steps,
        }
        agent._sess.close()
    return result, pd.read_csv(os.path.join(base_dir, 'lr_trace.csv'))


@pytest.mark.slow
@pytest.mark.parametrize(
    'agent_file, method_file',
    [('agents/dqn_cartpole.gin', m) for m in METHOD_FILES]
    + [('agents/iqn_cartpole.gin', m) for m in ('methods/lrrl_k5_adamrel.gin', 'methods/lrrl_scheduler_arms.gin')],
)
def test_each_method_runs_a_short_cartpole_iteration(tmp_path, agent_file, method_file):
    from lrrl.control import controllers

    result, trace = run_one_iteration(tmp_path / 'run', [agent_file, method_file])
    controller = result['controller']
    assert len(trace) > 0 and set(trace['iteration']) == {0}
    assert result['training_steps'] >= 300
    # The graph holds the rate the controller chose last.
    assert result['graph_rate'] == pytest.approx(controller.rate, rel=1e-6)
    if isinstance(controller, controllers.ScheduledLearningRate):
        expected = [controller.schedule(step - 1) for step in trace['agent_step']]
        assert list(trace['learning_rate']) == pytest.approx(expected, rel=1e-12)
    elif isinstance(controller, controllers.BanditLearningRate):
        expected = [controller.arms[arm](step - 1) for arm, step in zip(trace['arm'], trace['agent_step'])]
        assert list(trace['learning_rate']) == pytest.approx(expected, rel=1e-12)
        assert (trace.filter(like='p_').sum(axis=1) - 1).abs().max() < 1e-9
    elif isinstance(controller, controllers.FixedLearningRate):
        assert set(trace['learning_rate']) == {controller.rate}
    else:  # e.g. the RLR scheduler: moves on its grid
        for rate in trace['learning_rate']:
            assert min(abs(rate - c) / c for c in controller.candidates) < 1e-9, rate
    if 'adamrel' in method_file:
        assert result['optimizer'] == 'AdamRelOptimizer'
