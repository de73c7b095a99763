"""Dopamine's JAX DQN, Implicit Quantile and Rainbow agents with a controller-set learning rate.

Dopamine 4.1.2's maintained agents (``dopamine.jax.agents``; docs/jax_agents.md).
Each trains with ``optimizer = create_optimizer(name)`` (optax, a constant
rate) passed to a jitted ``train`` as a static argument. The only change
here is that optimizer: ``_build_networks_and_optimizer`` keeps Dopamine's
networks and initial weights (the same generator draws), then rebuilds the
optimizer from ``lrrl.create_agent.optimizer_class`` with the rate injected
(``lrrl.experiment.optax_rates``): a new rate replaces an array in the
optimizer state, ``train`` is compiled once, and Adam's moments and step
count are shared by all arms. With ``FixedLearningRate`` an agent here
trains step for step as Dopamine's own (``tests/experiment/test_jax_agents.py``
compares them).

The controller wiring is the one every agent shares
(``lrrl.experiment.rate_control``): ``ReplayTrainedRateAgent`` for the DQN
family's update timing (no bandit round before the first gradient update,
rounds in agent steps), ``OptaxControlledRateAgent`` for the optax side. This
module adds what is JAX's own:

- the round probe (``rate_control.RoundProbe``): the replay transitions are
  drawn from Dopamine's JAX replay with the probe's own generator (Dopamine's
  sampler and the agent's JAX key are untouched), and their Q-values come
  from one jitted function of the online and target parameters. Rainbow's
  Q-values are the means of its return distributions; IQN's the means of
  ``num_quantile_samples`` quantile values, at quantile fractions drawn from a
  fixed key, so a round's start and end differ only by the weights;
- AdamRel: Adam's step counter restarts at every target-network sync, as the
  TF agents' ``restart_ops`` do;
- the agent's JAX key (action sampling, IQN's quantile fractions) is saved in
  Dopamine's checkpoint bundle, which Dopamine's JAX agents leave out, so a
  resumed run continues its random stream instead of starting it again from
  the seed.
"""

import functools

import gin
import jax
import jax.numpy as jnp
import numpy as np
import tensorflow as tf
from dopamine.jax.agents.dqn import dqn_agent
from dopamine.jax.agents.implicit_quantile import implicit_quantile_agent
from dopamine.jax.agents.rainbow import rainbow_agent
from dopamine.jax.replay_memory import elements

from lrrl.experiment import agent_factory  # noqa: F401  (registers lrrl.create_agent, which gin files bind)
from lrrl.experiment import jax_networks  # noqa: F401  (registers the networks with gin)
from lrrl.experiment import optax_rates
from lrrl.experiment import optimizers
from lrrl.experiment import rate_control

# Key of the agent's JAX key in Dopamine's bundle (not an attribute name: Dopamine's
# unbundle copies same-named keys into the agent).
_KEY_BUNDLE_KEY = 'lrrl_jax_key'
# The fixed key of IQN's quantile fractions in the round probe.
_PROBE_KEY_SEED = 0


