"""The JAX DQN, IQN and Rainbow agents: Dopamine's own agents step for step, the rate in the optax state."""

import subprocess
import sys

import numpy as np
import pytest

from helpers import REPO
from helpers import StepRoundRecorder
from helpers import check_rounds
from helpers import run_training

AGENTS = ('jax_dqn', 'jax_implicit_quantile', 'jax_rainbow')
# The bench's names of the same agents (lrrl.benchmarks.variants).
BENCH_NAMES = {'jax_dqn': 'jax_dqn', 'jax_implicit_quantile': 'jax_iqn', 'jax_rainbow': 'jax_rainbow'}
CARTPOLE_FILES = {
    'jax_dqn': 'agents/jax_dqn_cartpole.gin',
    'jax_implicit_quantile': 'agents/jax_iqn_cartpole.gin',
    'jax_rainbow': 'agents/jax_rainbow_cartpole.gin',
}
CONFIGURABLES = {
    'jax_dqn': 'JaxDQNAgent',
    'jax_implicit_quantile': 'JaxImplicitQuantileAgent',
    'jax_rainbow': 'JaxRainbowAgent',
}


def small(agent_name, warmup=100):
    """Bindings that keep the agents' updates cheap: small batches, few quantiles."""
    bindings = [f'{CONFIGURABLES[agent_name]}.min_replay_history = {warmup}', 'ReplayBuffer.batch_size = 16']
    if agent_name == 'jax_implicit_quantile':
        bindings += [f'JaxImplicitQuantileAgent.{n} = 8' for n in ('num_tau_samples', 'num_tau_prime_samples')]
    return bindings


def dopamine_module(agent_name):
    """The Dopamine module whose module-level jitted ``train`` the agent calls."""
    from dopamine.jax.agents.dqn import dqn_agent
    from dopamine.jax.agents.implicit_quantile import implicit_quantile_agent
    from dopamine.jax.agents.rainbow import rainbow_agent

    return {'jax_dqn': dqn_agent, 'jax_implicit_quantile': implicit_quantile_agent, 'jax_rainbow': rainbow_agent}[
        agent_name
    ]


def flat(tree):
    import jax

    return np.concatenate([np.ravel(np.asarray(leaf)) for leaf in jax.tree_util.tree_leaves(tree)])


def adam_state(agent):
    import jax
    import optax

    (state,) = [
        node
        for node in jax.tree_util.tree_leaves(
            agent.optimizer_state, is_leaf=lambda n: isinstance(n, optax.ScaleByAdamState)
        )
        if isinstance(node, optax.ScaleByAdamState)
    ]
    return state


def build_agent(gin_config, agent_name, controller, bindings=()):
    from dopamine.discrete_domains import gym_lib

    from lrrl.experiment import agent_factory

    gin_config([CARTPOLE_FILES[agent_name]], [*small(agent_name), *bindings])
    environment = gym_lib.create_gym_environment('CartPole', 'v0')
    environment.environment.reset(seed=0)
    agent = agent_factory.create_agent(
        None, environment, agent_name=agent_name, learning_rate_controller=controller, seed=0
    )
    return environment, agent


@pytest.mark.parametrize('agent_name', AGENTS)
def test_at_a_fixed_rate_the_agent_trains_step_for_step_as_dopamines_own(agent_name, tmp_path):
    """Dopamine's own agent class in Dopamine's own runner against the harness's runner and agent, same seed.

    The same returns, episode for episode, and the same weights to the bit after
    hundreds of gradient updates: the harness changes nothing Dopamine computes.
    """
    from dopamine.discrete_domains import iteration_statistics

    from lrrl.benchmarks import variants

    runners, returns, weights = {}, {}, {}
    for variant in ('stock', 'fixed'):
        runners[variant] = variants.build_runner(
            variant, BENCH_NAMES[agent_name], str(tmp_path / variant), 'CartPole', 5000, 100, 'cartpole',
            extra_bindings=small(agent_name)[1:],
        )
        agent = runners[variant]._agent
        untrained = flat(agent.online_params)
        statistics = iteration_statistics.IterationStatistics()
        runners[variant]._run_one_phase(900, statistics, 'train')
        returns[variant] = statistics.data_lists['train_episode_returns']
        weights[variant] = flat(agent.online_params)
        assert np.abs(weights[variant] - untrained).max() > 1e-4  # it trained
    stock, harness = runners['stock']._agent, runners['fixed']._agent
    assert type(stock) is variants.stock_agent_class(BENCH_NAMES[agent_name]) and isinstance(harness, type(stock))
    assert harness.training_steps == stock.training_steps and len(returns['stock']) > 10
    assert returns['fixed'] == returns['stock']
    np.testing.assert_array_equal(weights['fixed'], weights['stock'])
    np.testing.assert_array_equal(flat(adam_state(harness).mu), flat(adam_state(stock).mu))


