"""Parses and checks a gin configuration before anything is created.

``parse_config(files, bindings)`` parses the gin files and bindings, then
``check_config()`` runs after the gin files and bindings are parsed and before
the runner makes the run folder, the environment or the TF graph. Each problem
is a ``ConfigError`` that names the binding, the bad value and what is allowed.
It also builds the learning-rate controller (pure Python, so cheap): its
constructor is where the controller's and the bandit's parameters are checked,
and the command line hands that same object to the runner.
"""

import copy
import difflib
import functools
import importlib.util
import inspect
import sys

import gin
from dopamine.discrete_domains import atari_lib
from dopamine.discrete_domains import gym_lib
from dopamine.discrete_domains import run_experiment
from dopamine.jax.agents.dqn import dqn_agent as jax_dqn_agent
from dopamine.jax.agents.implicit_quantile import implicit_quantile_agent as jax_implicit_quantile_agent
from dopamine.jax.agents.ppo import ppo_agent
from dopamine.jax.agents.rainbow import rainbow_agent as jax_rainbow_agent
from dopamine.jax.replay_memory import replay_buffer
from dopamine.jax.replay_memory import samplers
from dopamine.tf.agents.dqn import dqn_agent
from dopamine.tf.agents.implicit_quantile import implicit_quantile_agent
from dopamine.tf.agents.rainbow import rainbow_agent
from dopamine.tf.replay_memory import circular_replay_buffer
from dopamine.tf.replay_memory import prioritized_replay_buffer

from lrrl import errors
from lrrl import gin_files
from lrrl import run_folder
from lrrl import validation
from lrrl.control import controllers
from lrrl.experiment import agent_factory
from lrrl.experiment import environments
from lrrl.experiment import optimizers
from lrrl.experiment import runner

# lrrl's own agent modules are not imported here: a run loads only its agent
# family's (lrrl.experiment.agent_factory). Dopamine's runner imports every
# Dopamine agent class named below anyway.


def parse_config(files, bindings):
    """Parses gin files and bindings; checks them; returns the controller."""
    if not files:
        raise errors.ConfigError(
            '--gin_files is empty: give at least an agent config, e.g. --gin_files=configs/agents/dqn.gin.'
        )
    gin_files.parse(files, bindings)
    return check_config()


def configured_num_iterations():
    """The parsed config's ``Runner.num_iterations`` (Dopamine's default if unbound)."""
    default = inspect.signature(run_experiment.Runner.__init__).parameters['num_iterations'].default
    return _bound('Runner.num_iterations', default)


def _bound(key, default=None):
    """The value bound to ``key`` in gin, or ``default`` if nothing is bound."""
    try:
        return gin.query_parameter(key)
    except ValueError:
        return default


def _evaluate(value):
    """Turns a gin ``@X()`` reference into the object it stands for."""
    if isinstance(value, gin.config.ConfigurableReference):
        return value.scoped_configurable_fn() if value.evaluate else value.scoped_configurable_fn
    return value


def _one_of(binding, value, allowed, what='one of'):
    if value in allowed:
        return
    hint = difflib.get_close_matches(str(value), [str(a) for a in allowed], n=1)
    shown = ', '.join(str(a) for a in allowed)
    message = f'{binding} = {value!r} is not allowed: it must be {what} {shown}.'
    if hint:
        message += f' Did you mean {hint[0]!r}?'
    raise errors.ConfigError(message)


@functools.lru_cache(maxsize=1)
def atari_games():
    """The Atari games whose ROMs ship with the installed ale-py."""
    import ale_py  # pylint: disable=g-import-not-at-top
    import gymnasium  # pylint: disable=g-import-not-at-top

    gymnasium.register_envs(ale_py)
    return tuple(
        sorted(
            env_id[len('ALE/') : -len('-v5')]
            for env_id in gymnasium.registry
            if env_id.startswith('ALE/') and env_id.endswith('-v5') and '-ram' not in env_id
        )
    )


def _gym_environments():
    import gymnasium  # pylint: disable=g-import-not-at-top

    return tuple(sorted(env_id for env_id in gymnasium.registry if '/' not in env_id))


# Gymnasium tasks with continuous (Box) actions and vector observations, by
# where their class lives: every MuJoCo task (v4, v5) and the two classic ones.
CONTINUOUS_ENTRY_POINTS = (
    'gymnasium.envs.mujoco.',
    'gymnasium.envs.classic_control.pendulum:',
    'gymnasium.envs.classic_control.continuous_mountain_car:',
)


