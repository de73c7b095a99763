"""The benchmark command runs and writes its report (no timing is asserted)."""

import dataclasses
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


def _flat_weights(agent):
    import jax
    import numpy as np

    return np.concatenate([np.ravel(w) for w in jax.tree_util.tree_leaves(agent.network_params)])


def test_ppo_ab_variants_differ_only_in_the_harness(tmp_path):
    """Stock Dopamine PPO and the harness at a fixed rate, same seed: the same trajectory and the same update."""
    import numpy as np

    from lrrl.benchmarks import variants

    small = ['PPOAgent.update_period = 256', 'ReplayBuffer.batch_size = 256', 'ReplayBuffer.max_capacity = 256']
    runners = {
        variant: variants.build_runner(
            variant, 'ppo', str(tmp_path / variant), 'Hopper', 0, 0, env='mujoco', extra_bindings=small
        )
        for variant in variants.variants_of('ppo')
    }
    agents = {variant: runner._agent for variant, runner in runners.items()}
    assert set(agents) == {'stock', 'fixed', 'lrrl', 'lrrl_preprocessing'}
    stock_class = variants.stock_agent_class('ppo')
    assert type(agents['stock']) is stock_class
    assert all(type(a) is not stock_class and isinstance(a, stock_class) for v, a in agents.items() if v != 'stock')
    # Only the fourth variant preprocesses (stock Dopamine does it outside the agent, in legacy gym).
    assert agents['lrrl_preprocessing']._observation_statistics is not None
    assert agents['fixed']._observation_statistics is None and agents['lrrl']._return_statistics is None
    for name in (
        'update_period',
        'num_epochs',
        'batch_size',
        'gamma',
        'lambda_',
        'epsilon',
        'vf_coefficient',
        '_max_gradient_norm',
    ):
        assert len({getattr(a, name) for a in agents.values()}) == 1, name

    untrained = _flat_weights(agents['lrrl'])
    np.testing.assert_allclose(_flat_weights(agents['stock']), untrained, rtol=0, atol=0)  # the same seed
    for variant in ('stock', 'fixed'):
        steps, _, episodes, cpu_seconds = variants.train_steps(runners[variant], 300)  # one update, after 256 steps
        assert steps >= 300 and episodes >= 1 and cpu_seconds > 0
    weights = {v: _flat_weights(agents[v]) for v in ('stock', 'fixed')}
    assert np.abs(weights['stock'] - untrained).max() > 1e-4  # the update happened ...
    np.testing.assert_allclose(weights['fixed'], weights['stock'], rtol=1e-4, atol=1e-6)  # ... alike in both
    assert agents['fixed'].get_learning_rate() == pytest.approx(3e-4, rel=1e-6)
    # The runner seeds the controller after the agent is built; the agent applies the
    # seeded arm's rate at its first training step (with an empty rollout: no update).
    agents['lrrl']._train_step()
    assert agents['lrrl'].get_learning_rate() == pytest.approx(agents['lrrl'].learning_rate_controller.rate, rel=1e-6)
    candidates = agents['lrrl'].learning_rate_controller.candidates
    assert any(agents['lrrl'].get_learning_rate() == pytest.approx(c, rel=1e-6) for c in candidates)