class JaxControlledRateAgent(optax_rates.OptaxControlledRateAgent, rate_control.ReplayTrainedRateAgent):
    """Gives a Dopamine JAX DQN-family agent a learning rate that a controller sets (module doc).

    Args:
      num_actions: as Dopamine's agent.
      learning_rate_controller, stop_on_divergence, divergence_check_period,
        probe_batch_size: see ``rate_control.ControlledRateAgent``.
      optimizer_class: a ``tf.compat.v1.train`` optimizer class, bound once for
        every agent (``lrrl.create_agent.optimizer_class = @tf.train.AdamOptimizer``);
        its optax equivalent is built (``optax_rates.optax_optimizer``).
      **kwargs: for Dopamine's agent (gin bindings on ``JaxDQNAgent`` /
        ``JaxImplicitQuantileAgent`` / ``JaxRainbowAgent`` apply as usual).
    """

    supports_probe = True
    agent_name = None

    def __init__(self, num_actions, optimizer_class=None, **kwargs):
        self._optimizer_class = optimizer_class or tf.compat.v1.train.AdamOptimizer
        self._restart_at_sync = optimizers.restarts_at_target_sync(self._optimizer_class)
        # The controller's settings go on to rate_control.ControlledRateAgent, the rest to Dopamine's agent.
        super().__init__(num_actions, **kwargs)

    # --- the optimizer --------------------------------------------------------

    def _build_networks_and_optimizer(self):
        # Dopamine's networks and initial weights (the same key splits as the
        # stock agent), then its optimizer rebuilt with the rate injected.
        super()._build_networks_and_optimizer()
        self.optimizer = optax_rates.optax_optimizer(
            self._optimizer_class, self.learning_rate_controller.rate, self.agent_name
        )
        self.optimizer_state = self.optimizer.init(self.online_params)

    def _sync_weights(self):
        super()._sync_weights()
        if self._restart_at_sync:
            self.optimizer_state = optax_rates.restart_adam_count(self.optimizer_state)

    def _replay_add_count(self):
        return self._replay.add_count

    def _replay_items_held_back(self):
        # Dopamine's transition accumulator emits an n-step item only n transitions later.
        return self.update_horizon

    # --- the round probe ----------------------------------------------------------

    def _draw_probe_transitions(self, rng, size):
        """``size`` items of the replay, drawn with ``rng`` (never Dopamine's sampler)."""
        memory = self._replay._memory  # pylint: disable=protected-access
        if not memory:
            raise RuntimeError('the replay is empty: no probe batch can be drawn.')
        # The replay is a FIFO of consecutive item ids.
        first = next(iter(memory))
        items = [memory[elements.ReplayItemID(first + int(i))] for i in rng.integers(0, len(memory), size=size)]
        items = [item.unpack() if item.is_compressed else item for item in items]
        states = self.preprocess_fn(np.stack([item.state for item in items]))
        next_states = self.preprocess_fn(np.stack([item.next_state for item in items]))
        actions = np.asarray([item.action for item in items])
        rewards = np.asarray([item.reward for item in items], dtype=np.float64)
        terminals = np.asarray([item.is_terminal for item in items], dtype=np.float64)
        return states, actions, rewards, next_states, terminals

    def _network_q_values(self, params, state):
        """Q(state, ·) of one state (DQN: the network's output)."""
        return self.network_def.apply(params, state).q_values

    @functools.cached_property
    def _probe_outputs(self):
        """Jitted: (Q(s, ·) online, max_a Q(s', a) target) for batches of states."""

        def q_values(params, states):
            return jax.vmap(lambda state: jnp.reshape(self._network_q_values(params, state), (-1,)))(states)

        def outputs(online_params, target_params, states, next_states):
            return q_values(online_params, states), jnp.max(q_values(target_params, next_states), axis=1)

        return jax.jit(outputs)

    def _probe_q_values(self, states, next_states):
        q_values, next_max = self._probe_outputs(self.online_params, self.target_network_params, states, next_states)
        return np.asarray(q_values, dtype=np.float64), np.asarray(next_max, dtype=np.float64)

    # --- checkpoints --------------------------------------------------------------

    def bundle_and_checkpoint(self, checkpoint_dir, iteration_number):
        bundle = super().bundle_and_checkpoint(checkpoint_dir, iteration_number)
        if bundle is not None:
            bundle[_KEY_BUNDLE_KEY] = np.asarray(self._rng)
        return bundle

    def unbundle(self, checkpoint_dir, iteration_number, bundle_dictionary):
        if not super().unbundle(checkpoint_dir, iteration_number, bundle_dictionary):
            return False
        if bundle_dictionary and _KEY_BUNDLE_KEY in bundle_dictionary:
            self._rng = jnp.asarray(bundle_dictionary[_KEY_BUNDLE_KEY])
        return True


@gin.configurable
class LRRLJaxDQNAgent(JaxControlledRateAgent, dqn_agent.JaxDQNAgent):
    """Dopamine's JAX DQN agent whose learning rate a controller sets."""

    agent_name = 'jax_dqn'


@gin.configurable
class LRRLJaxImplicitQuantileAgent(JaxControlledRateAgent, implicit_quantile_agent.JaxImplicitQuantileAgent):
    """Dopamine's JAX Implicit Quantile agent whose learning rate a controller sets."""

    agent_name = 'jax_implicit_quantile'

    def _network_q_values(self, params, state):
        """The mean of ``num_quantile_samples`` quantile values per action (the Q-values IQN acts on)."""
        output = self.network_def.apply(
            params, state, num_quantiles=self.num_quantile_samples, rng=jax.random.PRNGKey(_PROBE_KEY_SEED)
        )
        return jnp.mean(output.quantile_values, axis=0)


@gin.configurable
class LRRLJaxRainbowAgent(JaxControlledRateAgent, rainbow_agent.JaxRainbowAgent):
    """Dopamine's JAX Rainbow agent whose learning rate a controller sets."""

    agent_name = 'jax_rainbow'

    def _network_q_values(self, params, state):
        """The mean of the return distribution on the agent's support, per action."""
        return self.network_def.apply(params, state, self._support).q_values


_AGENT_CLASSES = {cls.agent_name: cls for cls in (LRRLJaxDQNAgent, LRRLJaxImplicitQuantileAgent, LRRLJaxRainbowAgent)}


def create(agent_name, sess, environment, *, summary_writer, seed, **settings):
    """The JAX agent ``agent_name`` (``lrrl.experiment.agent_factory``: the settings); ``sess`` is unused."""
    del sess
    return _AGENT_CLASSES[agent_name](
        num_actions=environment.action_space.n, summary_writer=summary_writer, seed=seed, **settings
    )