def continuous_tasks():
    """The Gymnasium tasks the PPO agent takes (``CONTINUOUS_ENTRY_POINTS``)."""
    import gymnasium  # pylint: disable=g-import-not-at-top

    return tuple(
        sorted(
            env_id
            for env_id, spec in gymnasium.registry.items()
            if '/' not in env_id
            and isinstance(spec.entry_point, str)
            and spec.entry_point.startswith(CONTINUOUS_ENTRY_POINTS)
        )
    )


def _check_environment(schedule, agent_name):
    runner_class = 'TrainRunner' if schedule == 'continuous_train' else 'Runner'
    create_environment_fn = _evaluate(_bound(f'{runner_class}.create_environment_fn'))
    if create_environment_fn is None and schedule == 'continuous_train':
        # Dopamine's TrainRunner ignores Runner.create_environment_fn.
        if _bound('Runner.create_environment_fn') is not None:
            raise errors.ConfigError(
                "lrrl.create_runner.schedule = 'continuous_train' reads "
                'TrainRunner.create_environment_fn, but only '
                'Runner.create_environment_fn is bound. Bind '
                'TrainRunner.create_environment_fn instead.'
            )
    name = getattr(create_environment_fn, '__name__', None)
    if agent_name == 'ppo' and name != gym_lib.create_gym_environment.__name__:
        raise errors.ConfigError(
            f'{runner_class}.create_environment_fn = {_bound(f"{runner_class}.create_environment_fn")!r} is not allowed with '
            "lrrl.create_agent.agent_name = 'ppo': PPO runs continuous-control tasks, bind "
            f'{runner_class}.create_environment_fn = @gym_lib.create_gym_environment (configs/agents/ppo_mujoco.gin).'
        )
    if create_environment_fn is None or name == atari_lib.create_atari_environment.__name__:
        game = _bound('create_atari_environment.game_name')
        if game is None:
            raise errors.ConfigError(
                'create_atari_environment.game_name is not bound: add a binding '
                'such as --gin_bindings="atari_lib.create_atari_environment.game_name=\'Pong\'".'
            )
        _one_of('create_atari_environment.game_name', game, atari_games(), 'an Atari game that ale-py ships:')
    elif name == environments.create_minatar_environment.__name__:
        # The game first (it needs nothing installed), then the optional package.
        game = _bound('create_minatar_environment.game_name')
        _one_of('create_minatar_environment.game_name', game, environments.MINATAR_GAMES, 'a MinAtar game:')
        environments.check_settings(game, _bound('create_minatar_environment.sticky_action_prob', 0.25))
        environments.require_minatar()
    elif name == gym_lib.create_gym_environment.__name__:
        env_name = _bound('create_gym_environment.environment_name')
        version = _bound('create_gym_environment.version', 'v0')
        task = f'{env_name}-{version}'
        binding = 'create_gym_environment.environment_name/version'
        if agent_name == 'ppo':
            _check_continuous_task(binding, task)
        else:
            _one_of(binding, task, _gym_environments(), 'a Gymnasium environment:')


def _check_continuous_task(binding, task):
    """A task the PPO agent can run, installed, whose episodes the runner ends in time."""
    import gymnasium  # pylint: disable=g-import-not-at-top

    tasks = continuous_tasks()
    if task not in tasks and task in _gym_environments():
        raise errors.ConfigError(
            f"{binding} = {task!r} is not allowed with lrrl.create_agent.agent_name = 'ppo': {task} has "
            'discrete actions, and PPO here needs continuous (Box) actions. Use a continuous-control task: '
            f'{", ".join(tasks)}.'
        )
    _one_of(binding, task, tasks, 'a continuous-control Gymnasium task:')
    entry_point = gymnasium.spec(task).entry_point
    if entry_point.startswith('gymnasium.envs.mujoco.') and importlib.util.find_spec('mujoco') is None:
        raise errors.ConfigError(
            f"{binding} = {task!r} needs MuJoCo, which is not installed: pip install -c constraints.txt -e '.[mujoco]'."
        )
    limit = gymnasium.spec(task).max_episode_steps
    max_steps = _bound('Runner.max_steps_per_episode')
    if limit is not None and validation.is_int(max_steps) and max_steps > limit:
        # Dopamine's Gym wrapper hides the time limit's truncation, so the
        # runner would step past the end of the episode.
        raise errors.ConfigError(
            f'Runner.max_steps_per_episode = {max_steps} is not allowed with {task}: it must be at most '
            f"the task's own episode limit, {limit}."
        )


