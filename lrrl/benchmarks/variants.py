"""The runners that ``lrrl.bench`` compares: stock Dopamine and the harness, same settings.

The variants of one agent on one game or task, each built (for the TF agents:
in the caller's default TF graph) from the agent's gin file (``AGENT_FILES``):

- ``stock``: Dopamine's own agent class in Dopamine's own runner, given the
  same gin-configured optimizer (class, rate, epsilon) the harness would use.
  DQN and IQN: Dopamine's TF agent in Dopamine's ``Runner``. The JAX agents
  (``jax_dqn``, ``jax_iqn``, ``jax_rainbow``): Dopamine's ``JaxDQNAgent``,
  ``JaxImplicitQuantileAgent`` or ``JaxRainbowAgent`` with its own
  ``create_optimizer('adam')`` in Dopamine's ``Runner``. PPO: Dopamine's
  JAX ``PPOAgent`` with its own ``create_optimizer('adam')`` in Dopamine's
  ``ContinuousTrainRunner``. The JAX agents get the harness's seed for their
  weights and generators and for the environment's first reset, so that each
  follows the fixed variant's trajectory step for step;
- ``fixed``: the LRRL runner with ``FixedLearningRate`` (the harness alone);
- ``lrrl``: the LRRL runner with LRRL over K(5) (harness + bandit; on MinAtar
  its re-centred K(5), ``configs/lrrl/minatar_candidate_sets.gin``; PPO over
  ``methods/lrrl_ppo_k5.gin``);
- PPO only, ``lrrl_preprocessing``: the ``lrrl`` variant with the agent's
  observation normalisation and reward scaling on. Stock Dopamine PPO does
  that preprocessing in legacy-gym wrappers (not installed here), so the other
  harness variants leave it out and this one shows what it costs.

No absl flags here, so tests and other tools can build the variants in-process.
"""

import time

import lrrl  # noqa: F401  (compatibility fixes before TensorFlow)
from lrrl import validation

VARIANTS = ('stock', 'fixed', 'lrrl')
ENVIRONMENTS = ('atari', 'minatar', 'mujoco', 'cartpole')
SEED = 0

# Per environment: each agent's gin file, the game's (task's) binding, its default game, and the
# LRRL variants' extra bindings.
AGENT_FILES = {
    'atari': {
        'dqn': 'agents/dqn.gin',
        'iqn': 'agents/iqn.gin',
        'jax_dqn': 'agents/jax_dqn.gin',
        'jax_iqn': 'agents/jax_iqn.gin',
        'jax_rainbow': 'agents/jax_rainbow.gin',
    },
    'minatar': {
        'dqn': 'agents/dqn_minatar.gin',
        'iqn': 'agents/iqn_minatar.gin',
        'jax_dqn': 'agents/jax_dqn_minatar.gin',
        'jax_iqn': 'agents/jax_iqn_minatar.gin',
        'jax_rainbow': 'agents/jax_rainbow_minatar.gin',
    },
    'mujoco': {'ppo': 'agents/ppo_mujoco.gin'},
    'cartpole': {
        'dqn': 'agents/dqn_cartpole.gin',
        'iqn': 'agents/iqn_cartpole.gin',
        'jax_dqn': 'agents/jax_dqn_cartpole.gin',
        'jax_iqn': 'agents/jax_iqn_cartpole.gin',
        'jax_rainbow': 'agents/jax_rainbow_cartpole.gin',
    },
}
GAME_BINDINGS = {
    'atari': 'atari_lib.create_atari_environment.game_name',
    'minatar': 'create_minatar_environment.game_name',
    'mujoco': 'create_gym_environment.environment_name',
    'cartpole': 'create_gym_environment.environment_name',
}
DEFAULT_GAMES = {'atari': 'Pong', 'minatar': 'breakout', 'mujoco': 'HalfCheetah', 'cartpole': 'CartPole'}
LRRL_BINDINGS = {
    'atari': [],
    'minatar': ['BanditLearningRate.rates = %MINATAR_K5'],
    'mujoco': [],
    # K(5)'s ratios around the CartPole files' 1e-3 (assumed, as configs/lrrl/minatar_candidate_sets.gin does).
    'cartpole': ['BanditLearningRate.rates = (2.5e-4, 5e-4, 1e-3, 2e-3, 4e-3)'],
}
AGENTS = tuple(dict.fromkeys(agent for files in AGENT_FILES.values() for agent in files))

