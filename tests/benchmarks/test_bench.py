"""The benchmark command runs and writes its report (no timing is asserted)."""

import json
import os

import pytest

from helpers import run_cli


def test_bench_writes_a_report_with_the_machine_and_command(tmp_path):
    out = tmp_path / 'bench' / 'README.md'
    result = run_cli('lrrl.bench', '--skip=throughput,memory,scaling', '--bandit_arms=2,7', f'--out={out}', timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    text = out.read_text()
    assert 'Machine:' in text and 'python -m lrrl.bench' in text
    assert '| 2 |' in text and '| 7 |' in text
    measured = json.loads((tmp_path / 'bench' / 'README.json').read_text())
    assert set(measured['bandit']) == {'2', '7'} and all(v > 0 for v in measured['bandit'].values())
    assert not os.path.exists(tmp_path / 'bench' / 'README.md.tmp')


def test_bench_refuses_an_unknown_part():
    result = run_cli('lrrl.bench', '--skip=throughput,warp', timeout=300)
    assert result.returncode == 2
    assert 'warp' in result.stderr and 'throughput, bandit, memory, scaling' in result.stderr


@pytest.mark.parametrize('agent', ['dqn', 'iqn'])
def test_ab_variants_differ_only_in_the_harness(agent, tmp_path):
    """A fair A/B: stock Dopamine and the harness get the same optimizer, network, replay and agent settings."""
    import tensorflow as tf

    from lrrl.benchmarks import variants

    agents = {}
    for variant in variants.VARIANTS:
        with tf.Graph().as_default():
            runner = variants.build_runner(variant, agent, str(tmp_path / variant), 'Pong', 5000, 300)
        agents[variant] = runner._agent
    stock_class = variants.stock_agent_class(agent)
    assert type(agents['stock']) is stock_class
    assert all(isinstance(agents[v], stock_class) and type(agents[v]) is not stock_class for v in ('fixed', 'lrrl'))

    def settings(a):
        with a._sess.graph.as_default():
            trainable = tf.compat.v1.trainable_variables()
        optimizer = a.optimizer
        return {
            'optimizer': type(optimizer),
            'betas_epsilon': (optimizer._beta1, optimizer._beta2, optimizer._epsilon),
            'trainable': sorted((v.name, tuple(v.shape)) for v in trainable),
            'replay': (type(a._replay), a._replay.memory._replay_capacity, a._replay.batch_size),
            'agent': (a.min_replay_history, a.update_period, a.target_update_period, a.gamma, a.update_horizon),
            'epsilon_train': a.epsilon_train,
        }

    reference = settings(agents['stock'])
    assert reference['replay'][1] == 5000 and reference['agent'][0] == 300
    for variant in ('fixed', 'lrrl'):
        assert settings(agents[variant]) == reference, variant
    # The fixed variant trains at stock's rate; the LRRL variant at its bandit's arm, which the
    # agent writes to the graph at its first training step (the runner seeds the controller
    # after the agent is built). With an empty replay the step updates nothing.
    for variant in ('fixed', 'lrrl'):
        agents[variant]._train_step()
    stock_rate = agents['stock'].optimizer._lr
    assert agents['fixed'].get_learning_rate() == pytest.approx(stock_rate, rel=1e-7)
    assert agents['lrrl'].get_learning_rate() == pytest.approx(agents['lrrl'].learning_rate_controller.rate, rel=1e-7)
    for a in agents.values():
        a._sess.close()


def test_ppo_ab_variants_differ_only_in_the_harness(tmp_path):
    """Stock Dopamine PPO and the harness at a fixed rate, same seed: the same trajectory and the same update."""
    import jax
    import numpy as np

    from lrrl.benchmarks import variants

    small = ['PPOAgent.update_period = 256', 'ReplayBuffer.batch_size = 256', 'ReplayBuffer.max_capacity = 256']
    runners = {
        variant: variants.build_runner(variant, 'ppo', str(tmp_path / variant), 'Hopper', 0, 0, small)
        for variant in variants.PPO_VARIANTS
    }
    agents = {variant: runner._agent for variant, runner in runners.items()}
    stock_class = variants.stock_agent_class('ppo')
    assert type(agents['stock']) is stock_class
    assert all(
        type(agents[v]) is not stock_class and isinstance(agents[v], stock_class) for v in variants.PPO_VARIANTS[1:]
    )
    assert agents['lrrl_preprocessing']._observation_statistics is not None
    assert agents['fixed']._observation_statistics is None and agents['lrrl']._return_statistics is None

    for variant in ('stock', 'fixed'):
        steps, _, _ = variants.train_steps(runners[variant], 300)  # one update, after 256 steps
        assert steps >= 300
    weights = {
        v: np.concatenate([np.ravel(w) for w in jax.tree_util.tree_leaves(agents[v].network_params)])
        for v in ('stock', 'fixed')
    }
    untrained = np.concatenate([np.ravel(w) for w in jax.tree_util.tree_leaves(agents['lrrl'].network_params)])
    assert np.abs(weights['stock'] - untrained).max() > 1e-4  # the update happened ...
    np.testing.assert_allclose(weights['fixed'], weights['stock'], rtol=1e-4, atol=1e-6)  # ... alike in both
    assert agents['fixed'].get_learning_rate() == pytest.approx(3e-4, rel=1e-6)
    # The runner seeds the controller after the agent is built; the agent applies the
    # seeded arm's rate at its first training step (with an empty rollout: no update).
    agents['lrrl']._train_step()
    assert agents['lrrl'].get_learning_rate() == pytest.approx(agents['lrrl'].learning_rate_controller.rate, rel=1e-6)


def test_the_ppo_bench_refuses_the_parts_it_cannot_measure():
    result = run_cli('lrrl.bench', '--agent=ppo', '--skip=bandit', timeout=300)
    assert result.returncode == 2
    assert 'add memory,scaling to --skip' in result.stderr