def _check_positive_int(binding, minimum):
    value = _bound(binding)
    if value is not None:
        validation.check_int(binding, value, minimum)


def _check_optimizer_bindings():
    value = _bound('lrrl.create_agent.optimizer_class')
    if isinstance(value, gin.config.ConfigurableReference) and value.evaluate:
        raise errors.ConfigError(
            f'lrrl.create_agent.optimizer_class = {value!r} is not allowed: it must '
            'be an optimizer class, bound without parentheses, e.g. '
            'lrrl.create_agent.optimizer_class = @tf.train.AdamOptimizer (the '
            'learning rate comes from the controller).'
        )
    # Bindings that a gin user might expect to work but that would be ignored.
    ignored = {
        'DQNAgent.optimizer': 'the LRRL agents build their optimizer themselves',
        'RainbowAgent.optimizer': 'the LRRL agents build their optimizer themselves',
        'LRRLDQNAgent.optimizer_class': 'lrrl.create_agent passes its own optimizer_class',
        'LRRLImplicitQuantileAgent.optimizer_class': 'lrrl.create_agent passes its own optimizer_class',
    }
    for binding, why in ignored.items():
        if _bound(binding) is not None:
            raise errors.ConfigError(
                f'{binding} is bound, but {why}: it would be ignored. Bind the optimizer '
                'class once for both agents, without parentheses, as '
                'lrrl.create_agent.optimizer_class (e.g. @tf.train.RMSPropOptimizer); '
                'its learning rate comes from the controller.'
            )


_TF_AGENTS = ('dqn', 'implicit_quantile')
_JAX_AGENTS = agent_factory.JAX_REPLAY_AGENTS
# Dopamine's configurables that only some agents read: {name: (its function, the agents that read it)}.
_READERS = {
    'DQNAgent': (dqn_agent.DQNAgent.__init__, _TF_AGENTS),
    'RainbowAgent': (rainbow_agent.RainbowAgent.__init__, _TF_AGENTS),
    'ImplicitQuantileAgent': (implicit_quantile_agent.ImplicitQuantileAgent.__init__, _TF_AGENTS),
    'WrappedReplayBuffer': (circular_replay_buffer.WrappedReplayBuffer.__init__, _TF_AGENTS),
    'WrappedPrioritizedReplayBuffer': (
        prioritized_replay_buffer.WrappedPrioritizedReplayBuffer.__init__,
        _TF_AGENTS,
    ),
    'JaxDQNAgent': (jax_dqn_agent.JaxDQNAgent.__init__, _JAX_AGENTS),
    'JaxImplicitQuantileAgent': (
        jax_implicit_quantile_agent.JaxImplicitQuantileAgent.__init__,
        ('jax_implicit_quantile',),
    ),
    'JaxRainbowAgent': (jax_rainbow_agent.JaxRainbowAgent.__init__, ('jax_rainbow',)),
    'PrioritizedSamplingDistribution': (samplers.PrioritizedSamplingDistribution.__init__, ('jax_rainbow',)),
    'ReplayBuffer': (replay_buffer.ReplayBuffer.__init__, _JAX_AGENTS + ('ppo',)),
    'PPOAgent': (ppo_agent.PPOAgent.__init__, ('ppo',)),
    'create_atari_environment': (atari_lib.create_atari_environment, agent_factory.REPLAY_AGENTS),
}
# lrrl's agent classes: {name: (module, the agent that reads it)}. A binding can only
# name one whose module is loaded (gin refuses unknown configurables while parsing).
_LRRL_AGENT_CLASSES = {
    'LRRLDQNAgent': ('lrrl.experiment.agents', 'dqn'),
    'LRRLImplicitQuantileAgent': ('lrrl.experiment.agents', 'implicit_quantile'),
    'LRRLJaxDQNAgent': ('lrrl.experiment.jax_agents', 'jax_dqn'),
    'LRRLJaxImplicitQuantileAgent': ('lrrl.experiment.jax_agents', 'jax_implicit_quantile'),
    'LRRLJaxRainbowAgent': ('lrrl.experiment.jax_agents', 'jax_rainbow'),
    'LRRLPPOAgent': ('lrrl.experiment.ppo', 'ppo'),
}
_AGENT_LABELS = {
    'dqn': 'DQN',
    'implicit_quantile': 'IQN',
    'jax_dqn': 'JAX DQN',
    'jax_implicit_quantile': 'JAX IQN',
    'jax_rainbow': 'JAX Rainbow',
    'ppo': 'PPO',
}


