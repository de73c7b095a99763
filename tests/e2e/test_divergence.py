"""A diverging rate stops the run before NaN weights can reach a checkpoint."""

import json
import os

import numpy as np
import pytest

from helpers import run_cli

# The rate jumps from 1e-3 to 1e30 at agent step 750. Iteration 1 (>= 500 steps of whole
# episodes of at most 200 steps, so it ends before step 700) checkpoints; iteration 2 diverges.
JUMP = [
    '--gin_files=agents/dqn_cartpole.gin',
    '--gin_files=methods/step_decay.gin',
    '--gin_bindings=StepDecay.initial_rate = 1e-3',
    '--gin_bindings=StepDecay.factor = 1e33',
    '--gin_bindings=StepDecay.step_size = 750',
    '--gin_bindings=ScheduledLearningRate.rate_update_period = 1',
    '--gin_bindings=Runner.num_iterations = 3',
    '--gin_bindings=Runner.training_steps = 500',
    '--gin_bindings=Runner.evaluation_steps = 100',
    '--gin_bindings=DQNAgent.min_replay_history = 100',
]


def checkpoint_weights(run_dir, iteration):
    import tensorflow as tf

    reader = tf.train.load_checkpoint(os.path.join(run_dir, 'checkpoints', f'tf_ckpt-{iteration}'))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


@pytest.mark.slow
def test_divergence_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path):
    run_dir = str(tmp_path / 'run')
    result = run_cli('lrrl.train', f'--base_dir={run_dir}', *JUMP)
    assert result.returncode == 4, result.stderr[-3000:]
    assert 'diverged' in result.stderr and 'agent step' in result.stderr
    status = json.load(open(os.path.join(run_dir, 'status.json')))
    assert status['state'] == 'failed'
    assert status['diverged_at_step'] >= 750
    assert status['learning_rate'] == pytest.approx(1e30)
    assert status['iteration'] == 1
    checkpoints = os.listdir(os.path.join(run_dir, 'checkpoints'))
    assert 'sentinel_checkpoint_complete.0' in checkpoints
    assert not any(name.endswith('.1') or name.startswith('tf_ckpt-1') for name in checkpoints), checkpoints
    weights = checkpoint_weights(run_dir, 0)
    floats = [w for w in weights.values() if np.issubdtype(np.asarray(w).dtype, np.floating)]
    assert floats and all(np.isfinite(w).all() for w in floats)


@pytest.mark.slow
def test_asked_to_keep_going_the_run_warns_once_and_finishes(tmp_path):
    run_dir = str(tmp_path / 'run')
    result = run_cli(
        'lrrl.train', f'--base_dir={run_dir}', *JUMP, '--gin_bindings=lrrl.create_agent.stop_on_divergence = False'
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr.count('the online network diverged') == 1, result.stderr[-3000:]
    assert json.load(open(os.path.join(run_dir, 'status.json')))['state'] == 'finished'