# The replay agents: the bindings of the replay capacity, and the configurable of the warm-up and epsilon.
AGENT_SETUPS = {
    'dqn': (('WrappedReplayBuffer.replay_capacity',), 'DQNAgent'),
    'iqn': (('WrappedPrioritizedReplayBuffer.replay_capacity',), 'RainbowAgent'),
    'jax_dqn': (('ReplayBuffer.max_capacity',), 'JaxDQNAgent'),
    'jax_iqn': (('ReplayBuffer.max_capacity',), 'JaxImplicitQuantileAgent'),
    'jax_rainbow': (('ReplayBuffer.max_capacity', 'PrioritizedSamplingDistribution.max_capacity'), 'JaxRainbowAgent'),
}
JAX_AGENTS = ('jax_dqn', 'jax_iqn', 'jax_rainbow')
# Per agent: LRRL's method file, the variants beyond ``VARIANTS``, and each variant's own bindings.
LRRL_FILES = {agent: 'methods/lrrl_k5.gin' for agent in AGENT_SETUPS} | {'ppo': 'methods/lrrl_ppo_k5.gin'}
EXTRA_VARIANTS = {'ppo': ('lrrl_preprocessing',)}
_PPO_PREPROCESSING_OFF = ['LRRLPPOAgent.normalize_observations = False', 'LRRLPPOAgent.normalize_rewards = False']
VARIANT_BINDINGS = {'ppo': {'fixed': _PPO_PREPROCESSING_OFF, 'lrrl': _PPO_PREPROCESSING_OFF}}
# A second stock runner, built and timed beside the first (the throughput part's A/A control): the
# spread of its ratio to stock is how small a difference the bench can tell from its own noise.
STOCK_COPY = 'stock_copy'
LABELS = {
    'stock': 'stock Dopamine {agent}',
    STOCK_COPY: 'stock Dopamine {agent}, a second copy (A/A control)',
    'fixed': 'harness, fixed rate',
    'lrrl': 'harness, LRRL over K(5)',
    'lrrl_preprocessing': 'harness, LRRL over K(5), with PPO preprocessing',
}


def as_shipped(agent):
    """The variant that runs LRRL with the agent file unchanged (PPO's preprocessing on), as a real run does."""
    return EXTRA_VARIANTS.get(agent, ('lrrl',))[-1]


def variants_of(agent):
    """The variants the bench compares for ``agent``."""
    return VARIANTS + EXTRA_VARIANTS.get(agent, ())


def throughput_variants(agent, stock_copy=True):
    """The throughput part's variants in building and timing order: stock, (its copy,) then the harness's.

    The copy sits second, among the harness's variants: with the part's forward and
    reverse rounds, it shares their positions, not stock's.
    """
    first, *rest = variants_of(agent)
    return (first,) + ((STOCK_COPY,) if stock_copy else ()) + tuple(rest)


def label(variant, agent):
    return LABELS[variant].format(agent=agent_label(agent))


def agent_label(agent):
    """'DQN', 'IQN', 'JAX DQN', ...: how the reports name a bench agent."""
    return agent.upper().replace('JAX_', 'JAX ').replace('RAINBOW', 'Rainbow')


def environments_of(agent):
    return tuple(env for env, files in AGENT_FILES.items() if agent in files)


def stock_agent_class(agent):
    """Dopamine's own agent class for a bench agent ('dqn', 'iqn', 'jax_dqn', 'jax_iqn', 'jax_rainbow', 'ppo')."""
    from dopamine.jax.agents.dqn import dqn_agent as jax_dqn_agent
    from dopamine.jax.agents.implicit_quantile import implicit_quantile_agent as jax_implicit_quantile_agent
    from dopamine.jax.agents.ppo import ppo_agent
    from dopamine.jax.agents.rainbow import rainbow_agent as jax_rainbow_agent
    from dopamine.tf.agents.dqn import dqn_agent
    from dopamine.tf.agents.implicit_quantile import implicit_quantile_agent

    return {
        'dqn': dqn_agent.DQNAgent,
        'iqn': implicit_quantile_agent.ImplicitQuantileAgent,
        'jax_dqn': jax_dqn_agent.JaxDQNAgent,
        'jax_iqn': jax_implicit_quantile_agent.JaxImplicitQuantileAgent,
        'jax_rainbow': jax_rainbow_agent.JaxRainbowAgent,
        'ppo': ppo_agent.PPOAgent,
    }[agent]