def _readers_text(agent_names):
    labels = [_AGENT_LABELS[name] for name in agent_names]
    if len(labels) == 1:
        return f'the {labels[0]} agent reads'
    return f'the {", ".join(labels[:-1])} and {labels[-1]} agents read'


def _configurables_read_by_others(agent_name):
    """{configurable: (its function, the agents that read it)} of those ``agent_name`` does not read."""
    others = {name: value for name, value in _READERS.items() if agent_name not in value[1]}
    for name, (module, reader) in _LRRL_AGENT_CLASSES.items():
        if reader != agent_name and module in sys.modules:
            others[name] = (getattr(sys.modules[module], name).__init__, (reader,))
    return others


def _check_agent_family(agent_name):
    """Refuses a binding that only other agents read (it would be ignored)."""
    for configurable, (function, readers) in _configurables_read_by_others(agent_name).items():
        for parameter in inspect.signature(function).parameters:
            binding = f'{configurable}.{parameter}'
            if parameter != 'self' and _bound(binding) is not None:
                raise errors.ConfigError(
                    f'{binding} is bound, but only {_readers_text(readers)} it, not lrrl.create_agent.agent_name = '
                    f'{agent_name!r}: it would be ignored. Remove it, or use the agent it belongs to.'
                )


def _check_harness_set_bindings(agent_name, agent_classes):
    """Bindings of what the harness sets itself for a JAX agent (they would be ignored)."""
    ignored = {}
    for name in agent_classes:
        ignored[f'{name}.optimizer'] = 'the LRRL agent builds its optimizer from lrrl.create_agent.optimizer_class'
        ignored[f'{name}.seed'] = 'the runner seeds the agent with --seed'
    for parameter in ('optimizer_class', 'learning_rate_controller'):
        for name, (_, reader) in _LRRL_AGENT_CLASSES.items():
            if reader == agent_name:
                ignored[f'{name}.{parameter}'] = f'lrrl.create_agent passes its own {parameter}'
    for parameter in inspect.signature(jax_dqn_agent.create_optimizer).parameters:
        ignored[f'create_optimizer.{parameter}'] = (
            'the LRRL agent takes its optimizer from lrrl.create_agent.optimizer_class (e.g. '
            "tf.train.AdamOptimizer.epsilon) and its rate from the controller (Dopamine's annealing is "
            'methods/ppo_linear_anneal.gin)'
        )
    for binding, why in ignored.items():
        if _bound(binding) is not None:
            raise errors.ConfigError(f'{binding} is bound, but {why}: it would be ignored.')


# Per JAX agent: Dopamine's class it subclasses (its configurable's name and __init__).
_JAX_CLASSES = {
    'jax_dqn': ('JaxDQNAgent', jax_dqn_agent.JaxDQNAgent.__init__),
    'jax_implicit_quantile': (
        'JaxImplicitQuantileAgent',
        jax_implicit_quantile_agent.JaxImplicitQuantileAgent.__init__,
    ),
    'jax_rainbow': ('JaxRainbowAgent', jax_rainbow_agent.JaxRainbowAgent.__init__),
}


def _agent_parameter(agent_name, parameter):
    """A JAX agent's constructor argument as gin gives it (its own binding, else JaxDQNAgent's, else the default)."""
    name, function = _JAX_CLASSES[agent_name]
    parameters = inspect.signature(function).parameters
    if parameter in parameters:
        return _bound(f'{name}.{parameter}', parameters[parameter].default)
    default = inspect.signature(jax_dqn_agent.JaxDQNAgent.__init__).parameters[parameter].default
    return _bound(f'JaxDQNAgent.{parameter}', default)


