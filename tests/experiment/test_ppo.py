"""The LRRL PPO agent: the rate lives in the optax state, a switch scales the next step and compiles nothing."""

import numpy as np
import pytest

# A small PPO for the tests: 256-step rollouts, 2 epochs of minibatches of 64.
SMALL_PPO = (
    'PPOAgent.update_period = 256',
    'ReplayBuffer.batch_size = 256',
    'ReplayBuffer.max_capacity = 256',
    'PPOAgent.num_epochs = 2',
)


def build_agent(gin_config, controller, files=('agents/ppo_inverted_pendulum.gin',), bindings=SMALL_PPO):
    from dopamine.discrete_domains import gym_lib

    from lrrl.experiment import agent_factory

    gin_config(list(files), list(bindings))
    environment = gym_lib.create_gym_environment('InvertedPendulum', 'v5')
    agent = agent_factory.create_agent(None, environment, agent_name='ppo', learning_rate_controller=controller, seed=0)
    return environment, agent


def minibatch(agent, size=64, seed=0):
    """A minibatch as ``ppo_agent.train_minibatch`` takes it (states, actions, returns, advantages, ...)."""
    rng = np.random.default_rng(seed)
    states = rng.normal(size=(size, *agent.state.shape)).astype(np.float32)
    actions = rng.uniform(-2.9, 2.9, size=(size, *agent.action_shape)).astype(np.float32)
    return (
        states,
        actions,
        rng.normal(size=size).astype(np.float32),  # returns
        rng.normal(size=size).astype(np.float32),  # advantages
        rng.normal(size=size).astype(np.float32) - 1.0,  # old log-probabilities
        rng.normal(size=size).astype(np.float32),  # old values
    )


def update(agent, batch):
    """One update through Dopamine's jitted ``train_minibatch`` with the agent's optimizer and state."""
    from dopamine.jax.agents.ppo import ppo_agent

    params, state, _ = ppo_agent.train_minibatch(
        agent.network_def,
        agent.network_params,
        agent.network_optimizer,
        agent.optimizer_state,
        *batch,
        agent.epsilon,
        agent.vf_coefficient,
        agent.entropy_coefficient,
        agent.clip_critic_loss,
    )
    return params, state


def flat(tree):
    import jax

    return np.concatenate([np.ravel(leaf) for leaf in jax.tree_util.tree_leaves(tree)])


def adam_state(agent):
    return agent.optimizer_state[1].inner_state[0]


def test_a_switch_scales_the_next_step_keeps_adams_moments_and_compiles_nothing(gin_config):
    import jax
    import jax.numpy as jnp
    from dopamine.jax.agents.ppo import ppo_agent

    from lrrl.control import controllers

    rate = 1e-4
    _, agent = build_agent(gin_config, controllers.FixedLearningRate(rate))
    assert agent.get_learning_rate() == pytest.approx(rate, rel=1e-6)
    # A first update at the rate: Adam's moments become non-zero.
    agent.network_params, agent.optimizer_state = update(agent, minibatch(agent, seed=1))
    compiled = ppo_agent.train_minibatch._cache_size()
    start_params, start_state = agent.network_params, agent.optimizer_state
    moments = flat(adam_state(agent).mu), flat(adam_state(agent).nu), int(adam_state(agent).count)
    assert np.abs(moments[0]).sum() > 0

    batch = minibatch(agent, seed=2)
    same_rate_params, same_rate_state = update(agent, batch)
    agent.set_learning_rate(10 * rate)
    assert agent.get_learning_rate() == pytest.approx(10 * rate, rel=1e-6)
    # The switch changed the rate and nothing else: the moments and the step count are those before it.
    assert np.array_equal(flat(adam_state(agent).mu), moments[0])
    assert np.array_equal(flat(adam_state(agent).nu), moments[1])
    assert int(adam_state(agent).count) == moments[2]
    switched_params, switched_state = update(agent, batch)

    same_rate_step = flat(same_rate_params) - flat(start_params)
    switched_step = flat(switched_params) - flat(start_params)
    assert np.abs(same_rate_step).max() > 1e-5
    # Steps are differences of float32 weights of order 1: equal to their resolution.
    np.testing.assert_allclose(switched_step, 10 * same_rate_step, rtol=1e-3, atol=1e-6)
    # The optimizer's own output, without that rounding: exactly ten times the step.
    gradient = jax.tree_util.tree_map(jnp.ones_like, start_params)
    before, _ = agent.network_optimizer.update(gradient, start_state, start_params)
    after, _ = agent.network_optimizer.update(gradient, agent.optimizer_state, start_params)
    np.testing.assert_allclose(flat(after), 10 * flat(before), rtol=1e-6)
    # The moments do not depend on the rate: both updates moved them alike.
    np.testing.assert_allclose(flat(switched_state[1].inner_state[0].mu), flat(same_rate_state[1].inner_state[0].mu))
    np.testing.assert_allclose(flat(switched_state[1].inner_state[0].nu), flat(same_rate_state[1].inner_state[0].nu))
    assert ppo_agent.train_minibatch._cache_size() == compiled


