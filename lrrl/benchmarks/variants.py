"""The runners that ``lrrl.bench`` compares: stock Dopamine and the harness, same settings.

Three variants of one agent on one Atari game (DQN, IQN) or MuJoCo task (PPO),
each built in the caller's default TF graph from ``configs/agents/<agent>.gin``:

- ``stock``: Dopamine's own agent class in Dopamine's own runner, given the
  same gin-configured optimizer (class, rate, epsilon) the harness would use
  (PPO: Dopamine's ``PPOAgent`` with its own ``create_optimizer('adam')``, in
  Dopamine's ``ContinuousTrainRunner``, the environment seeded as the harness
  seeds it);
- ``fixed``: the LRRL runner with ``FixedLearningRate`` (the harness alone);
- ``lrrl``: the LRRL runner with LRRL over K(5) (harness + bandit; PPO: over
  ``methods/lrrl_ppo_k5.gin``).

PPO's harness variants leave out its in-agent preprocessing, which stock
Dopamine does not do (it does it in legacy gym wrappers); a fourth PPO variant,
``lrrl_preprocessing``, adds it, to show what it costs.

No absl flags here, so tests and other tools can build the variants in-process.
"""

import time

import lrrl  # noqa: F401  (compatibility fixes before TensorFlow)
from lrrl import validation

VARIANTS = ('stock', 'fixed', 'lrrl')
PPO_VARIANTS = VARIANTS + ('lrrl_preprocessing',)

# Per agent: its gin file, and the configurables that hold its replay capacity
# and its warm-up / optimizer.
AGENT_SETUPS = {
    'dqn': ('agents/dqn.gin', 'WrappedReplayBuffer', 'DQNAgent'),
    'iqn': ('agents/iqn.gin', 'WrappedPrioritizedReplayBuffer', 'RainbowAgent'),
    'ppo': ('agents/ppo_mujoco.gin', 'ReplayBuffer', 'PPOAgent'),
}


def variants_of(agent):
    """The variants the bench compares for ``agent``."""
    return PPO_VARIANTS if agent == 'ppo' else VARIANTS


def stock_agent_class(agent):
    """Dopamine's own agent class for ``agent`` ('dqn', 'iqn' or 'ppo')."""
    from dopamine.jax.agents.ppo import ppo_agent
    from dopamine.tf.agents.dqn import dqn_agent
    from dopamine.tf.agents.implicit_quantile import implicit_quantile_agent

    return {
        'dqn': dqn_agent.DQNAgent,
        'iqn': implicit_quantile_agent.ImplicitQuantileAgent,
        'ppo': ppo_agent.PPOAgent,
    }[agent]


def gin_bindings(agent, game, capacity, min_replay_history):
    _, replay, configurable = AGENT_SETUPS[agent]
    return [
        f"atari_lib.create_atari_environment.game_name = '{game}'",
        f'{replay}.replay_capacity = {capacity}',
        f'{configurable}.min_replay_history = {min_replay_history}',
        'Runner.fine_grained_print_to_console = False',
        'Runner.use_legacy_logger = False',
    ]


def build_runner(variant, agent, base_dir, game, capacity, min_replay_history, extra_bindings=()):
    """A runner of one variant in the current default graph (PPO: ``game`` is the MuJoCo task)."""
    validation.require(agent in AGENT_SETUPS, 'agent', agent, f'one of {tuple(AGENT_SETUPS)}')
    validation.require(variant in variants_of(agent), 'variant', variant, f'one of {variants_of(agent)}')
    if agent == 'ppo':
        return _build_ppo_runner(variant, base_dir, game, extra_bindings)
    import gin
    from dopamine.discrete_domains import run_experiment

    from lrrl.control import controllers
    from lrrl.experiment import runner as runner_lib
    from lrrl.experiment import checks

    gin_file, _, configurable = AGENT_SETUPS[agent]
    files = [gin_file] + {'lrrl': ['methods/lrrl_k5.gin']}.get(variant, [])
    bindings = gin_bindings(agent, game, capacity, min_replay_history) + list(extra_bindings)
    controller = checks.parse_config(files, bindings)
    if variant != 'stock':
        return runner_lib.LRRLRunner(base_dir, seed=0, learning_rate_controller=controller)
    assert isinstance(controller, controllers.FixedLearningRate)
    # The same gin-configured optimizer class the LRRL agent gets (epsilon included).
    optimizer_class = gin.query_parameter('lrrl.create_agent.optimizer_class').scoped_configurable_fn
    # Dopamine's own way to give its agents an optimizer (IQN takes it only through gin).
    with gin.unlock_config():
        gin.bind_parameter(f'{configurable}.optimizer', optimizer_class(learning_rate=controller.rate))

    def create_stock_agent(sess, environment, summary_writer=None):
        return stock_agent_class(agent)(sess, num_actions=environment.action_space.n, summary_writer=None)

    return run_experiment.Runner(base_dir, create_stock_agent)