def _check_jax_bindings(agent_name):
    """The JAX DQN-family agents' own values (docs/jax_agents.md, "Bad input")."""
    name, function = _JAX_CLASSES[agent_name]
    _check_harness_set_bindings(agent_name, ('JaxDQNAgent', name))
    if name != 'JaxDQNAgent':
        # Dopamine's subclass passes these to JaxDQNAgent itself: JaxDQNAgent's binding is never read.
        for parameter in inspect.signature(function).parameters:
            if parameter not in ('self', 'num_actions') and _bound(f'JaxDQNAgent.{parameter}') is not None:
                raise errors.ConfigError(
                    f'JaxDQNAgent.{parameter} is bound, but {name} passes its own {parameter} to JaxDQNAgent: '
                    f'it would be ignored. Bind {name}.{parameter} instead.'
                )
    if agent_name == 'jax_implicit_quantile' and _bound('JaxImplicitQuantileAgent.replay_scheme') is not None:
        raise errors.ConfigError(
            "JaxImplicitQuantileAgent.replay_scheme is bound, but Dopamine's JAX IQN samples its replay uniformly "
            'whatever it says (it keeps JaxDQNAgent\'s replay): it would be ignored. Remove it.'
        )
    if agent_name == 'jax_dqn':
        _one_of('JaxDQNAgent.loss_type', _agent_parameter(agent_name, 'loss_type'), ('mse', 'huber'))
    if agent_name == 'jax_rainbow':
        scheme = _agent_parameter(agent_name, 'replay_scheme')
        _one_of('JaxRainbowAgent.replay_scheme', scheme, ('uniform', 'prioritized'))
    for parameter in ('update_period', 'target_update_period', 'update_horizon'):
        validation.check_int(f'{name}.{parameter}', _agent_parameter(agent_name, parameter), 1)
    validation.check_int(f'{name}.min_replay_history', _agent_parameter(agent_name, 'min_replay_history'), 0)
    for binding in ('ReplayBuffer.batch_size', 'ReplayBuffer.max_capacity'):
        if _bound(binding) is None:
            raise errors.ConfigError(
                f"{binding} is not bound: Dopamine's JAX replay has no default; bind it (e.g. as "
                'configs/agents/jax_dqn_cartpole.gin: ReplayBuffer.max_capacity = 50000, '
                'ReplayBuffer.batch_size = 128).'
            )
        validation.check_int(binding, _bound(binding), 1)
    if agent_name == 'jax_rainbow':
        capacity = _bound('PrioritizedSamplingDistribution.max_capacity')
        validation.require(
            validation.is_int(capacity, _bound('ReplayBuffer.max_capacity')),
            'PrioritizedSamplingDistribution.max_capacity',
            capacity,
            f'an integer at least ReplayBuffer.max_capacity ({_bound("ReplayBuffer.max_capacity")}): its sum tree '
            'holds a priority for every item of the replay',
        )


def _check_ppo_bindings():
    """PPO's own values: the optimizer, what the harness sets itself, and the rollout sizes."""
    value = _bound('lrrl.create_agent.optimizer_class')
    optimizer_class = _evaluate(value) if isinstance(value, gin.config.ConfigurableReference) else None
    if optimizers.restarts_at_target_sync(optimizer_class):
        raise errors.ConfigError(
            f'lrrl.create_agent.optimizer_class = {value!r} is not allowed with lrrl.create_agent.agent_name = '
            "'ppo': AdamRel restarts Adam's step counter at every target-network sync, and PPO has no target "
            'network. Use @tf.train.AdamOptimizer (configs/optimizers/adam.gin).'
        )
    _check_harness_set_bindings('ppo', ('PPOAgent',))
    preprocessing = {
        'create_gym_environment.use_legacy_gym': 'the MuJoCo tasks run through Gymnasium (the legacy gym package '
        'has no v4/v5 tasks)',
        'create_gym_environment.use_ppo_preprocessing': 'the PPO agent does this preprocessing itself, with raw '
        'rewards left to the runner (LRRLPPOAgent.normalize_observations, LRRLPPOAgent.normalize_rewards)',
    }
    for binding, why in preprocessing.items():
        if _bound(binding):
            raise errors.ConfigError(
                f"{binding} = True is not allowed with lrrl.create_agent.agent_name = 'ppo': {why}."
            )
    _one_of('LRRLPPOAgent.feedback', _bound('LRRLPPOAgent.feedback', 'iteration'), ('iteration', 'episode'))
    defaults = inspect.signature(ppo_agent.PPOAgent.__init__).parameters
    update_period = _bound('PPOAgent.update_period', defaults['update_period'].default)
    batch_size = _bound('PPOAgent.batch_size', defaults['batch_size'].default)
    validation.check_int('PPOAgent.update_period', update_period, 1)
    validation.check_int('PPOAgent.batch_size', batch_size, 1)
    for binding in ('ReplayBuffer.batch_size', 'ReplayBuffer.max_capacity'):
        if _bound(binding) is None:
            raise errors.ConfigError(
                f'{binding} is not bound: bind it to PPOAgent.update_period ({update_period}), the rollout '
                'the buffer holds (configs/agents/ppo_mujoco.gin).'
            )
    validation.require(
        _bound('ReplayBuffer.batch_size') == update_period,
        'ReplayBuffer.batch_size',
        _bound('ReplayBuffer.batch_size'),
        f'PPOAgent.update_period ({update_period}): each update trains on the whole rollout',
    )
    validation.require(
        validation.is_int(_bound('ReplayBuffer.max_capacity'), update_period),
        'ReplayBuffer.max_capacity',
        _bound('ReplayBuffer.max_capacity'),
        f'at least PPOAgent.update_period ({update_period})',
    )
    validation.require(
        update_period % batch_size == 0,
        'PPOAgent.batch_size',
        batch_size,
        f'a divisor of PPOAgent.update_period ({update_period}): the rollout is split into whole minibatches',
    )