def test_rates_switched_while_training_reach_the_updates_without_a_new_compilation(gin_config):
    """The agent trained by its own loop: a bandit switching rates every PPO iteration."""
    from dopamine.jax.agents.ppo import ppo_agent

    from lrrl.control import controllers

    controller = controllers.BanditLearningRate(rates=(1e-4, 3e-4, 1e-3))
    controller.seed(0)
    environment, agent = build_agent(gin_config, controller)
    compiled = None
    rates_in_updates = []
    original_train = ppo_agent.train

    def train(*args, **kwargs):
        rates_in_updates.append(agent.get_learning_rate())
        return original_train(*args, **kwargs)

    ppo_agent.train = train
    try:
        episode = 0
        while len(rates_in_updates) < 6:
            action = agent.begin_episode(environment.reset())
            total, done, steps = 0.0, False, 0
            while not done and steps < 200:
                observation, reward, done, _ = environment.step(action)
                total += reward
                steps += 1
                action = agent.step(reward, observation)
            agent.end_episode(reward, done)
            agent.end_training_episode(total + episode % 3)
            episode += 1
            if rates_in_updates and compiled is None:
                compiled = ppo_agent.train_minibatch._cache_size()
    finally:
        ppo_agent.train = original_train
    assert len(set(rates_in_updates)) > 1, rates_in_updates
    for rate in rates_in_updates:
        assert any(rate == pytest.approx(candidate, rel=1e-6) for candidate in controller.candidates)
    assert ppo_agent.train_minibatch._cache_size() == compiled


@pytest.mark.parametrize(
    'optimizer_file',
    ['optimizers/adam.gin', 'optimizers/rmsprop_centered.gin', 'optimizers/rmsprop_momentum.gin', 'optimizers/sgd.gin'],
)
def test_the_optax_optimizer_updates_as_the_tensorflow_class_it_stands_for(gin_config, optimizer_file):
    """Five steps on the same quadratic, TF1's optimizer in a graph against its optax version."""
    import gin
    import jax.numpy as jnp
    import optax
    import tensorflow as tf

    from lrrl.experiment import optax_rates

    # Adam's epsilon is placed differently (docs of optax_rates.optax_optimizer): compared at a negligible epsilon.
    gin_config(['agents/ppo_mujoco.gin', optimizer_file], ['tf.train.AdamOptimizer.epsilon = 1e-10'])
    optimizer_class = gin.query_parameter('lrrl.create_agent.optimizer_class').scoped_configurable_fn
    rate, target, start = 0.05, np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.1, -0.4])

    with tf.Graph().as_default():
        weights = tf.compat.v1.Variable(start, dtype=tf.float64)
        loss = tf.reduce_sum((weights - target) ** 2 * np.array([1.0, 3.0, 0.2]))
        step = optimizer_class(learning_rate=rate).minimize(loss)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            expected = []
            for _ in range(5):
                session.run(step)
                expected.append(session.run(weights))

    optimizer = optax_rates.optax_optimizer(optimizer_class, rate, 'ppo')
    params = jnp.asarray(start, dtype=jnp.float32)
    state = optimizer.init(params)
    for n in range(5):
        gradient = 2 * (params - target) * jnp.array([1.0, 3.0, 0.2])
        updates, state = optimizer.update(gradient, state, params)
        params = optax.apply_updates(params, updates)
        np.testing.assert_allclose(np.asarray(params), expected[n], rtol=1e-4, atol=1e-5, err_msg=f'step {n + 1}')


def test_adamrel_is_refused_by_the_agent_too():
    from lrrl import errors
    from lrrl.experiment import optax_rates
    from lrrl.experiment import optimizers

    with pytest.raises(errors.ConfigError, match='no target network'):
        optax_rates.optax_optimizer(optimizers.AdamRelOptimizer, 1e-3, 'ppo')


def test_a_discrete_environment_is_refused_by_the_factory():
    from dopamine.discrete_domains import gym_lib

    from lrrl import errors
    from lrrl.control import controllers
    from lrrl.experiment import agent_factory

    environment = gym_lib.create_gym_environment('CartPole', 'v1')
    with pytest.raises(errors.ConfigError, match='continuous actions'):
        agent_factory.create_agent(
            None, environment, agent_name='ppo', learning_rate_controller=controllers.FixedLearningRate()
        )