def gin_bindings(agent, game, capacity, min_replay_history, env='atari', epsilon_decay_period=None):
    """The bindings every variant shares: the game, quiet runners and (replay agents) replay and warm-up."""
    bindings = [
        f"{GAME_BINDINGS[env]} = '{game}'",
        'Runner.fine_grained_print_to_console = False',
        'Runner.use_legacy_logger = False',
    ]
    if agent not in AGENT_SETUPS:
        return bindings
    capacities, configurable = AGENT_SETUPS[agent]
    # A short epsilon decay makes the measured blocks act greedily, as ~95% of a run's steps do.
    decay = [] if epsilon_decay_period is None else [f'{configurable}.epsilon_decay_period = {epsilon_decay_period}']
    replay_bindings = [f'{binding} = {capacity}' for binding in capacities] + [
        f'{configurable}.min_replay_history = {min_replay_history}'
    ]
    return decay + bindings + replay_bindings


def build_runner(
    variant,
    agent,
    base_dir,
    game,
    capacity,
    min_replay_history,
    env='atari',
    epsilon_decay_period=None,
    extra_bindings=(),
):
    """A runner of one variant (TF agents: in the current default graph); ``game`` is a MuJoCo task for PPO."""
    validation.require(env in ENVIRONMENTS, 'env', env, f'one of {ENVIRONMENTS}')
    validation.require(agent in AGENT_FILES[env], 'agent', agent, f'one of {tuple(AGENT_FILES[env])} on {env}')
    allowed = throughput_variants(agent)
    validation.require(variant in allowed, 'variant', variant, f'one of {allowed}')
    stock = variant in ('stock', STOCK_COPY)
    from lrrl.control import controllers
    from lrrl.experiment import checks
    from lrrl.experiment import runner as runner_lib

    if stock and agent == 'ppo':
        # Dopamine's continuous runner registers gin configurables on import: before the config is parsed and locked.
        from dopamine.continuous_domains import run_experiment  # noqa: F401

    uses_lrrl = variant.startswith('lrrl')
    files = [AGENT_FILES[env][agent]] + ([LRRL_FILES[agent]] if uses_lrrl else [])
    bindings = (
        gin_bindings(agent, game, capacity, min_replay_history, env, epsilon_decay_period)
        + VARIANT_BINDINGS.get(agent, {}).get(variant, [])
        + (LRRL_BINDINGS[env] if uses_lrrl else [])
        + list(extra_bindings)
    )
    controller = checks.parse_config(files, bindings)
    if not stock:
        return runner_lib.create_runner(base_dir, seed=SEED, learning_rate_controller=controller)
    assert isinstance(controller, controllers.FixedLearningRate)
    if agent == 'ppo':
        return _stock_ppo_runner(agent, base_dir, controller.rate)
    if agent in JAX_AGENTS:
        return _stock_jax_runner(agent, base_dir, controller.rate)
    return _stock_tf_runner(agent, base_dir, controller.rate)


def _configured_optimizer(learning_rate):
    """The gin-configured optimizer the harness gives its agent (class, rate, epsilon)."""
    import gin

    return gin.query_parameter('lrrl.create_agent.optimizer_class').scoped_configurable_fn(learning_rate=learning_rate)


def _stock_tf_runner(agent, base_dir, learning_rate):
    import gin
    from dopamine.discrete_domains import run_experiment

    _, configurable = AGENT_SETUPS[agent]
    # Dopamine's own way to give its agents an optimizer (IQN takes it only through gin).
    with gin.unlock_config():
        gin.bind_parameter(f'{configurable}.optimizer', _configured_optimizer(learning_rate))

    def create_stock_agent(sess, environment, summary_writer=None):
        return stock_agent_class(agent)(sess, num_actions=environment.action_space.n, summary_writer=None)

    return run_experiment.Runner(base_dir, create_stock_agent)


def _bind_dopamine_adam(learning_rate):
    """Dopamine's own JAX optimizer (``create_optimizer('adam')``) with the configured TF Adam's values.

    The values the harness maps that Adam to (``lrrl.experiment.optax_rates.optax_optimizer``).
    """
    import gin

    adam = _configured_optimizer(learning_rate)
    assert type(adam).__name__ == 'AdamOptimizer', f'stock Dopamine runs Adam here, not {type(adam).__name__}'
    with gin.unlock_config():
        gin.bind_parameter('create_optimizer.learning_rate', learning_rate)
        gin.bind_parameter('create_optimizer.beta1', adam._beta1)  # pylint: disable=protected-access
        gin.bind_parameter('create_optimizer.beta2', adam._beta2)  # pylint: disable=protected-access
        gin.bind_parameter('create_optimizer.eps', adam._epsilon)  # pylint: disable=protected-access