def check_config():
    """Checks the parsed gin config; returns the learning-rate controller.

    Raises:
      ConfigError: naming the first binding whose value is not allowed.
    """
    agent_name = _bound('lrrl.create_agent.agent_name', 'dqn')
    _one_of('lrrl.create_agent.agent_name', agent_name, agent_factory.AGENTS)
    _check_agent_family(agent_name)
    schedule = _bound('lrrl.create_runner.schedule', 'continuous_train_and_eval')
    _one_of('lrrl.create_runner.schedule', schedule, tuple(runner.SCHEDULES))
    _check_environment(schedule, agent_name)
    _check_positive_int('Runner.num_iterations', 1)
    _check_positive_int('Runner.training_steps', 1)
    _check_positive_int('Runner.evaluation_steps', 0)
    _check_positive_int('Runner.max_steps_per_episode', 1)
    _check_optimizer_bindings()
    if agent_name == 'ppo':
        _check_ppo_bindings()
    if agent_name in agent_factory.JAX_REPLAY_AGENTS:
        _check_jax_bindings(agent_name)
    controller_binding = _bound('lrrl.create_agent.learning_rate_controller')
    if controller_binding is None:
        raise errors.ConfigError(
            'lrrl.create_agent.learning_rate_controller is not bound: bind it to '
            '@FixedLearningRate(), @ScheduledLearningRate() or @BanditLearningRate() (see configs/methods/).'
        )
    try:
        controller = _evaluate(controller_binding)
    except ValueError as e:
        # gin appends where the failing call came from; keep the first line.
        raise errors.ConfigError(str(e).split('\n')[0]) from e
    if not isinstance(controller, controllers.LearningRateController):
        raise errors.ConfigError(
            f'lrrl.create_agent.learning_rate_controller = {controller_binding!r} is not '
            'allowed: it must build a learning-rate controller, e.g. @BanditLearningRate().'
        )
    _check_positive_int('lrrl.create_agent.probe_batch_size', 1)
    if controller.needs_probe and agent_name == 'ppo':
        what = (
            'BanditLearningRate.record_probes = True'
            if controller.record_probes
            else f'BanditLearningRate.feedback = @{controller.feedback.name}()'
        )
        raise errors.ConfigError(
            f"{what} is not allowed with lrrl.create_agent.agent_name = 'ppo': it needs the round probe, the TD "
            'loss on a batch of replay transitions, and PPO has neither a replay of transitions nor a TD loss. '
            "Use a return-based feedback, e.g. @RoundImprovement(), or LRRL's default before issue 28, "
            "lrrl/bandit_v1.gin, in place of lrrl/bandit.gin (as methods/lrrl_ppo_k5.gin does)."
        )
    return controller


def check_resume(base_dir, controller):
    """Refuses a configuration whose controller does not match the run folder's checkpoint.

    The saved state is loaded into a copy of the configured controller, so the
    same check that a resume would make runs before anything is built or
    written, and the message says how to continue.
    """
    saved = run_folder.saved_controller_state(base_dir)
    if saved is None:
        return
    try:
        copy.deepcopy(controller).load_state_dict(copy.deepcopy(saved))
    except (ValueError, KeyError, TypeError) as e:
        raise errors.ConfigError(
            f'--base_dir={base_dir} holds a run trained with another configuration: {e} '
            'To continue this run, launch it with the values it was started with (its config.gin); '
            'to train with the new values, give another --base_dir.'
        ) from None