def test_observations_are_normalised_by_running_statistics_and_rewards_scaled(gin_config):
    from lrrl.control import controllers

    environment, agent = build_agent(gin_config, controllers.FixedLearningRate(3e-4))
    raw = [environment.reset() * 100 + 7 for _ in range(50)]
    for observation in raw:
        agent.begin_episode(observation)
    statistics = agent._observation_statistics
    np.testing.assert_allclose(statistics.mean, np.mean(raw, axis=0), rtol=1e-3)
    # What the network saw last: the raw observation, standardised, within the clip.
    expected = np.clip((raw[-1] - statistics.mean) / np.sqrt(statistics.var + 1e-8), -agent._clip, agent._clip)
    np.testing.assert_allclose(agent._observation, expected, rtol=1e-6)
    assert np.abs(expected).max() < 5
    # A reward far above the running scale is clipped; the runner still sums the raw one.
    assert agent._preprocess_reward(1e6) == pytest.approx(agent._clip)


def test_the_checkpoint_restores_the_controller_the_statistics_and_the_injected_optimizer(gin_config, tmp_path):
    from lrrl.control import controllers

    controller = controllers.BanditLearningRate(rates=(1e-4, 3e-4, 1e-3))
    controller.seed(3)
    environment, agent = build_agent(gin_config, controller)
    for n in range(40):  # some episodes: statistics, bandit weights and pending returns change
        agent.begin_episode(environment.reset() + n)
        agent.step(float(n), environment.reset())
        agent._updates_done = 1
        agent.end_training_episode(float(n % 7))
    agent._iteration_returns = [1.0, 2.0]
    bundle = agent.bundle_and_checkpoint(str(tmp_path), 0)

    restored_controller = controllers.BanditLearningRate(rates=(1e-4, 3e-4, 1e-3))
    restored_controller.seed(99)
    _, restored = build_agent(gin_config, restored_controller)
    assert restored.unbundle(str(tmp_path), 0, bundle)
    assert restored_controller.state_dict()['bandit'] == controller.state_dict()['bandit']
    assert restored.get_learning_rate() == pytest.approx(controller.rate, rel=1e-6)
    np.testing.assert_array_equal(restored._observation_statistics.mean, agent._observation_statistics.mean)
    assert restored._return_statistics.count == agent._return_statistics.count
    assert restored._iteration_returns == [1.0, 2.0]
    # Dopamine's own unbundle would have put the bare Adam back; the restored state needs the injected chain.
    assert restored.network_optimizer is restored._injected_optimizer
    update(restored, minibatch(restored))


def test_non_finite_weights_stop_the_agent_with_the_step_and_rate_or_warn_once(gin_config):
    import jax
    import jax.numpy as jnp

    from lrrl import errors
    from lrrl.control import controllers

    _, agent = build_agent(gin_config, controllers.FixedLearningRate(3e-4))
    assert agent.check_weights_finite()
    agent.training_steps = 1234
    agent.network_params = jax.tree_util.tree_map(lambda w: w.at[(0,) * w.ndim].set(jnp.nan), agent.network_params)
    with pytest.raises(errors.Divergence) as error:
        agent.end_training_episode(1.0)
    assert (error.value.step, error.value.learning_rate) == (1234, pytest.approx(3e-4))
    agent.stop_on_divergence = False
    assert agent.check_weights_finite() is False


def test_running_statistics_are_gymnasiums_to_the_bit():
    """The agent's preprocessing statistics equal Gymnasium's RunningMeanStd fed one sample at a time."""
    from gymnasium.wrappers.utils import RunningMeanStd

    from lrrl.experiment import ppo

    rng = np.random.default_rng(0)
    ours, theirs = ppo.RunningMeanVariance((5,)), RunningMeanStd(shape=(5,))
    scalar, scalar_theirs = ppo.RunningMeanVariance(), RunningMeanStd(shape=())
    for sample in rng.normal(3.0, 10.0, size=(500, 5)):
        ours.update(sample)
        theirs.update(sample[None])
        scalar.update(float(sample[0]))
        scalar_theirs.update(np.asarray([sample[0]]))
    np.testing.assert_array_equal(ours.mean, theirs.mean)
    np.testing.assert_array_equal(ours.var, theirs.var)
    assert (scalar.mean, scalar.var, scalar.count) == (scalar_theirs.mean, scalar_theirs.var, scalar_theirs.count)