def test_ppo_bench_measures_every_variant_and_the_task_alone(tmp_path):
    """The PPO bench in process (one block per variant, no update): every variant measured and reported."""
    from lrrl.benchmarks import throughput

    settings = throughput.bench_settings(
        agents=['ppo'], game='InvertedPendulum', environment_episodes=2, block_steps=50, rounds=1, warmup_steps=0
    )
    assert settings.env == 'mujoco' and settings.environment_games == ('InvertedPendulum',)
    lines = []
    results = throughput.run(settings, skip=('memory', 'scaling', 'bandit'), command='bench test', log=lines.append)
    measured = results['throughput']['ppo']
    assert set(measured['steps_per_second']) == {'stock', 'stock_copy', 'fixed', 'lrrl', 'lrrl_preprocessing'}
    assert all(len(r) == 1 and r[0] > 0 for r in measured['steps_per_cpu_second'].values())
    assert all(len(s) == 1 and s[0] >= 50 for s in measured['block_steps'].values())
    assert measured['update_period'] == 2048 and measured['minibatches_per_update'] == 10 * 2048 // 64
    assert measured['run_agent_steps'] == 100 * 10000
    alone = results['environment']['InvertedPendulum']
    assert alone['episodes'] == 2 and 1 <= alone['mean_length'] <= 1000 and alone['steps_per_cpu_second'] > 0
    text = throughput.report(results, settings)
    for row in ('| stock Dopamine PPO |', '| harness, fixed rate |', '| harness, LRRL over K(5) |'):
        assert row in text
    assert '| harness, LRRL over K(5), with PPO preprocessing |' in text
    assert 'a PPO update (320 minibatch steps) every 2048 environment steps' in text
    assert 'actions uniform in the action box' in text
    # A run's cost and the share of the task alone are the shipped agent file's: preprocessing on.
    assert 'per CPU-second of "harness, LRRL over K(5), with PPO preprocessing" over all its blocks' in text
    assert "as a share of the environment alone's on InvertedPendulum: PPO " in text
    assert any(line.startswith('ppo round 1/1') for line in lines)


def test_the_environment_alone_ends_mujoco_episodes_at_the_runners_limit():
    """Dopamine's Gym wrapper never reports HalfCheetah's time limit as game over; the runner's cap ends it."""
    from lrrl.benchmarks import throughput

    settings = throughput.bench_settings(agents=['ppo'], environment_episodes=2)
    measured = throughput.measure_environment(settings)['HalfCheetah']
    assert measured['mean_length'] == pytest.approx(1000, abs=1e-9)


@pytest.mark.parametrize(
    'settings, message',
    [
        (dict(agents=['ppo'], env='atari'), '--agent=ppo is not allowed with --env=atari: '),
        (dict(agents=['iqn'], env='mujoco'), 'iqn on atari, minatar'),
        (dict(agents=['dqn', 'ppo']), 'dqn on atari, minatar, cartpole; ppo on mujoco'),
        (dict(agents=['sac']), 'it must list one or more of dqn, iqn, jax_dqn, jax_iqn, jax_rainbow, ppo'),
        (
            dict(agents=['ppo'], epsilon_decay_period=1000),
            '--epsilon_decay_period=1000 is not allowed with --agent=ppo',
        ),
        (dict(agents=['ppo'], game='Pong'), "'Pong' is not allowed with --env=mujoco: it must be one of Ant, "),
        (dict(agents=['ppo'], environment_games=['CartPole']), "'CartPole' is not allowed with --env=mujoco"),
        (dict(agents=['dqn'], env='minatar', game='Breakout'), "'Breakout' is not allowed with --env=minatar"),
    ],
)
def test_bench_settings_refuse_agents_environments_and_games_that_do_not_go_together(settings, message):
    from lrrl import errors
    from lrrl.benchmarks import throughput

    with pytest.raises(errors.ConfigError) as raised:
        throughput.bench_settings(**settings)
    assert message in str(raised.value)


def test_the_ppo_bench_refuses_the_parts_it_cannot_measure(tmp_path):
    result = run_cli('lrrl.bench', '--agent=ppo', '--skip=bandit', f'--out={tmp_path}/ppo.md', timeout=300)
    assert result.returncode == 2, result.stderr[-3000:]
    assert '--skip=bandit is not allowed with --agent=ppo: add memory,scaling to --skip' in result.stderr
    assert not (tmp_path / 'ppo.md').exists()