def _build_ppo_runner(variant, base_dir, task, extra_bindings):
    import gin
    import numpy as np
    from dopamine.continuous_domains import run_experiment as continuous_run_experiment
    from dopamine.discrete_domains import gym_lib

    from lrrl.control import controllers
    from lrrl.experiment import checks
    from lrrl.experiment import runner as runner_lib
    from lrrl.experiment import seeding

    files = ['agents/ppo_mujoco.gin'] + ([] if variant in ('stock', 'fixed') else ['methods/lrrl_ppo_k5.gin'])
    bindings = [
        f"create_gym_environment.environment_name = '{task}'",
        'Runner.fine_grained_print_to_console = False',
        'Runner.use_legacy_logger = False',
    ]
    if variant != 'lrrl_preprocessing':
        bindings += ['LRRLPPOAgent.normalize_observations = False', 'LRRLPPOAgent.normalize_rewards = False']
    controller = checks.parse_config(files, bindings + list(extra_bindings))
    if variant != 'stock':
        return runner_lib.create_runner(base_dir, seed=0, learning_rate_controller=controller)
    assert isinstance(controller, controllers.FixedLearningRate)
    # Dopamine's own optimizer for PPO, with the values the harness maps
    # tf.train.AdamOptimizer to (lrrl.experiment.ppo.optax_optimizer).
    optimizer_class = gin.query_parameter('lrrl.create_agent.optimizer_class').scoped_configurable_fn
    probe = optimizer_class(learning_rate=controller.rate)
    with gin.unlock_config():
        gin.bind_parameter('create_optimizer.learning_rate', controller.rate)
        gin.bind_parameter('create_optimizer.beta1', probe._beta1)  # pylint: disable=protected-access
        gin.bind_parameter('create_optimizer.beta2', probe._beta2)  # pylint: disable=protected-access
        gin.bind_parameter('create_optimizer.eps', probe._epsilon)  # pylint: disable=protected-access

    def create_stock_agent(environment, summary_writer=None):
        # Dopamine's create_continuous_agent('ppo') leaves out action_limits, which PPOAgent needs.
        space = environment.action_space
        return stock_agent_class('ppo')(
            action_shape=space.shape,
            observation_shape=environment.observation_space.shape,
            action_limits=(space.low, space.high),
            optimizer='adam',
            seed=0,
            summary_writer=None,
        )

    runner = continuous_run_experiment.ContinuousTrainRunner(
        base_dir, create_stock_agent, create_environment_fn=gym_lib.create_gym_environment
    )
    # Dopamine's continuous runner has no switch for its per-episode console line; the harness's is off.
    runner._fine_grained_print_to_console_enabled = False
    # The first reset as the harness's runner seeds it (lrrl.experiment.runner).
    seeding.seed_environment(runner._environment, int(np.random.SeedSequence([0, 0]).generate_state(1)[0]))
    return runner


def train_steps(runner, steps):
    """Runs whole training episodes until ``steps`` agent steps; returns (steps, seconds, episodes)."""
    from dopamine.discrete_domains import iteration_statistics

    runner._agent.eval_mode = False
    start = time.perf_counter()
    count, _, episodes = runner._run_one_phase(steps, iteration_statistics.IterationStatistics(), 'train')
    return count, time.perf_counter() - start, episodes