@pytest.mark.parametrize('agent_name', AGENTS)
def test_rate_switches_reach_the_updates_keep_adams_moments_and_compile_nothing(gin_config, agent_name, monkeypatch):
    import jax
    import jax.numpy as jnp

    from lrrl.control import bandits
    from lrrl.control import controllers
    from lrrl.experiment import optax_rates

    controller = controllers.BanditLearningRate(
        rates=(1e-4, 1e-3, 1e-2), bandit=bandits.UniformBandit, steps_per_round=40
    )
    controller.seed(0)
    environment, agent = build_agent(gin_config, agent_name, controller)
    module = dopamine_module(agent_name)
    original_train = module.train
    rates_in_updates, compiled = [], []

    def train(*args, **kwargs):
        rates_in_updates.append(optax_rates.rate_of(args[4]))  # the optimizer state the update gets
        result = original_train(*args, **kwargs)
        compiled.append(original_train._cache_size())
        return result

    monkeypatch.setattr(module, 'train', train)
    run_training(agent, environment, 700)
    monkeypatch.setattr(module, 'train', original_train)
    assert len(set(rates_in_updates)) == 3, rates_in_updates
    for rate in rates_in_updates:
        assert any(rate == pytest.approx(candidate, rel=1e-6) for candidate in controller.candidates)
    # Compiled at the first update, never again across the switches.
    assert len(set(compiled)) == 1, compiled

    # A switch to 10x the rate changes the rate and nothing else ...
    before = agent.optimizer_state
    moments = flat(adam_state(agent).mu), flat(adam_state(agent).nu), int(adam_state(agent).count)
    assert int(adam_state(agent).count) == len(rates_in_updates) and np.abs(moments[0]).max() > 0
    rate = agent.get_learning_rate()
    agent.set_learning_rate(10 * rate)
    assert agent.get_learning_rate() == pytest.approx(10 * rate, rel=1e-6)
    np.testing.assert_array_equal(flat(adam_state(agent).mu), moments[0])
    np.testing.assert_array_equal(flat(adam_state(agent).nu), moments[1])
    assert int(adam_state(agent).count) == moments[2]
    # ... and the optimizer's next step is ten times as large.
    gradient = jax.tree_util.tree_map(jnp.ones_like, agent.online_params)
    small_step, _ = agent.optimizer.update(gradient, before, agent.online_params)
    large_step, _ = agent.optimizer.update(gradient, agent.optimizer_state, agent.online_params)
    np.testing.assert_allclose(flat(large_step), 10 * flat(small_step), rtol=1e-6)


@pytest.mark.parametrize('agent_name', ['jax_dqn', 'jax_rainbow'])
def test_rounds_in_agent_steps_none_before_the_first_gradient_update(gin_config, agent_name):
    """Rainbow's 3-step accumulator holds transitions back: the first update is still found exactly."""
    warmup, kappa = 150, 60
    controller = StepRoundRecorder.build(kappa)
    environment, agent = build_agent(gin_config, agent_name, controller, small(agent_name, warmup))
    episode_ends = run_training(agent, environment, 700)
    updates = int(adam_state(agent).count)
    check_rounds(controller, episode_ends, kappa, updates, total_steps=700, warmup=warmup, update_period=4)


def test_adamrel_restarts_adams_step_counter_at_every_target_sync(gin_config):
    from lrrl.control import controllers

    environment, agent = build_agent(
        gin_config,
        'jax_dqn',
        controllers.FixedLearningRate(1e-3),
        ['lrrl.create_agent.optimizer_class = @AdamRelOptimizer', 'JaxDQNAgent.target_update_period = 40'],
    )
    run_training(agent, environment, 390)
    # Updates at every 4th step from the first one (> 100 transitions stored); syncs at multiples of 40.
    # The counter holds the updates since the last sync (the sync at 360 came after that step's update).
    assert int(agent.optimizer_state.count) > 60  # every update, for the record
    assert int(adam_state(agent).count) == len(range(364, 390, 4))


