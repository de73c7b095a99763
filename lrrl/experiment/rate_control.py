"""What every LRRL agent does with its learning-rate controller, whatever its framework.

One copy of the wiring between a Dopamine agent and a
``lrrl.control.controllers.LearningRateController``, shared by the TensorFlow
DQN/IQN agents (``lrrl.experiment.agents``) and the JAX PPO agent
(``lrrl.experiment.ppo``):

- the agent holds the controller and tells it the time: ``advance(step)`` at
  the steps the controller names (``next_advance``: a schedule's refresh, the
  end of a bandit round in agent steps; otherwise the per-step cost is one
  comparison), and when its first gradient update happens, so that no bandit
  round closes while the agent only fills its replay;
- the runner hands it each training episode's raw return
  (``end_training_episode``), which goes to ``controller.end_episode``;
- a rate that changed is written to the optimizer just before the next
  gradient update (``write_pending_rate``, which the agent calls there), not
  when the episode ends: a fixed rate costs nothing, and an arm that changes
  several times between two updates costs one write. Writing the rate
  (``_set_optimizer_rate``), reading it back and checking the weights are the
  parts a framework supplies;
- the divergence policy: at the end of a training episode, once at least
  ``divergence_check_period`` agent steps have passed since the last check,
  the weights are checked; non-finite weights raise ``errors.Divergence`` (or,
  with ``stop_on_divergence=False``, warn once);
- the controller's state rides in Dopamine's checkpoint bundle and is
  restored with the agent, which then applies the restored rate.

No framework is imported here. The controller's clock is ``controller_step``:
Dopamine's ``training_steps`` (agent steps, one per action chosen in
training) unless an agent says otherwise.
"""

from absl import logging

from lrrl import errors
from lrrl import run_folder
from lrrl import validation
from lrrl.control import controllers

# Key of the controller's state in Dopamine's bundle. It must not name an agent
# attribute: Dopamine's unbundle copies same-named keys into the agent.
_BUNDLE_KEY = run_folder.CONTROLLER_BUNDLE_KEY


