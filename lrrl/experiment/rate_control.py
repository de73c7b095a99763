"""What every LRRL agent does with its learning-rate controller, whatever its framework.

One copy of the wiring between a Dopamine agent and a
``lrrl.control.controllers.LearningRateController``, shared by the TensorFlow
DQN/IQN agents (``lrrl.experiment.agents``) and the JAX PPO agent
(``lrrl.experiment.ppo``):

- the agent holds the controller and tells it the time: ``advance(step)``
  every ``controller.rate_update_period`` steps (for controllers whose rate
  moves with time; for the others the per-step cost is one comparison);
- the runner hands it each training episode's raw return
  (``end_training_episode``), which goes to ``controller.end_episode``;
- a rate that changed is applied with ``set_learning_rate`` — the one part a
  framework must supply, with ``get_learning_rate`` and ``weights_are_finite``;
- the divergence policy: non-finite weights raise ``errors.Divergence`` (or,
  with ``stop_on_divergence=False``, warn once);
- the controller's state rides in Dopamine's checkpoint bundle and is
  restored with the agent, which then applies the restored rate.

No framework is imported here. The controller's clock is ``controller_step``:
Dopamine's ``training_steps`` (agent steps, one per action chosen in
training) unless an agent says otherwise.
"""

import math

from absl import logging

from lrrl import errors
from lrrl import run_folder
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
      *args, **kwargs: for the Dopamine agent.

    A subclass supplies ``_set_optimizer_rate(rate)``, ``get_learning_rate()``
    and ``weights_are_finite()``, and calls ``advance_learning_rate_if_due()``
    once per training step.
    """

    def __init__(self, *args, learning_rate_controller=None, stop_on_divergence=True, **kwargs):
        if not isinstance(learning_rate_controller, controllers.LearningRateController):
            raise TypeError(
                f'{type(self).__name__} needs a learning_rate_controller (e.g. '
                f'@FixedLearningRate() or @BanditLearningRate()), got {learning_rate_controller!r}.'
            )
        self.learning_rate_controller = learning_rate_controller
        self.stop_on_divergence = stop_on_divergence
        self._next_rate_update = 0
        self._divergence_reported = False
        super().__init__(*args, **kwargs)
        # The framework built its optimizer with the controller's rate at that time.
        self._applied_rate = learning_rate_controller.rate

    # --- what a framework supplies ------------------------------------------

    def _set_optimizer_rate(self, rate):
        """Puts ``rate`` into the optimizer, for its next update on."""
        raise NotImplementedError

    def get_learning_rate(self):
        """The rate the optimizer holds (read back from the framework)."""
        raise NotImplementedError

    def weights_are_finite(self):
        """Whether every weight of the trained network is finite."""
        raise NotImplementedError

    @property
    def controller_step(self):
        """The controller's clock: agent steps (Dopamine's ``training_steps``)."""
        return self.training_steps

    # --- the shared wiring ---------------------------------------------------

    def set_learning_rate(self, rate):
        """Sets the rate the optimizer uses from its next update on."""
        self._set_optimizer_rate(rate)
        self._applied_rate = rate

    def advance_learning_rate_if_due(self):
        """Called once per training step: advances the controller every ``rate_update_period`` steps."""
        if self.controller_step >= self._next_rate_update:
            self._advance_learning_rate()

    def _advance_learning_rate(self):
        """Moves the controller to the current step; applies its rate if it changed."""
        step = self.controller_step
        self._apply_rate(self.learning_rate_controller.advance(step))
        period = self.learning_rate_controller.rate_update_period
        self._next_rate_update = math.inf if period is None else (step // period + 1) * period

    def _apply_rate(self, rate):
        if rate != self._applied_rate:
            self.set_learning_rate(rate)

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

    def end_training_episode(self, episode_return):
        """Reports a training episode's raw return; applies a changed rate."""
        self.check_weights_finite()
        return self._report_return(episode_return)

    def _report_return(self, feedback):
        """One feedback to the controller; applies the rate it returns."""
        new = self.learning_rate_controller.end_episode(feedback, self.controller_step)
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
        # The framework restored the optimizer's rate as it was at checkpoint
        # time; set it from the restored controller so both agree whatever the
        # checkpoint.
        self.set_learning_rate(self.learning_rate_controller.advance(self.controller_step))
        self._next_rate_update = self.controller_step
        return True
