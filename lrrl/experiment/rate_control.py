"""What every LRRL agent does with its learning-rate controller, whatever its framework.

One copy of the wiring between a Dopamine agent and a
``lrrl.control.controllers.LearningRateController``, shared by the TensorFlow
DQN/IQN agents (``lrrl.experiment.agents``), the JAX DQN/IQN/Rainbow agents
(``lrrl.experiment.jax_agents``) and the JAX PPO agent
(``lrrl.experiment.ppo``); ``ReplayTrainedRateAgent`` adds the timing every
agent of Dopamine's DQN family shares, whatever its framework. The agent is the controller's only driver: the
runner talks to the agent (``start_run``, ``end_training_episode``,
``rate_snapshot``, ``take_round_records``), never to the controller.

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
- the round probe, when the controller needs it (a feedback that reads the
  TD loss, ``BanditLearningRate.record_probes``): at each round's start the
  agent draws a batch of replay transitions with its own generator and
  computes their TD targets with the target network; at the round's end it
  measures the online network on the same batch (``RoundProbe``). The probe
  only reads: a run with it trains step for step as one without it. A
  framework supplies ``_draw_probe_transitions`` and ``_probe_q_values``;
  one without them (PPO) refuses such a controller;
- the divergence policy: at the end of a training episode, once at least
  ``divergence_check_period`` agent steps have passed since the last check,
  the weights are checked; non-finite weights raise ``errors.Divergence`` (or,
  with ``stop_on_divergence=False``, warn once);
- the controller's state (and the probe's) rides in Dopamine's checkpoint
  bundle and is restored with the agent, which then applies the restored rate.

No framework is imported here. The controller's clock is ``controller_step``:
Dopamine's ``training_steps`` (agent steps, one per action chosen in
training) unless an agent says otherwise.
"""

import dataclasses

from absl import logging
import numpy as np

from lrrl import errors
from lrrl import run_folder
from lrrl import validation
from lrrl.control import controllers
from lrrl.control import feedback

# Keys of the controller's and the probe's state in Dopamine's bundle. They must
# not name an agent attribute: Dopamine's unbundle copies same-named keys into the agent.
_BUNDLE_KEY = run_folder.CONTROLLER_BUNDLE_KEY
_PROBE_BUNDLE_KEY = 'lrrl_round_probe'


@dataclasses.dataclass(frozen=True)
class RateSnapshot:
    """What the runner records of the rate at a moment (lr_trace.csv, the logs, the progress line)."""

    arm: int
    rate: float
    candidates: tuple
    probabilities: np.ndarray
    # Agent steps spent on each arm so far, or None if the controller does not count them.
    arm_steps: np.ndarray


def huber(errors_, delta=1.0):
    """Mean Huber loss of ``errors_`` (Dopamine's TF agents train with δ = 1)."""
    absolute = np.abs(errors_)
    return float(np.mean(np.where(absolute <= delta, 0.5 * errors_**2, delta * (absolute - 0.5 * delta))))


