"""``lrrl.create_agent``: the agent a run trains, by name, from its own framework's module.

Dopamine's ``create_agent`` convention (``sess``, ``environment``, a gin-bound
``agent_name``). Each family of agents lives in one module, which is imported
only when an agent of that family is built (or when a gin file names it), so a
run of the TF agents loads none of lrrl's JAX modules and a run of the JAX
agents none of lrrl's TF agent modules (Dopamine's runner itself imports both
frameworks' agents: ``docs/architecture.md``, "Agent families"):

- ``lrrl.experiment.agents``: Dopamine's TF ``DQNAgent`` and ``ImplicitQuantileAgent``
  (``'dqn'``, ``'implicit_quantile'``);
- ``lrrl.experiment.jax_agents``: Dopamine's JAX ``JaxDQNAgent``,
  ``JaxImplicitQuantileAgent`` and ``JaxRainbowAgent`` (``'jax_dqn'``,
  ``'jax_implicit_quantile'``, ``'jax_rainbow'``);
- ``lrrl.experiment.ppo``: Dopamine's JAX ``PPOAgent`` (``'ppo'``).

Every module has ``create(agent_name, sess, environment, **settings)`` taking
the settings below; all of them wire the controller the same way
(``lrrl.experiment.rate_control``).
"""

import importlib

import gin

from lrrl import errors

AGENT_MODULES = {
    'dqn': 'lrrl.experiment.agents',
    'implicit_quantile': 'lrrl.experiment.agents',
    'jax_dqn': 'lrrl.experiment.jax_agents',
    'jax_implicit_quantile': 'lrrl.experiment.jax_agents',
    'jax_rainbow': 'lrrl.experiment.jax_agents',
    'ppo': 'lrrl.experiment.ppo',
}
AGENTS = tuple(AGENT_MODULES)
# The value-based agents of Dopamine's DQN family, trained from a replay of transitions.
REPLAY_AGENTS = ('dqn', 'implicit_quantile', 'jax_dqn', 'jax_implicit_quantile', 'jax_rainbow')
JAX_REPLAY_AGENTS = ('jax_dqn', 'jax_implicit_quantile', 'jax_rainbow')


def check_agent_name(agent_name):
    if agent_name not in AGENT_MODULES:
        raise errors.ConfigError(
            f'lrrl.create_agent.agent_name = {agent_name!r} is not allowed: it must be one of {", ".join(AGENTS)}.'
        )


@gin.configurable(module='lrrl')
def create_agent(
    sess,
    environment,
    agent_name='dqn',
    learning_rate_controller=None,
    optimizer_class=None,
    stop_on_divergence=True,
    divergence_check_period=1000,
    probe_batch_size=512,
    summary_writer=None,
    debug_mode=False,
    seed=None,
):
    """Builds an LRRL agent (Dopamine's ``create_agent`` convention).

    Args:
      sess: a ``tf.compat.v1.Session`` or None (the TF agents make one; the JAX agents hold none).
      environment: the environment, for its actions (and observations for PPO).
      agent_name: one of ``AGENTS``.
      learning_rate_controller: the controller, e.g. ``@BanditLearningRate()``.
      optimizer_class: a ``tf.compat.v1.train`` optimizer class (no
        parentheses), e.g. ``@tf.train.AdamOptimizer``; default Adam. The JAX
        agents use its optax equivalent (``lrrl.experiment.optax_rates``).
      stop_on_divergence: raise ``errors.Divergence`` when the weights become
        non-finite (default); False only warns and trains on.
      divergence_check_period: agent steps at least between two checks of the
        weights at episode ends (the runner also checks before each checkpoint).
      probe_batch_size: replay transitions in the round probe
        (``rate_control.RoundProbe``), when the controller needs it.
      summary_writer: passed to the agent when ``debug_mode``.
      debug_mode: write in-agent TensorBoard summaries (slower).
      seed: seeds a JAX agent's generator (initial weights, sampled actions,
        replay sampling); the TF agents are seeded through their graph
        (``lrrl.experiment.seeding``). The runner passes its ``seed``.
    """
    check_agent_name(agent_name)
    family = importlib.import_module(AGENT_MODULES[agent_name])
    return family.create(
        agent_name,
        sess,
        environment,
        learning_rate_controller=learning_rate_controller,
        optimizer_class=optimizer_class,
        stop_on_divergence=stop_on_divergence,
        divergence_check_period=divergence_check_period,
        probe_batch_size=probe_batch_size,
        summary_writer=summary_writer if debug_mode else None,
        seed=seed,
    )