def test_a_checkpoint_restores_the_controller_the_key_and_the_optimizer_state(gin_config, tmp_path):
    from lrrl.control import controllers

    def bandit(seed):
        controller = controllers.BanditLearningRate(rates=(1e-4, 1e-3, 1e-2), steps_per_round=30)
        controller.seed(seed)
        return controller

    controller = bandit(3)
    environment, agent = build_agent(gin_config, 'jax_dqn', controller)
    run_training(agent, environment, 400)
    bundle = agent.bundle_and_checkpoint(str(tmp_path), 0)

    restored_controller = bandit(99)
    _, restored = build_agent(gin_config, 'jax_dqn', restored_controller)
    assert restored.unbundle(str(tmp_path), 0, bundle)
    assert restored_controller.state_dict() == controller.state_dict()
    assert restored.get_learning_rate() == pytest.approx(controller.rate, rel=1e-6)
    np.testing.assert_array_equal(np.asarray(restored._rng), np.asarray(agent._rng))
    np.testing.assert_array_equal(flat(restored.optimizer_state), flat(agent.optimizer_state))
    # Both continue alike (the replay, its sampler and the agent's key came back too): the same
    # actions and, after their updates, the same weights.
    rng = np.random.default_rng(0)
    first = rng.normal(size=4) * 0.1
    assert agent.begin_episode(first) == restored.begin_episode(first)  # a resumed run starts an episode
    for step in range(40):
        observation = rng.normal(size=4) * 0.1
        assert agent.step(1.0, observation) == restored.step(1.0, observation), step
    np.testing.assert_array_equal(flat(restored.online_params), flat(agent.online_params))


def test_non_finite_weights_stop_the_agent_with_the_step_and_the_rate(gin_config):
    import jax
    import jax.numpy as jnp

    from lrrl import errors
    from lrrl.control import controllers

    _, agent = build_agent(gin_config, 'jax_rainbow', controllers.FixedLearningRate(0.09))
    assert agent.check_weights_finite()
    agent.training_steps = 4321
    agent.online_params = jax.tree_util.tree_map(lambda w: w.at[(0,) * w.ndim].set(jnp.inf), agent.online_params)
    with pytest.raises(errors.Divergence) as error:
        agent.end_training_episode(1.0)
    assert (error.value.step, error.value.learning_rate) == (4321, pytest.approx(0.09))


SEPARATION_SCRIPT = """
import json, sys
import lrrl
import dopamine.discrete_domains.run_experiment
baseline = set(sys.modules)
from lrrl.experiment import training
training.run(sys.argv[1], sys.argv[2:], ['Runner.num_iterations = 1', 'Runner.training_steps = 60',
             'Runner.evaluation_steps = 0'])
print(json.dumps({'baseline': sorted(baseline), 'after': sorted(sys.modules)}))
"""
FAMILY_MODULES = {
    'tf': {'lrrl.experiment.agents', 'lrrl.experiment.networks'},
    'jax': {'lrrl.experiment.jax_agents', 'lrrl.experiment.jax_networks', 'lrrl.experiment.optax_rates'},
    'ppo': {'lrrl.experiment.ppo', 'lrrl.experiment.optax_rates'},
}


@pytest.mark.parametrize(
    'family, files',
    [
        ('tf', ['agents/iqn_cartpole.gin']),
        ('jax', ['agents/jax_iqn_cartpole.gin']),
        ('ppo', ['agents/ppo_inverted_pendulum.gin']),
    ],
)
def test_a_run_loads_its_agent_familys_modules_only(tmp_path, family, files):
    """A TF run loads none of lrrl's JAX modules, a JAX run none of its TF agent modules.

    JAX, optax and flax come with Dopamine's runner, which imports every Dopamine
    agent: a TF run imports nothing of them beyond what that import already did.
    """
    import json

    result = subprocess.run(
        [sys.executable, '-c', SEPARATION_SCRIPT, str(tmp_path / 'run'), *files],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    modules = json.loads(result.stdout.strip().splitlines()[-1])
    after, baseline = set(modules['after']), set(modules['baseline'])
    assert FAMILY_MODULES[family] <= after
    for other, names in FAMILY_MODULES.items():
        if other != family:
            assert not (names - FAMILY_MODULES[family]) & after, (family, sorted(names & after))
    if family == 'tf':
        jax_side = {m for m in after - baseline if m.split('.')[0] in ('jax', 'jaxlib', 'optax', 'flax', 'orbax')}
        assert not jax_side, sorted(jax_side)