@pytest.mark.parametrize('agent, env', [('jax_dqn', 'cartpole'), ('jax_iqn', 'minatar'), ('jax_rainbow', 'minatar')])
def test_jax_ab_variants_differ_only_in_the_harness(agent, env, tmp_path):
    """Dopamine's own JAX agent and the harness's: same class tree, replay, network and optimizer values."""
    import jax

    from lrrl.benchmarks import variants
    from lrrl.experiment import optax_rates

    runners = {
        variant: variants.build_runner(
            variant, agent, str(tmp_path / variant), variants.DEFAULT_GAMES[env], 3000, 200, env
        )
        for variant in variants.VARIANTS
    }
    agents = {variant: runner._agent for variant, runner in runners.items()}
    stock_class = variants.stock_agent_class(agent)
    assert type(agents['stock']) is stock_class
    assert all(type(agents[v]) is not stock_class and isinstance(agents[v], stock_class) for v in ('fixed', 'lrrl'))

    def settings(a):
        adam = a.optimizer_state if a is agents['stock'] else a.optimizer_state.inner_state
        return {
            'replay': (a._replay._max_capacity, a._replay._batch_size, type(a._replay._sampling_distribution)),
            'agent': (a.min_replay_history, a.update_period, a.target_update_period, a.gamma, a.update_horizon),
            'epsilon': (a.epsilon_train, a.epsilon_eval, a.epsilon_decay_period),
            'network': jax.tree_util.tree_map(lambda w: w.shape, a.online_params),
            'adam': jax.tree_util.tree_structure(adam),
        }

    reference = settings(agents['stock'])
    assert reference['replay'][:2] == (3000, 32 if env == 'minatar' else 128) and reference['agent'][0] == 200
    for variant in ('fixed', 'lrrl'):
        assert settings(agents[variant]) == reference, variant
    # Dopamine's optax Adam holds its rate as a constant; the harness's holds it in its state.
    fixed_rate = agents['fixed'].learning_rate_controller.rate
    assert agents['fixed'].get_learning_rate() == pytest.approx(fixed_rate, rel=1e-7)
    agents['lrrl']._train_step()  # the runner seeds the controller after the agent is built
    assert optax_rates.rate_of(agents['lrrl'].optimizer_state) == pytest.approx(
        agents['lrrl'].learning_rate_controller.rate, rel=1e-7
    )


def test_the_jax_bench_measures_every_variant_on_cartpole(tmp_path):
    from lrrl.benchmarks import throughput

    settings = throughput.bench_settings(
        agents=['jax_dqn'], env='cartpole', environment_episodes=2, block_steps=100, rounds=1, warmup_steps=250,
        min_replay_history=200,
    )
    assert settings.game == 'CartPole' and settings.environment_games == ('CartPole',)
    results = throughput.run(settings, skip=('memory', 'scaling', 'bandit'), command='bench test')
    measured = results['throughput']['jax_dqn']
    assert list(measured['steps_per_cpu_second']) == ['stock', 'stock_copy', 'fixed', 'lrrl']
    assert all(len(r) == 1 and r[0] > 0 for r in measured['steps_per_cpu_second'].values())
    # The A/A control does stock's work: the same seeds, so the same episodes to the step.
    assert measured['block_steps']['stock_copy'] == measured['block_steps']['stock']
    text = throughput.report(results, settings)
    for row in (
        '| stock Dopamine JAX DQN |',
        '| stock Dopamine JAX DQN, a second copy (A/A control) |',
        '| harness, fixed rate |',
        '| harness, LRRL over K(5) |',
    ):
        assert row in text
    assert 'A/A control: a second copy of stock, doing the same work, has a CPU ratio to stock of ' in text
    # Without the control: three variants, no A/A line.
    without = dataclasses.replace(settings, stock_copy=False, environment_games=())
    plain = throughput.run(without, skip=('memory', 'scaling', 'bandit', 'environment'), command='bench test')
    assert list(plain['throughput']['jax_dqn']['steps_per_cpu_second']) == ['stock', 'fixed', 'lrrl']
    assert 'A/A control' not in throughput.report(plain, without)
    assert results['environment']['CartPole']['episodes'] == 2
