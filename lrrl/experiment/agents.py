"""Dopamine's TF DQN and IQN agents with a controller-set learning rate.

The only change to Dopamine's agents is in ``_build_train_op``: the optimizer
is built with a non-trainable ``learning_rate`` variable instead of a constant.
The controller sets that variable through one assign op built at the same
time, so switching rates adds nothing to the graph and keeps the optimizer's
slots (Adam's moments are shared by all arms). The variable is created before
Dopamine builds its Saver, so it is initialised and checkpointed with the
agent; the controller's own state rides in Dopamine's checkpoint bundle.

A controller whose rate moves with time (a schedule) is advanced every
``controller.rate_update_period`` agent steps; for the others the per-step cost is
one integer comparison. An optimizer with ``restart_ops()`` (AdamRel) has them
run together with every target-network sync.

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

import math

from absl import logging
import gin
import tensorflow as tf
from dopamine.tf.agents.dqn import dqn_agent
from dopamine.tf.agents.implicit_quantile import implicit_quantile_agent

from lrrl import compat
from lrrl import errors
from lrrl import run_folder
from lrrl import validation
from lrrl.control import controllers
from lrrl.experiment import optimizers  # noqa: F401  (registers AdamRelOptimizer with gin)

compat.apply_tensorflow_fixes()

# Key of the controller's state in Dopamine's bundle. It must not name an agent
# attribute: Dopamine's unbundle copies same-named keys into the agent.
_BUNDLE_KEY = run_folder.CONTROLLER_BUNDLE_KEY

AGENTS = ('dqn', 'implicit_quantile')


class LearningRateControlMixin:
    """Gives a Dopamine TF agent a learning rate that a controller sets.

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
        self,
        sess,
        num_actions,
        learning_rate_controller=None,
        optimizer_class=None,
        stop_on_divergence=True,
        divergence_check_period=1000,
        **kwargs,
    ):
        if not isinstance(learning_rate_controller, controllers.LearningRateController):
            raise TypeError(
                f'{type(self).__name__} needs a learning_rate_controller (e.g. '
                f'@FixedLearningRate() or @BanditLearningRate()), got {learning_rate_controller!r}.'
            )
        optimizer_class = optimizer_class or tf.compat.v1.train.AdamOptimizer
        if isinstance(optimizer_class, tf.compat.v1.train.Optimizer):
            raise TypeError(
                f'lrrl.create_agent.optimizer_class must be an optimizer class, '
                f'not an instance ({optimizer_class!r}): bind it without parentheses, '
                'e.g. lrrl.create_agent.optimizer_class = @tf.train.AdamOptimizer.'
            )
        self.learning_rate_controller = learning_rate_controller
        self._optimizer_class = optimizer_class
        self._next_rate_update = 0
        self.stop_on_divergence = stop_on_divergence
        self._divergence_check_period = validation.check_agent_steps(
            'lrrl.create_agent.divergence_check_period', divergence_check_period
        )
        self._next_divergence_check = 0
        self._divergence_reported = False
        super().__init__(sess, num_actions, **kwargs)
        self._applied_rate = learning_rate_controller.rate
        self._pending_rate = None
        with self._sess.graph.as_default():
            weights = self.online_convnet.trainable_variables
            self._weights_finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(w)) for w in weights])
        # Callables skip session.run's per-call fetch and feed handling.
        self._write_rate = self._sess.make_callable(self._assign_learning_rate, feed_list=[self._learning_rate_ph])
        self._run_weights_finite = self._sess.make_callable(self._weights_finite)

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
        if self.training_steps >= self._next_rate_update:
            self._advance_learning_rate()
        # Dopamine updates at the steps that are multiples of update_period (once its replay is warm).
        if self._pending_rate is not None and self.training_steps % self.update_period == 0:
            self.set_learning_rate(self._pending_rate)
        super()._train_step()

    def _advance_learning_rate(self):
        """Moves the controller to the current step; applies its rate if it changed."""
        self._apply_rate(self.learning_rate_controller.advance(self.training_steps))
        period = self.learning_rate_controller.rate_update_period
        self._next_rate_update = math.inf if period is None else (self.training_steps // period + 1) * period

    def _apply_rate(self, rate):
        """Uses ``rate`` from the next gradient update on (written to the graph just before it)."""
        self._pending_rate = None if rate == self._applied_rate else rate

    def set_learning_rate(self, rate):
        """Writes the rate to the graph now (no new ops)."""
        self._write_rate(rate)
        self._applied_rate = rate
        self._pending_rate = None

    def get_learning_rate(self):
        """The rate the optimizer uses at its next update (a pending one is written first)."""
        if self._pending_rate is not None:
            self.set_learning_rate(self._pending_rate)
        return float(self._sess.run(self.learning_rate))

    def check_weights_finite(self):
        """Raises ``errors.Divergence`` if the online weights are not finite (see the module doc)."""
        if self._run_weights_finite():
            return True
        error = errors.Divergence(self.training_steps, self._applied_rate)
        if self.stop_on_divergence:
            raise error
        if not self._divergence_reported:
            self._divergence_reported = True
            logging.warning('%s', error)
        return False

    def end_training_episode(self, episode_return):
        """Reports a training episode's raw return; applies a changed rate."""
        if self.training_steps >= self._next_divergence_check:
            self.check_weights_finite()
            self._next_divergence_check = self.training_steps + self._divergence_check_period
        new = self.learning_rate_controller.end_episode(episode_return, self.training_steps)
        self._apply_rate(new)
        return new

    def bundle_and_checkpoint(self, checkpoint_dir, iteration_number):
        bundle = super().bundle_and_checkpoint(checkpoint_dir, iteration_number)
        if bundle is not None:
            bundle[_BUNDLE_KEY] = self.learning_rate_controller.state_dict()
        return bundle

    def unbundle(self, checkpoint_dir, iteration_number, bundle_dictionary):
        if not super().unbundle(checkpoint_dir, iteration_number, bundle_dictionary):
            return False
        if bundle_dictionary and _BUNDLE_KEY in bundle_dictionary:
            self.learning_rate_controller.load_state_dict(bundle_dictionary[_BUNDLE_KEY])
        # The Saver restored the variable to the rate at checkpoint time; set it
        # from the restored controller so both agree whatever the checkpoint.
        self.set_learning_rate(self.learning_rate_controller.advance(self.training_steps))
        self._next_rate_update = self.training_steps
        return True


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
    divergence_check_period=1000,
    summary_writer=None,
    debug_mode=False,
):
    """Builds an LRRL agent (Dopamine's ``create_agent`` convention).

    Args:
      sess: a ``tf.compat.v1.Session`` or None (the agent makes one).
      environment: the environment, for its number of actions.
      agent_name: 'dqn' or 'implicit_quantile'.
      learning_rate_controller: the controller, e.g. ``@BanditLearningRate()``.
      optimizer_class: a ``tf.compat.v1.train`` optimizer class (no
        parentheses), e.g. ``@tf.train.AdamOptimizer``; default Adam.
      stop_on_divergence: raise ``errors.Divergence`` when the weights become
        non-finite (default); False only warns and trains on.
      divergence_check_period: agent steps at least between two checks of the
        weights at episode ends (the runner also checks before each checkpoint).
      summary_writer: passed to the agent when ``debug_mode``.
      debug_mode: write in-agent TensorBoard summaries (slower).
    """
    if agent_name not in _AGENT_CLASSES:
        raise ValueError(f'lrrl.create_agent.agent_name = {agent_name!r} is not allowed: it must be one of {AGENTS}.')
    return _AGENT_CLASSES[agent_name](
        sess,
        num_actions=environment.action_space.n,
        learning_rate_controller=learning_rate_controller,
        optimizer_class=optimizer_class,
        stop_on_divergence=stop_on_divergence,
        divergence_check_period=divergence_check_period,
        summary_writer=summary_writer if debug_mode else None,
    )
