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


def test_bench_measures_the_minatar_environment_alone_and_writes_reference_scores(tmp_path):
    from lrrl.analysis import normalization

    out, scores = tmp_path / 'minatar.md', tmp_path / 'reference.csv'
    result = run_cli(
        'lrrl.bench',
        '--env=minatar',
        '--skip=throughput,memory,scaling,bandit',
        '--environment_games=breakout,freeway',
        '--environment_episodes=5',
        f'--reference_scores_out={scores}',
        f'--out={out}',
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert '| breakout |' in out.read_text() and '| freeway |' in out.read_text()
    measured = json.loads((tmp_path / 'minatar.json').read_text())['environment']
    # Freeway lasts 2,500 frames whatever the policy; its random policy rarely crosses.
    assert measured['freeway']['mean_length'] == pytest.approx(2501, abs=1)
    assert measured['breakout']['steps_per_second'] > 0
    random_scores = normalization.minatar_random_scores(str(scores))
    assert random_scores['Breakout-MinAtar'] == pytest.approx(measured['breakout']['mean_return'], abs=1e-4)


def test_bench_refuses_reference_scores_outside_minatar(tmp_path):
    result = run_cli(
        'lrrl.bench', '--skip=throughput,memory,scaling,bandit', f'--reference_scores_out={tmp_path}/x.csv'
    )
    assert result.returncode == 2 and '--env=minatar' in result.stderr
    assert not (tmp_path / 'x.csv').exists()


def test_bench_refuses_an_unknown_part():
    result = run_cli('lrrl.bench', '--skip=throughput,warp', timeout=300)
    assert result.returncode == 2
    assert 'warp' in result.stderr and 'throughput, bandit, memory, scaling' in result.stderr


@pytest.mark.parametrize(
    'agent, env, game',
    [
        ('dqn', 'atari', 'Pong'),
        ('iqn', 'atari', 'Pong'),
        ('dqn', 'minatar', 'seaquest'),
        ('iqn', 'minatar', 'seaquest'),
    ],
)
def test_ab_variants_differ_only_in_the_harness(agent, env, game, tmp_path):
    """A fair A/B: stock Dopamine and the harness get the same optimizer, network, replay and agent settings."""
    import tensorflow as tf

    from lrrl.benchmarks import variants

    agents = {}
    for variant in variants.VARIANTS:
        with tf.Graph().as_default():
            runner = variants.build_runner(variant, agent, str(tmp_path / variant), game, 5000, 300, env)
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
            'observation': (a.observation_shape, a.observation_dtype, a.stack_size),
        }

    reference = settings(agents['stock'])
    assert reference['replay'][1] == 5000 and reference['agent'][0] == 300
    if env == 'minatar':
        assert reference['observation'] == ((10, 10, 10), tf.uint8, 1)
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