class RoundProbe:
    """A batch of replay transitions held through a bandit round, and the TD loss on it (module doc).

    ``redraw()`` draws a new batch with its own generator (the agent's replay
    sampling and every other random draw are untouched), computes the TD targets
    r + γⁿ (1 - terminal) max_a Q_target(s', a) with the target network of that
    moment and returns the probe (``feedback.Probe``); ``measure()`` returns it
    for the same batch later: the loss with the targets recomputed by the target
    network of that moment (``loss``) and against the targets of the draw
    (``loss_frozen``), and the largest |Q(s, a)| over the batch.

    Args:
      agent: supplies ``_draw_probe_transitions(rng, size)`` -> (states,
        actions, rewards, next_states, terminals) as numpy arrays, and
        ``_probe_q_values(states, next_states)`` -> (Q(s, ·), max_a Q_target(s', a)).
      size: transitions per batch (drawn with replacement, as Dopamine's replay does).
      discount: γⁿ, the agent's ``cumulative_gamma``.
    """

    def __init__(self, agent, size, discount):
        self._agent = agent
        self.size = size
        self.discount = float(discount)
        self._rng = np.random.default_rng(0)
        self._batch = None  # (states, actions, rewards, next_states, terminals, frozen targets)

    def seed(self, seed):
        self._rng = np.random.default_rng([int(seed), 0x9E3779B9])

    def _measure(self, states, actions, rewards, next_states, terminals, frozen):
        q_values, next_max = self._agent._probe_q_values(states, next_states)  # pylint: disable=protected-access
        q_taken = q_values[np.arange(len(actions)), actions]
        targets = rewards + self.discount * (1.0 - terminals) * next_max
        with np.errstate(all='ignore'):  # a diverged network gives inf/NaN: the probe says so
            probe = feedback.Probe(
                loss=huber(targets - q_taken),
                loss_frozen=huber((targets if frozen is None else frozen) - q_taken),
                q_max=float(np.max(np.abs(q_values))),
            )
        return probe, targets

    def redraw(self):
        states, actions, rewards, next_states, terminals = self._agent._draw_probe_transitions(self._rng, self.size)  # pylint: disable=protected-access
        actions = np.asarray(actions, dtype=np.int64)
        rewards, terminals = (np.asarray(a, dtype=np.float64) for a in (rewards, terminals))
        probe, targets = self._measure(states, actions, rewards, next_states, terminals, None)
        self._batch = (states, actions, rewards, next_states, terminals, targets)
        return probe

    def measure(self):
        if self._batch is None:
            raise RuntimeError('RoundProbe.measure() before any batch was drawn (redraw).')
        return self._measure(*self._batch)[0]

    def state_dict(self):
        return {'rng': self._rng.bit_generator.state, 'batch': self._batch}

    def load_state_dict(self, state):
        self._rng.bit_generator.state = state['rng']
        self._batch = state['batch']


