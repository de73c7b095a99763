"""Dopamine's TF DQN and IQN agents with a controller-set learning rate.

The only change to Dopamine's agents is in ``_build_train_op``: the optimizer
is built with a non-trainable ``learning_rate`` variable instead of a constant.
The controller sets that variable through one assign op built at the same
time, so switching rates adds nothing to the graph and keeps the optimizer's
slots (Adam's moments are shared by all arms). The variable is created before
Dopamine builds its Saver, so it is initialised and checkpointed with the
agent; the controller's own state rides in Dopamine's checkpoint bundle.

The controller wiring (advancing it every ``controller.rate_update_period``
agent steps, end-of-episode feedback, its state in the checkpoint, the
divergence policy) is shared with the JAX PPO agent: ``lrrl.experiment.rate_control``.
This module holds the TensorFlow part. An optimizer with ``restart_ops()`` (AdamRel) has them
run together with every target-network sync.

Divergence: a rate can make the loss, then the weights, non-finite. After
every training episode (not every step: one session call per episode, no
per-step host sync) the agent checks that its online weights are finite; the
runner checks again before each checkpoint. Non-finite weights raise
``errors.Divergence`` naming the agent step and the rate in use, so the run stops
before NaN weights can overwrite a good checkpoint — unless
``lrrl.create_agent.stop_on_divergence = False``, which only warns.
"""

import gin
import tensorflow as tf
from dopamine.tf.agents.dqn import dqn_agent
from dopamine.tf.agents.implicit_quantile import implicit_quantile_agent

from lrrl import compat
from lrrl.experiment import optimizers  # noqa: F401  (registers AdamRelOptimizer with gin)
from lrrl.experiment import ppo
from lrrl.experiment import rate_control

compat.apply_tensorflow_fixes()

AGENTS = ('dqn', 'implicit_quantile', 'ppo')


class LearningRateControlMixin(rate_control.LearningRateControl):
    """Gives a Dopamine TF agent a learning rate that a controller sets.

    The controller wiring is ``rate_control.LearningRateControl``'s; this
    class supplies the TensorFlow part: the rate variable and its assign op,
    the finite-weights check as one session call, AdamRel's restart ops.

    Args:
      learning_rate_controller: a ``controllers.LearningRateController``.
      optimizer_class: a ``tf.compat.v1.train`` optimizer class, called as
        ``optimizer_class(learning_rate=<variable>)``; its other arguments come
        from gin (``tf.train.AdamOptimizer.epsilon = 1.5e-4``). Bound once for
        both agents, without parentheses:
        ``lrrl.create_agent.optimizer_class = @tf.train.AdamOptimizer``.
      **kwargs: passed to the Dopamine agent (gin bindings on ``DQNAgent`` /
        ``RainbowAgent`` / ``ImplicitQuantileAgent`` apply as usual).
    """

    def __init__(
        self, sess, num_actions, learning_rate_controller=None, optimizer_class=None, stop_on_divergence=True, **kwargs
    ):
        optimizer_class = optimizer_class or tf.compat.v1.train.AdamOptimizer
        if isinstance(optimizer_class, tf.compat.v1.train.Optimizer):
            raise TypeError(
                f'lrrl.create_agent.optimizer_class must be an optimizer class, '
                f'not an instance ({optimizer_class!r}): bind it without parentheses, '
                'e.g. lrrl.create_agent.optimizer_class = @tf.train.AdamOptimizer.'
            )
        self._optimizer_class = optimizer_class
        super().__init__(
            sess,
            num_actions,
            learning_rate_controller=learning_rate_controller,
            stop_on_divergence=stop_on_divergence,
            **kwargs,
        )
        with self._sess.graph.as_default():
            weights = self.online_convnet.trainable_variables
            self._weights_finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(w)) for w in weights])

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

    def _train_step(self):
        self.advance_learning_rate_if_due()
        super()._train_step()

    def _set_optimizer_rate(self, rate):
        """One assign op (no new ops in the graph)."""
        self._sess.run(self._assign_learning_rate, {self._learning_rate_ph: rate})

    def get_learning_rate(self):
        """The rate in the graph (what the optimizer uses)."""
        return float(self._sess.run(self.learning_rate))

    def weights_are_finite(self):
        """One session call over the online network's weights."""
        return bool(self._sess.run(self._weights_finite))


@gin.configurable
class LRRLDQNAgent(LearningRateControlMixin, dqn_agent.DQNAgent):
    """Dopamine's TF DQN agent whose learning rate a controller sets."""


@gin.configurable
class LRRLImplicitQuantileAgent(LearningRateControlMixin, implicit_quantile_agent.ImplicitQuantileAgent):
    """Dopamine's TF Implicit Quantile agent whose learning rate a controller sets."""


_AGENT_CLASSES = {'dqn': LRRLDQNAgent, 'implicit_quantile': LRRLImplicitQuantileAgent}


@gin.configurable(module='lrrl')
def create_agent(
    sess,
    environment,
    agent_name='dqn',
    learning_rate_controller=None,
    optimizer_class=None,
    stop_on_divergence=True,
    summary_writer=None,
    debug_mode=False,
    seed=None,
):
    """Builds an LRRL agent (Dopamine's ``create_agent`` convention).

    Args:
      sess: a ``tf.compat.v1.Session`` or None (the agent makes one; unused by PPO).
      environment: the environment, for its actions (and observations for PPO).
      agent_name: 'dqn', 'implicit_quantile' or 'ppo' (JAX, ``lrrl.experiment.ppo``).
      learning_rate_controller: the controller, e.g. ``@BanditLearningRate()``.
      optimizer_class: a ``tf.compat.v1.train`` optimizer class (no
        parentheses), e.g. ``@tf.train.AdamOptimizer``; default Adam.
      stop_on_divergence: raise ``errors.Divergence`` when the weights become
        non-finite (default); False only warns and trains on.
      summary_writer: passed to the agent when ``debug_mode``.
      debug_mode: write in-agent TensorBoard summaries (slower).
      seed: seeds the PPO agent's JAX generator (initial weights, sampled
        actions); the TF agents are seeded through their graph
        (``lrrl.experiment.seeding``). The runner passes its ``seed``.
    """
    if agent_name not in AGENTS:
        raise ValueError(f'lrrl.create_agent.agent_name = {agent_name!r} is not allowed: it must be one of {AGENTS}.')
    if agent_name == 'ppo':
        return ppo.create_ppo_agent(
            environment,
            learning_rate_controller=learning_rate_controller,
            optimizer_class=optimizer_class,
            stop_on_divergence=stop_on_divergence,
            seed=seed,
            summary_writer=summary_writer if debug_mode else None,
        )
    return _AGENT_CLASSES[agent_name](
        sess,
        num_actions=environment.action_space.n,
        learning_rate_controller=learning_rate_controller,
        optimizer_class=optimizer_class,
        stop_on_divergence=stop_on_divergence,
        summary_writer=summary_writer if debug_mode else None,
    )