class LearningRateControl:
    """Mixin, before a Dopamine agent class: the agent's learning rate is the controller's.

    Args:
      learning_rate_controller: a ``controllers.LearningRateController``.
      stop_on_divergence: raise ``errors.Divergence`` when the weights become
        non-finite (default); False only warns, once, and trains on.
      divergence_check_period: agent steps at least between two checks of the
        weights at episode ends (the runner also checks before each checkpoint).
      *args, **kwargs: for the Dopamine agent.

    A subclass supplies ``_set_optimizer_rate(rate)``, ``_read_optimizer_rate()``
    and ``weights_are_finite()``, calls ``advance_learning_rate_if_due()`` once
    per training step and ``write_pending_rate()`` just before each gradient
    update.
    """

    def __init__(
        self,
        *args,
        learning_rate_controller=None,
        stop_on_divergence=True,
        divergence_check_period=1000,
        **kwargs,
    ):
        if not isinstance(learning_rate_controller, controllers.LearningRateController):
            raise TypeError(
                f'{type(self).__name__} needs a learning_rate_controller (e.g. '
                f'@FixedLearningRate() or @BanditLearningRate()), got {learning_rate_controller!r}.'
            )
        self.learning_rate_controller = learning_rate_controller
        self.stop_on_divergence = stop_on_divergence
        self._divergence_check_period = validation.check_agent_steps(
            'lrrl.create_agent.divergence_check_period', divergence_check_period
        )
        self._next_divergence_check = 0
        self._next_rate_update = 0
        self._divergence_reported = False
        super().__init__(*args, **kwargs)
        # The framework built its optimizer with the controller's rate at that time.
        self._applied_rate = learning_rate_controller.rate
        self._pending_rate = None
        # No bandit round may close before the agent's first gradient update (its
        # returns cannot depend on the rate before): the agent says when it comes.
        # Resuming replaces this with the saved state (learning started or not).
        learning_rate_controller.wait_for_learning()

    # --- what a framework supplies ------------------------------------------

    def _set_optimizer_rate(self, rate):
        """Puts ``rate`` into the optimizer, for its next update on."""
        raise NotImplementedError

    def _read_optimizer_rate(self):
        """The rate the optimizer holds (read back from the framework)."""
        raise NotImplementedError

    def weights_are_finite(self):
        """Whether every weight of the trained network is finite."""
        raise NotImplementedError

    def _gradient_update_due(self):
        """Whether the agent makes a gradient update at this training step (the framework's own condition).

        The default says yes; an agent that warms up first says when it really updates.
        """
        return True

    def _earliest_gradient_update(self):
        """The first step at which a gradient update can come (for scheduling the next check)."""
        return self.controller_step

    @property
    def controller_step(self):
        """The controller's clock: agent steps (Dopamine's ``training_steps``)."""
        return self.training_steps

    # --- the shared wiring ---------------------------------------------------

    def set_learning_rate(self, rate):
        """Writes the rate to the optimizer now."""
        self._set_optimizer_rate(rate)
        self._applied_rate = rate
        self._pending_rate = None

    def write_pending_rate(self):
        """Writes a changed rate, if there is one: called just before a gradient update."""
        if self._pending_rate is not None:
            self.set_learning_rate(self._pending_rate)

    def get_learning_rate(self):
        """The rate the optimizer uses at its next update (a pending one is written first)."""
        self.write_pending_rate()
        return self._read_optimizer_rate()

    def advance_learning_rate_if_due(self):
        """Called once per training step: advances the controller at the steps it names (one comparison)."""
        if self.controller_step >= self._next_rate_update:
            self._advance_learning_rate()

    def note_gradient_update(self):
        """Tells a waiting controller that the agent's first gradient update happens now."""
        controller = self.learning_rate_controller
        if controller.awaiting_learning:
            controller.learning_started(self.controller_step)
            self._schedule_rate_update()

    def _advance_learning_rate(self):
        """Moves the controller to the current step; applies its rate if it changed."""
        controller = self.learning_rate_controller
        if controller.awaiting_learning and self._gradient_update_due():
            controller.learning_started(self.controller_step)
        self._apply_rate(controller.advance(self.controller_step))
        self._schedule_rate_update()

    def _schedule_rate_update(self):
        """Sets the next step at which ``advance_learning_rate_if_due`` advances the controller.

        The controller names it (``next_advance``: a schedule's refresh, the end
        of a bandit round counted in agent steps); a controller still waiting for
        the first gradient update is also asked at the first step one can come.
        """
        controller = self.learning_rate_controller
        upcoming = controller.next_advance(self.controller_step)
        if controller.awaiting_learning:
            upcoming = min(upcoming, self._earliest_gradient_update())
        self._next_rate_update = upcoming

    def _apply_rate(self, rate):
        """Uses ``rate`` from the next gradient update on (written just before it)."""
        self._pending_rate = None if rate == self._applied_rate else rate

    def check_weights_finite(self):
        """Raises ``errors.Divergence`` if the weights are not finite (see ``stop_on_divergence``)."""
        if self.weights_are_finite():
            return True
        error = errors.Divergence(self.controller_step, self._applied_rate)
        if self.stop_on_divergence:
            raise error
        if not self._divergence_reported:
            self._divergence_reported = True
            logging.warning('%s', error)
        return False

    def check_weights_if_due(self):
        """At an episode's end: checks the weights once ``divergence_check_period`` steps have passed."""
        if self.controller_step >= self._next_divergence_check:
            self.check_weights_finite()
            self._next_divergence_check = self.controller_step + self._divergence_check_period

    def end_training_episode(self, episode_return):
        """Reports a training episode's raw return; a changed rate is used from the next update."""
        self.check_weights_if_due()
        return self._report_return(episode_return)

    def _report_return(self, feedback):
        """One feedback to the controller; applies the rate it returns."""
        new = self.learning_rate_controller.end_episode(feedback, self.controller_step)
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
        # The framework restored the optimizer's rate as it was at checkpoint
        # time; set it from the restored controller so both agree whatever the
        # checkpoint.
        self.set_learning_rate(self.learning_rate_controller.advance(self.controller_step))
        self._next_rate_update = self.controller_step
        return True