def _stock_jax_runner(agent, base_dir, learning_rate):
    from dopamine.discrete_domains import run_experiment

    from lrrl.experiment import seeding

    _bind_dopamine_adam(learning_rate)

    def create_stock_agent(sess, environment, summary_writer=None):
        del sess
        return stock_agent_class(agent)(
            num_actions=environment.action_space.n, optimizer='adam', seed=SEED, summary_writer=None
        )

    runner = run_experiment.Runner(base_dir, create_stock_agent)
    seeding.seed_environment(runner._environment, seeding.environment_seed(SEED))
    return runner


def _stock_ppo_runner(agent, base_dir, learning_rate):
    from dopamine.continuous_domains import run_experiment as continuous_run_experiment
    from dopamine.discrete_domains import gym_lib

    from lrrl.experiment import seeding

    _bind_dopamine_adam(learning_rate)

    def create_stock_agent(environment, summary_writer=None):
        # Dopamine's create_continuous_agent('ppo') leaves out action_limits, which PPOAgent needs.
        space = environment.action_space
        return stock_agent_class(agent)(
            action_shape=space.shape,
            observation_shape=environment.observation_space.shape,
            action_limits=(space.low, space.high),
            optimizer='adam',
            seed=SEED,
            summary_writer=None,
        )

    runner = continuous_run_experiment.ContinuousTrainRunner(
        base_dir, create_stock_agent, create_environment_fn=gym_lib.create_gym_environment
    )
    # Dopamine's continuous runner has no switch for its per-episode console line; the harness's is off.
    runner._fine_grained_print_to_console_enabled = False
    seeding.seed_environment(runner._environment, seeding.environment_seed(SEED))
    return runner


def close(runner):
    """Frees a runner's TF session (the JAX agents hold none)."""
    session = getattr(runner._agent, '_sess', None)
    if session is not None:
        session.close()


def agent_file_binding(env, name, agent=None):
    """A binding's value in ``agent``'s gin file on ``env``, or in every agent file of ``env`` alike (read as text)."""
    from lrrl import gin_files
    from lrrl.analysis import gin_text

    paths = [AGENT_FILES[env][agent]] if agent else AGENT_FILES[env].values()
    values = {gin_text.binding_value(gin_text.read_gin_bindings(gin_files.resolve(path)), name) for path in paths}
    (value,) = values
    return value


def make_environment(env, game):
    """The environment alone, as the agent files make it (Atari and MinAtar: sticky actions on)."""
    if env == 'minatar':
        from lrrl.experiment import environments

        return environments.create_minatar_environment(game)
    if env in ('mujoco', 'cartpole'):
        from dopamine.discrete_domains import gym_lib

        version = agent_file_binding(env, 'create_gym_environment.version')
        return gym_lib.create_gym_environment(environment_name=game, version=version)
    from dopamine.discrete_domains import atari_lib

    return atari_lib.create_atari_environment(game_name=game, sticky_actions=True)


def mujoco_tasks():
    """The MuJoCo tasks the PPO agent file runs (Gymnasium's, at the file's version)."""
    import gymnasium

    from lrrl.experiment import checks

    suffix = '-' + agent_file_binding('mujoco', 'create_gym_environment.version')
    return tuple(
        task[: -len(suffix)]
        for task in checks.continuous_tasks()
        if task.endswith(suffix) and gymnasium.spec(task).entry_point.startswith('gymnasium.envs.mujoco.')
    )


def train_steps(runner, steps):
    """Runs whole training episodes until ``steps`` agent steps; returns (steps, seconds, episodes, cpu_seconds).

    ``cpu_seconds`` is the process's CPU time (all its threads) over the same
    stretch: on a shared machine it counts the work done, not the waiting.
    """
    from dopamine.discrete_domains import iteration_statistics

    runner._agent.eval_mode = False
    start, cpu_start = time.perf_counter(), time.process_time()
    count, _, episodes = runner._run_one_phase(steps, iteration_statistics.IterationStatistics(), 'train')
    return count, time.perf_counter() - start, episodes, time.process_time() - cpu_start
