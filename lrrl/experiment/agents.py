"""Dopamine's TF DQN and IQN agents with a controller-set learning rate.

The only change to Dopamine's agents is in ``_build_train_op``: the optimizer
is built with a non-trainable ``learning_rate`` variable instead of a constant.
The controller sets that variable through one assign op built at the same
time, so switching rates adds nothing to the graph and keeps the optimizer's
slots (Adam's moments are shared by all arms). The variable is created before
Dopamine builds its Saver, so it is initialised and checkpointed with the
agent; the controller's own state rides in Dopamine's checkpoint bundle.

The controller wiring (advancing it at the agent steps it names, telling it
when the first gradient update happens, end-of-episode feedback, the round
probe, its state in the checkpoint, the divergence policy) is shared with the
JAX agents: ``lrrl.experiment.rate_control`` (``ReplayTrainedRateAgent``: the
DQN family's update timing). This module holds the
TensorFlow part: the rate variable, when Dopamine's train op runs, the
finite-weights op, and the round probe's Q-values (the online and target
networks applied to a batch fed by placeholder, built after everything
Dopamine builds, so no op of the stock agent and no random stream changes). An
optimizer with ``restart_ops()`` (AdamRel) has them run together with every
target-network sync.

Cost on small agents (MinAtar: episodes of 10-40 steps; docs/minatar.md,
results/bench/minatar.md): a new rate is written to the graph just before the
next gradient update, not when the episode ends, so a fixed rate costs no
session call at all and an arm that changes several times between two updates
costs one write; the write and the check below are prebuilt session callables.

Divergence: a rate can make the loss, then the weights, non-finite. At the
end of a training episode, once at least ``divergence_check_period`` agent
steps (default 1,000) have passed since the last check (not every step: no
per-step host sync), the agent checks that its online weights are finite; the
runner checks again before each checkpoint. Non-finite weights raise
``errors.Divergence`` naming the agent step and the rate in use, so the run stops
before NaN weights can overwrite a good checkpoint — unless
``lrrl.create_agent.stop_on_divergence = False``, which only warns.
"""

import gin
import numpy as np
import tensorflow as tf
from dopamine.tf.agents.dqn import dqn_agent
from dopamine.tf.agents.implicit_quantile import implicit_quantile_agent

from lrrl.experiment import agent_factory  # noqa: F401  (registers lrrl.create_agent, which gin files bind)
from lrrl.experiment import optimizers  # noqa: F401  (registers the optimizers with gin)
from lrrl.experiment import rate_control