class ControlledRateAgent:
    """Mixin, before a Dopamine agent class: the agent's learning rate is the controller's.

    Args:
      learning_rate_controller: a ``controllers.LearningRateController``.
      stop_on_divergence: raise ``errors.Divergence`` when the weights become
        non-finite (default); False only warns, once, and trains on.
      divergence_check_period: agent steps at least between two checks of the
        weights at episode ends (the runner also checks before each checkpoint).
      probe_batch_size: replay transitions in the round probe (module doc),
        when the controller needs it.
      *args, **kwargs: for the Dopamine agent.

    A subclass supplies ``_set_optimizer_rate(rate)``, ``_read_optimizer_rate()``
    and ``weights_are_finite()``, calls ``advance_learning_rate_if_due()`` once
    per training step and ``write_pending_rate()`` just before each gradient
    update; for the round probe, ``_draw_probe_transitions`` and
    ``_probe_q_values`` (``RoundProbe``) and ``supports_probe = True``.
    """

    # Whether the framework measures the round probe (``RoundProbe``).
    supports_probe = False

    def __init__(
        self,
        *args,
        learning_rate_controller=None,
        stop_on_divergence=True,
        divergence_check_period=1000,
        probe_batch_size=512,
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
        if learning_rate_controller.needs_probe and not self.supports_probe:
            raise errors.ConfigError(
                f'{type(self).__name__} cannot measure the round probe (the TD loss on a batch of replay '
                'transitions) that this controller needs (BanditLearningRate.feedback reads it, or '
                'BanditLearningRate.record_probes = True): use a return-based feedback, e.g. @RoundImprovement().'
            )
        self._probe_batch_size = validation.check_int('lrrl.create_agent.probe_batch_size', probe_batch_size, 1)
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
        # The probe's first batch is drawn when the first round begins (the replay is warm then).
        self._round_probe = None
        if learning_rate_controller.needs_probe:
            self._round_probe = RoundProbe(self, self._probe_batch_size, self._probe_discount())
            learning_rate_controller.attach_probe(self._round_probe)

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

    def _probe_discount(self):
        """γⁿ of the TD targets (Dopamine's ``cumulative_gamma``)."""
        return self.cumulative_gamma

    def _draw_probe_transitions(self, rng, size):
        """(states, actions, rewards, next_states, terminals) of ``size`` replay transitions drawn with ``rng``."""
        raise NotImplementedError

    def _probe_q_values(self, states, next_states):
        """(Q(s, ·) of the online network, max_a Q(s', a) of the target network), as numpy arrays."""
        raise NotImplementedError

    @property
    def controller_step(self):
        """The controller's clock: agent steps (Dopamine's ``training_steps``)."""
        return self.training_steps

    # --- what the runner calls ---------------------------------------------------

    def start_run(self, num_steps, seed):
        """Before training (and before a checkpoint is restored): the run's length in agent steps, its seed.

        A controller whose settings are relative to the run (``round_fraction``)
        resolves them; the controller's and the probe's random draws are seeded.
        A restored checkpoint then replaces both with what was saved.
        """
        self.learning_rate_controller.set_run_length(num_steps)
        self.learning_rate_controller.seed(seed)
        if self._round_probe is not None:
            self._round_probe.seed(seed)

    def rate_snapshot(self):
        """The controller's arm, rate, candidates, probabilities and steps per arm now."""
        controller = self.learning_rate_controller
        return RateSnapshot(
            arm=controller.arm,
            rate=controller.rate,
            candidates=tuple(controller.candidates),
            probabilities=np.asarray(controller.probabilities()),
            arm_steps=controller.arm_steps(self.controller_step),
        )

    def take_round_records(self):
        """The bandit rounds closed since the last call, one dict each (rounds.csv)."""
        return self.learning_rate_controller.take_round_records()

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
            if self._round_probe is not None:
                bundle[_PROBE_BUNDLE_KEY] = self._round_probe.state_dict()
        return bundle

    def unbundle(self, checkpoint_dir, iteration_number, bundle_dictionary):
        if not super().unbundle(checkpoint_dir, iteration_number, bundle_dictionary):
            return False
        if bundle_dictionary and _BUNDLE_KEY in bundle_dictionary:
            self.learning_rate_controller.load_state_dict(bundle_dictionary[_BUNDLE_KEY])
        if bundle_dictionary and self._round_probe is not None and _PROBE_BUNDLE_KEY in bundle_dictionary:
            self._round_probe.load_state_dict(bundle_dictionary[_PROBE_BUNDLE_KEY])
        # The framework restored the optimizer's rate as it was at checkpoint
        # time; set it from the restored controller so both agree whatever the
        # checkpoint.
        self.set_learning_rate(self.learning_rate_controller.advance(self.controller_step))
        self._next_rate_update = self.controller_step
        return True


class ReplayTrainedRateAgent(ControlledRateAgent):
    """Mixin for Dopamine's DQN family (TF DQN/IQN, JAX DQN/IQN/Rainbow): when its gradient updates come.

    Those agents run a gradient update at every ``update_period``-th training
    step once their replay holds more than ``min_replay_history`` items
    (``_train_step`` of each of them). So the controller is advanced once per
    training step (one comparison), a changed rate is written just before the
    steps where an update can come, and the first update is the first such
    step with a warm replay. A framework supplies ``_replay_add_count()``.
    """

    def _replay_add_count(self):
        """Items the replay has taken in so far (Dopamine's ``add_count``)."""
        raise NotImplementedError

    def _replay_items_held_back(self):
        """At most how many stored transitions have not reached the replay's count yet (n-step accumulators)."""
        return 0

    def _train_step(self):
        self.advance_learning_rate_if_due()
        # Dopamine updates at the steps that are multiples of update_period (once its replay is warm).
        if self.training_steps % self.update_period == 0:
            self.write_pending_rate()
        super()._train_step()

    def _gradient_update_due(self):
        """Whether Dopamine's ``_train_step`` makes a gradient update at this step (its own condition)."""
        return self._replay_add_count() > self.min_replay_history and self.training_steps % self.update_period == 0

    def _earliest_gradient_update(self):
        """The first agent step at which Dopamine can update, from the replay's fill.

        The replay takes in at most one transition per training step, plus
        those an n-step accumulator holds back; an estimate that comes early
        only makes the agent look again then.
        """
        missing = max(self.min_replay_history + 1 - self._replay_add_count() - self._replay_items_held_back(), 0)
        return -(-(self.training_steps + missing) // self.update_period) * self.update_period
