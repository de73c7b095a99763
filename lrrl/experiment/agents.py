"""Dopamine's TF DQN and IQN agents with a controller-set learning rate.

The only change to Dopamine's agents is in ``_build_train_op``: the optimizer
is built with a non-trainable ``learning_rate`` variable instead of a constant.
The controller sets that variable through one assign op built at the same
time, so switching rates adds nothing to the graph and keeps the optimizer's
slots (Adam's moments are shared by all arms). The variable is created before
Dopamine builds its Saver, so it is initialised and checkpointed with the
agent; the controller's own state rides in Dopamine's checkpoint bundle.

The controller is advanced at the agent steps it names (``next_advance``: a
schedule's refresh, the end of a bandit round counted in agent steps); the
per-step cost is one integer comparison. The agent tells the controller when
its first gradient update happens (Dopamine trains once the replay holds more
than ``min_replay_history`` transitions, every ``update_period`` steps), so
that no bandit round closes during the warm-up. An optimizer with ``restart_ops()`` (AdamRel) has them
run together with every target-network sync.

Divergence: a rate can make the loss, then the weights, non-finite. After
every training episode (not every step: one session call per episode, no
per-step host sync) the agent checks that its online weights are finite; the
runner checks again before each checkpoint. Non-finite weights raise
``errors.Divergence`` naming the agent step and the rate in use, so the run stops
before NaN weights can overwrite a good checkpoint — unless
``lrrl.create_agent.stop_on_divergence = False``, which only warns.
"""

from absl import logging
import gin
import tensorflow as tf
from dopamine.tf.agents.dqn import dqn_agent
from dopamine.tf.agents.implicit_quantile import implicit_quantile_agent

from lrrl import compat
from lrrl import errors
from lrrl import run_folder
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
        self, sess, num_actions, learning_rate_controller=None, optimizer_class=None, stop_on_divergence=True, **kwargs
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
        self._divergence_reported = False
        super().__init__(sess, num_actions, **kwargs)
        self._applied_rate = learning_rate_controller.rate
        # Resuming replaces this with the saved state (learning started or not).
        learning_rate_controller.wait_for_learning()
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
        if self.training_steps >= self._next_rate_update:
            self._advance_learning_rate()
        super()._train_step()

    def _advance_learning_rate(self):
        """Moves the controller to the current step; applies its rate if it changed."""
        controller = self.learning_rate_controller
        if controller.awaiting_learning and self._gradient_update_due():
            controller.learning_started(self.training_steps)
        self._apply_rate(controller.advance(self.training_steps))
        self._schedule_rate_update()

    def _gradient_update_due(self):
        """Whether Dopamine's ``_train_step`` runs the train op at this step (its own condition)."""
        return self._replay.memory.add_count > self.min_replay_history and self.training_steps % self.update_period == 0

    def _schedule_rate_update(self):
        """Sets the next step at which ``_train_step`` calls ``_advance_learning_rate``."""
        controller = self.learning_rate_controller
        upcoming = controller.next_advance(self.training_steps)
        if controller.awaiting_learning:
            # The replay gains at most one transition per training step, so the
            # first gradient update cannot come before this step.
            missing = max(self.min_replay_history + 1 - self._replay.memory.add_count, 0)
            earliest = -(-(self.training_steps + missing) // self.update_period) * self.update_period
            upcoming = min(upcoming, earliest)
        self._next_rate_update = upcoming

    def _apply_rate(self, rate):
        if rate != self._applied_rate:
            self.set_learning_rate(rate)

    def set_learning_rate(self, rate):
        """Sets the rate used from the next training step on (no new ops)."""
        self._sess.run(self._assign_learning_rate, {self._learning_rate_ph: rate})
        self._applied_rate = rate

    def get_learning_rate(self):
        """The rate in the graph (what the optimizer uses)."""
        return float(self._sess.run(self.learning_rate))

    def check_weights_finite(self):
        """Raises ``errors.Divergence`` if the online weights are not finite (see the module doc)."""
        if self._sess.run(self._weights_finite):
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
        self.check_weights_finite()
        new = self.learning_rate_controller.end_episode(episode_return, self.training_steps)
        self._apply_rate(new)
        # A round may have closed (or been extended to this episode's end).
        self._schedule_rate_update()
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
        summary_writer=summary_writer if debug_mode else None,
    )