class TFControlledRateAgent(rate_control.ReplayTrainedRateAgent):
    """Gives a Dopamine TF agent a learning rate that a controller sets.

    The controller wiring is ``rate_control.ReplayTrainedRateAgent``'s; this
    class supplies the TensorFlow part: the rate variable and its assign op,
    the finite-weights check as one session call, AdamRel's restart ops, the
    round probe's Q-values.

    Args:
      optimizer_class: a ``tf.compat.v1.train`` optimizer class, called as
        ``optimizer_class(learning_rate=<variable>)``; its other arguments come
        from gin (``tf.train.AdamOptimizer.epsilon = 1.5e-4``). Bound once for
        both agents, without parentheses:
        ``lrrl.create_agent.optimizer_class = @tf.train.AdamOptimizer``.
      **kwargs: ``learning_rate_controller``, ``stop_on_divergence``,
        ``divergence_check_period``, ``probe_batch_size`` (see
        ``rate_control.ControlledRateAgent``); the rest is passed to the Dopamine
        agent (gin bindings on ``DQNAgent`` / ``RainbowAgent`` /
        ``ImplicitQuantileAgent`` apply as usual).
    """

    def __init__(self, sess, num_actions, optimizer_class=None, **kwargs):
        optimizer_class = optimizer_class or tf.compat.v1.train.AdamOptimizer
        if isinstance(optimizer_class, tf.compat.v1.train.Optimizer):
            raise TypeError(
                f'lrrl.create_agent.optimizer_class must be an optimizer class, '
                f'not an instance ({optimizer_class!r}): bind it without parentheses, '
                'e.g. lrrl.create_agent.optimizer_class = @tf.train.AdamOptimizer.'
            )
        self._optimizer_class = optimizer_class
        # The controller's settings go on to rate_control.ControlledRateAgent, the rest to Dopamine's agent.
        super().__init__(sess, num_actions, **kwargs)
        with self._sess.graph.as_default():
            weights = self.online_convnet.trainable_variables
            self._weights_finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(w)) for w in weights])
            if self._round_probe is not None:
                self._build_probe_ops()
        # Callables skip session.run's per-call fetch and feed handling.
        self._write_rate = self._sess.make_callable(self._assign_learning_rate, feed_list=[self._learning_rate_ph])
        self._run_weights_finite = self._sess.make_callable(self._weights_finite)

    supports_probe = True

    def _build_probe_ops(self):
        """Q(s, ·) of the online network and max_a Q(s', a) of the target network for fed batches."""
        # A static batch size: Dopamine's IQN network tiles its input by the batch size of the graph.
        shape = (self._round_probe.size, *self.state_ph.shape[1:])
        self._probe_states = tf.compat.v1.placeholder(self.state_ph.dtype, shape, name='probe_states')
        self._probe_next_states = tf.compat.v1.placeholder(self.state_ph.dtype, shape, name='probe_next_states')
        q_values = self._probe_network_q_values(self.online_convnet, self._probe_states)
        next_max = tf.reduce_max(self._probe_network_q_values(self.target_convnet, self._probe_next_states), axis=1)
        self._probe_outputs = (q_values, next_max)

    def _probe_network_q_values(self, network, states):
        """A network's Q-values for a batch (DQN: its output; IQN overrides)."""
        return network(states).q_values

    def _draw_probe_transitions(self, rng, size):
        """``size`` valid transitions of the replay, drawn with ``rng`` (never Dopamine's generator)."""
        memory = self._replay.memory
        if memory.is_full():
            low, high = 0, memory._replay_capacity  # pylint: disable=protected-access
        else:
            low, high = memory._stack_size - 1, memory.cursor() - memory._update_horizon  # pylint: disable=protected-access
        indices = []
        for _ in range(100):
            candidates = rng.integers(low, max(high, low + 1), size=2 * size)
            indices.extend(int(i) for i in candidates if memory.is_valid_transition(int(i)))
            if len(indices) >= size:
                break
        if len(indices) < size:
            raise RuntimeError(f'the replay holds too few valid transitions for a probe batch of {size}.')
        batch = memory.sample_transition_batch(batch_size=size, indices=indices[:size])
        elements = dict(zip((e.name for e in memory.get_transition_elements()), batch))
        return tuple(elements[name] for name in ('state', 'action', 'reward', 'next_state', 'terminal'))

    def _probe_q_values(self, states, next_states):
        q_values, next_max = self._sess.run(
            self._probe_outputs, {self._probe_states: states, self._probe_next_states: next_states}
        )
        return np.asarray(q_values, dtype=np.float64), np.asarray(next_max, dtype=np.float64)

    def _build_train_op(self):
        self.learning_rate = tf.compat.v1.Variable(
            self.learning_rate_controller.rate,
            trainable=False,
            dtype=tf.float32,
            name='learning_rate',
        )
        self._learning_rate_ph = tf.compat.v1.placeholder(tf.float32, (), name='learning_rate_ph')
        self._assign_learning_rate = self.learning_rate.assign(self._learning_rate_ph)
        self.optimizer = self._optimizer_class(learning_rate=self.learning_rate)
        return super()._build_train_op()

    def _build_sync_op(self):
        sync_ops = super()._build_sync_op()
        restart_ops = getattr(self.optimizer, 'restart_ops', None)
        return sync_ops + list(restart_ops()) if restart_ops else sync_ops

    def _set_optimizer_rate(self, rate):
        """One assign op (no new ops in the graph)."""
        self._write_rate(rate)

    def _replay_add_count(self):
        return self._replay.memory.add_count

    def _read_optimizer_rate(self):
        return float(self._sess.run(self.learning_rate))

    def weights_are_finite(self):
        """One session call over the online network's weights."""
        return bool(self._run_weights_finite())


@gin.configurable
class LRRLDQNAgent(TFControlledRateAgent, dqn_agent.DQNAgent):
    """Dopamine's TF DQN agent whose learning rate a controller sets."""


@gin.configurable
class LRRLImplicitQuantileAgent(TFControlledRateAgent, implicit_quantile_agent.ImplicitQuantileAgent):
    """Dopamine's TF Implicit Quantile agent whose learning rate a controller sets."""

    def _probe_network_q_values(self, network, states):
        """The mean of ``num_quantile_samples`` quantile values per action (the Q-values IQN acts on).

        The quantile fractions are drawn by the network's own random op, built
        for the probe, so the agent's own draws are untouched.
        """
        samples = self.num_quantile_samples
        quantile_values = network(states, samples).quantile_values  # (samples x batch) x actions
        return tf.reduce_mean(tf.reshape(quantile_values, [samples, -1, self.num_actions]), axis=0)


_AGENT_CLASSES = {'dqn': LRRLDQNAgent, 'implicit_quantile': LRRLImplicitQuantileAgent}


def create(agent_name, sess, environment, *, summary_writer, seed, **settings):
    """The TF agent ``agent_name`` (``lrrl.experiment.agent_factory``: the settings); ``seed`` is the graph's."""
    del seed  # The TF agents are seeded through their graph (lrrl.experiment.seeding).
    return _AGENT_CLASSES[agent_name](
        sess, num_actions=environment.action_space.n, summary_writer=summary_writer, **settings
    )
