"""The runners that ``lrrl.bench`` compares: stock Dopamine and the harness, same settings.

Three variants of one agent on one Atari or MinAtar game, each built in the
caller's default TF graph from the agent's gin file (``AGENT_FILES``):

- ``stock``: Dopamine's own agent class in Dopamine's own ``Runner``, given the
  same gin-configured optimizer (class, rate, epsilon) the harness would use;
- ``fixed``: ``LRRLRunner`` with ``FixedLearningRate`` (the harness alone);
- ``lrrl``: ``LRRLRunner`` with LRRL over K(5) (harness + bandit; on MinAtar
  its re-centred K(5), ``configs/lrrl/minatar_candidate_sets.gin``).

No absl flags here, so tests and other tools can build the variants in-process.
"""

import time

import lrrl  # noqa: F401  (compatibility fixes before TensorFlow)
from lrrl import validation

VARIANTS = ('stock', 'fixed', 'lrrl')
ENVIRONMENTS = ('atari', 'minatar')

# Per agent: the configurables that hold its replay capacity and its warm-up / optimizer.
AGENT_SETUPS = {
    'dqn': ('WrappedReplayBuffer', 'DQNAgent'),
    'iqn': ('WrappedPrioritizedReplayBuffer', 'RainbowAgent'),
}
# Per environment: each agent's gin file, the game's binding, and the LRRL variant's extra bindings.
AGENT_FILES = {
    'atari': {'dqn': 'agents/dqn.gin', 'iqn': 'agents/iqn.gin'},
    'minatar': {'dqn': 'agents/dqn_minatar.gin', 'iqn': 'agents/iqn_minatar.gin'},
}
GAME_BINDINGS = {
    'atari': 'atari_lib.create_atari_environment.game_name',
    'minatar': 'create_minatar_environment.game_name',
}
LRRL_BINDINGS = {'atari': [], 'minatar': ['BanditLearningRate.rates = %MINATAR_K5']}


def stock_agent_class(agent):
    """Dopamine's own TF agent class for ``agent`` ('dqn' or 'iqn')."""
    from dopamine.tf.agents.dqn import dqn_agent
    from dopamine.tf.agents.implicit_quantile import implicit_quantile_agent

    return {'dqn': dqn_agent.DQNAgent, 'iqn': implicit_quantile_agent.ImplicitQuantileAgent}[agent]


def gin_bindings(agent, game, capacity, min_replay_history, env='atari', epsilon_decay_period=None):
    replay, configurable = AGENT_SETUPS[agent]
    # A short epsilon decay makes the measured blocks act greedily, as ~95% of a run's steps do.
    decay = [] if epsilon_decay_period is None else [f'{configurable}.epsilon_decay_period = {epsilon_decay_period}']
    return decay + [
        f"{GAME_BINDINGS[env]} = '{game}'",
        f'{replay}.replay_capacity = {capacity}',
        f'{configurable}.min_replay_history = {min_replay_history}',
        'Runner.fine_grained_print_to_console = False',
        'Runner.use_legacy_logger = False',
    ]


def build_runner(variant, agent, base_dir, game, capacity, min_replay_history, env='atari', epsilon_decay_period=None):
    """A runner of one variant in the current default graph."""
    validation.require(variant in VARIANTS, 'variant', variant, f'one of {VARIANTS}')
    validation.require(agent in AGENT_SETUPS, 'agent', agent, f'one of {tuple(AGENT_SETUPS)}')
    validation.require(env in ENVIRONMENTS, 'env', env, f'one of {ENVIRONMENTS}')
    import gin
    from dopamine.discrete_domains import run_experiment

    from lrrl.control import controllers
    from lrrl.experiment import runner as runner_lib
    from lrrl.experiment import checks

    _, configurable = AGENT_SETUPS[agent]
    files = [AGENT_FILES[env][agent]] + {'lrrl': ['methods/lrrl_k5.gin']}.get(variant, [])
    bindings = gin_bindings(agent, game, capacity, min_replay_history, env, epsilon_decay_period)
    controller = checks.parse_config(files, bindings + (LRRL_BINDINGS[env] if variant == 'lrrl' else []))
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


def make_environment(env, game):
    """The environment alone, as the agent files make it (sticky actions on)."""
    if env == 'minatar':
        from lrrl.experiment import environments

        return environments.create_minatar_environment(game)
    from dopamine.discrete_domains import atari_lib

    return atari_lib.create_atari_environment(game_name=game, sticky_actions=True)


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
