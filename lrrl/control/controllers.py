"""Learning-rate controllers: what sets the optimizer's rate (no TensorFlow).

A controller is one gin-configurable object that the agent asks for its
learning rate. The runner tells it, through the agent, when a training episode
ends and what raw return it had; the controller may then change the rate,
which takes effect from the next training step. Evaluation episodes are never
reported.

``FixedLearningRate`` is the constant baseline; ``ScheduledLearningRate``
follows a schedule of the agent step (decays, cyclical rates; see
``lrrl.control.schedules``); ``BanditLearningRate`` is LRRL: it closes a bandit round
every κ training episodes (``episodes_per_round``, the first reading of the
paper) or every κ agent steps (``steps_per_round``, the paper's Algorithm 1)
with the mean return of the round's episodes, tells the bandit (directly, or
as an improvement computed by ``lrrl.control.feedback``) and draws the next
arm. Its arms are constant rates or, for the paper's "scheduler arms",
schedules.

Time is the agent step t (Dopamine's ``training_steps``). The agent calls
``advance(t)`` at the steps ``next_advance`` names (a schedule's refresh, the
end of a round in agent steps) and applies the rate it returns; it calls
``end_episode`` after each training episode. An agent whose first gradient
update comes after a warm-up (Dopamine's ``min_replay_history``) calls
``wait_for_learning()`` when it is built and ``learning_started(t)`` at that
update: no round in agent steps closes before it.
"""

import dataclasses
import math

import gin
import numpy as np

from lrrl import validation
from lrrl.control import bandits
from lrrl.control import feedback as feedback_lib
from lrrl.control import schedules


class LearningRateController:
    """The interface between an agent and whatever chooses its learning rate.

    Attributes read by the agent and the runner:
      rate: the learning rate to use now (a Python float).
      candidates: the rates the controller can choose from (its arms); a
        one-element tuple for a fixed rate.
      arm: index into ``candidates`` of the current rate.
    """

    name = 'LearningRateController'
    # Agent steps between refreshes of a rate that moves with time (a
    # schedule); None when the rate changes only when a round ends.
    rate_update_period = None

    @property
    def rate(self):
        raise NotImplementedError

    @property
    def candidates(self):
        raise NotImplementedError

    @property
    def arm(self):
        return 0

    @property
    def num_arms(self):
        return len(self.candidates)

    def advance(self, step):
        """Moves the controller's clock to agent step ``step``; returns the rate."""
        del step
        return self.rate

    def next_advance(self, step):
        """The agent step at which the agent must call ``advance`` next (inf: not before an episode ends).

        The agent compares its step with this number at every training step
        (one integer comparison) and asks again after each ``advance`` and
        each ``end_episode``.
        """
        period = self.rate_update_period
        return math.inf if period is None else (int(step) // period + 1) * period

    def set_run_length(self, steps):
        """The run's length in agent steps (``Runner.num_iterations`` x ``Runner.training_steps``).

        The runner says it before a checkpoint is restored; a controller whose
        settings are relative to the run resolves them here.
        """
        del steps

    def wait_for_learning(self):
        """The agent will call ``learning_started`` at its first gradient update."""

    @property
    def awaiting_learning(self):
        """Whether the controller waits for ``learning_started`` (then the agent must call it)."""
        return False

    def learning_started(self, step):
        """The agent makes its first gradient update at agent step ``step``."""
        del step

    def arm_steps(self, step):
        """Agent steps spent on each arm from the start to ``step``, or None if not counted."""
        del step
        return None

    def probabilities(self):
        """Current probability of each arm (for the trace and the plots)."""
        return np.ones(1)

    def seed(self, seed):
        """Restarts the controller's random choices (before training starts)."""

    @property
    def needs_probe(self):
        """Whether the agent must measure its probe batch at every round's start and end (``attach_probe``)."""
        return False

    def attach_probe(self, probe):
        """The agent's probe (``measure()`` and ``redraw()``, each returning a ``feedback.Probe``)."""
        del probe

    def take_round_records(self):
        """The closed rounds not taken yet, one dict each (the run folder's rounds.csv), oldest first."""
        return []

    def end_episode(self, episode_return, step):
        """Called after each training episode with its raw (unclipped) return.

        Args:
          episode_return: the episode's undiscounted, unclipped return.
          step: the agent's training step count at the end of the episode.

        Returns:
          The learning rate for the next episode.
        """
        del episode_return, step
        return self.rate

    def state_dict(self):
        """Full state as plain Python data (saved in the agent's checkpoint)."""
        return {'class': type(self).__name__}

    def load_state_dict(self, state):
        if state.get('class') != type(self).__name__:
            raise ValueError(
                f'The checkpoint holds the state of a {state.get("class")}, but '
                f'the configuration builds a {type(self).__name__}; resume with '
                'the configuration the run was started with.'
            )


def _none_if_nan(value):
    """Plain data for a saved state or a record: None for a missing (NaN) value."""
    return None if value is None or math.isnan(value) else float(value)


def _check_rate(binding, rate):
    validation.require(validation.is_real(rate) and rate >= 0, binding, rate, 'a finite number >= 0')
    return float(rate)


@gin.configurable
class FixedLearningRate(LearningRateController):
    """A constant learning rate: the paper's fixed-rate baselines."""

    name = 'FixedLearningRate'

    def __init__(self, rate=6.25e-5):
        self._rate = _check_rate('FixedLearningRate.rate', rate)

    @property
    def rate(self):
        return self._rate

    @property
    def candidates(self):
        return (self._rate,)

    def state_dict(self):
        return {'class': type(self).__name__, 'rate': self._rate}

    def load_state_dict(self, state):
        super().load_state_dict(state)
        if state['rate'] != self._rate:
            raise ValueError(
                f'The checkpoint was trained with FixedLearningRate.rate = '
                f'{state["rate"]}, the configuration says {self._rate}.'
            )


def _check_schedule_state(binding, saved, configured):
    if saved != configured:
        raise ValueError(
            f'The checkpoint was trained with {binding} = {saved}, the configuration says '
            f'{configured}; resume with the configuration the run was started with.'
        )


@gin.configurable
class ScheduledLearningRate(LearningRateController):
    """A rate that follows one schedule of the agent step: the decay and cyclical baselines.

    Args:
      schedule: a ``lrrl.control.schedules.LearningRateSchedule``, e.g. ``@ExponentialDecay()``.
      rate_update_period: agent steps between rate updates in the graph. The rate
        is piecewise constant over such intervals (it is the schedule's value
        at the interval's first step); 1 applies it exactly at every step, at
        the cost of one extra session call per step.
    """

    name = 'ScheduledLearningRate'

    def __init__(self, schedule=gin.REQUIRED, rate_update_period=100):
        if not isinstance(schedule, schedules.LearningRateSchedule):
            raise ValueError(
                f'ScheduledLearningRate.schedule = {schedule!r} is not allowed: it must be a '
                'learning-rate schedule, e.g. @ExponentialDecay() or @CyclicalRate().'
            )
        self.schedule = schedule
        self.rate_update_period = validation.check_agent_steps(
            'ScheduledLearningRate.rate_update_period', rate_update_period
        )
        self._step = 0

    @property
    def rate(self):
        return self.schedule(self._step)

    @property
    def candidates(self):
        return (self.rate,)

    def advance(self, step):
        self._step = int(step)
        return self.rate

    def end_episode(self, episode_return, step):
        del episode_return
        return self.advance(step)

    def state_dict(self):
        return {'class': type(self).__name__, 'schedule': self.schedule.state_dict(), 'step': self._step}

    def load_state_dict(self, state):
        super().load_state_dict(state)
        _check_schedule_state('ScheduledLearningRate.schedule', state['schedule'], self.schedule.state_dict())
        self._step = int(state['step'])


@gin.configurable
class BanditLearningRate(LearningRateController):
    """LRRL: a bandit over candidate learning rates, fed with the returns of training episodes.

    A round is κ training episodes (``episodes_per_round``) or κ agent steps
    (``steps_per_round``). Its value is the mean raw return of the episodes
    that count for it:

    - rounds of κ episodes: the round's episodes, except the first
      ⌊burn_in·κ⌋. The bandit moves with the episode count, which is larger
      when the policy is bad (short episodes).
    - rounds of κ agent steps (arXiv 2410.12598, Algorithm 1: the bandit acts
      every κ steps, beside the update and target periods): the round closes
      at the step where κ steps have passed since it began, switching the
      rate there, mid-episode if need be. Its value is the mean return of the
      training episodes that ended within it, after its first ⌊burn_in·κ⌋
      steps; a round in which none ended extends until one does, and closes
      at its end. The first round begins at the agent's first gradient update
      (``learning_started``; at step 0 for a controller driven without an
      agent), so the warm-up of the replay buffer feeds nothing to the bandit.

    The bandit then gets the value itself (``feedback = None``; LRRL's
    ``Exp3Bandit`` computes the paper's improvement from it) or the
    improvement computed by ``feedback`` (``lrrl.control.feedback``), which
    works with every bandit.

    Args:
      rates: the candidate set (the arms), each a finite rate > 0.
      schedules: instead of ``rates``, arms that are schedules of the agent
        step (the paper's "scheduler arms", e.g. three ``ExponentialDecay``
        with d = 1, 2, 3e-7). Every schedule advances with time whether or not
        its arm is played.
      bandit: the bandit class, called as ``bandit(num_arms=K)``; its other
        parameters come from gin (e.g. ``Exp3Bandit.decay = 0.9``).
      episodes_per_round: κ >= 1 training episodes per round, when
        ``steps_per_round`` is None.
      steps_per_round: κ >= 1 agent steps per round, or None: then rounds are
        ``round_fraction`` of the run, or else ``episodes_per_round`` episodes.
      round_fraction: with ``steps_per_round`` None, κ as a share of the run
        in (0, 1]: κ = round_fraction x (the run's agent steps), resolved when
        the run starts (``set_run_length``) and kept in the checkpoint, so a run
        extended later keeps its rounds. 0.01 gives 100 rounds a run, as on the
        bandit testbed (docs/bandits.md).
      burn_in: in [0, 1): the share of each round left out of its value (the
        returns there mostly reflect earlier rounds' rates).
      feedback: None, or a feedback class of ``lrrl.control.feedback``
        (``@RoundImprovement()``, ``@LossImprovement()``, ``@DivergenceGuard()``;
        then the bandit must not difference again: ``Exp3Bandit.window = None``).
      record_probes: measure the agent's probe (TD loss and |Q| on a batch of
        replay transitions) at every round's start and end even when the
        feedback does not read it, so that rounds.csv holds it (the feedback
        information diagnostic, ``lrrl.analysis.arm_information``). It does
        not change training: the probe only reads the networks and draws its
        batch with its own generator.
      rate_update_period: with schedule arms, agent steps between rate updates in
        the graph (see ``ScheduledLearningRate``); unused with constant rates.
    """

    name = 'BanditLearningRate'

    def __init__(
        self,
        rates=None,
        schedules=None,
        bandit=bandits.Exp3Bandit,
        episodes_per_round=1,
        steps_per_round=None,
        burn_in=0.0,
        feedback=None,
        rate_update_period=100,
        round_fraction=None,
        record_probes=False,
    ):
        if (rates is None) == (schedules is None):
            raise ValueError(
                'BanditLearningRate needs exactly one of BanditLearningRate.rates (constant '
                'arms, e.g. (6.25e-5, 1.25e-4)) and BanditLearningRate.schedules (schedule '
                f'arms); got rates = {rates!r} and schedules = {schedules!r}.'
            )
        self._arms = self._check_rates(rates) if schedules is None else self._check_schedules(schedules)
        validation.require(
            validation.is_int(episodes_per_round, 1),
            'BanditLearningRate.episodes_per_round',
            episodes_per_round,
            'an integer κ >= 1',
        )
        validation.require(
            steps_per_round is None or validation.is_int(steps_per_round, 1),
            'BanditLearningRate.steps_per_round',
            steps_per_round,
            'a whole number of agent steps κ >= 1, or None for rounds of episodes',
        )
        validation.require(
            round_fraction is None or (validation.is_real(round_fraction) and 0 < round_fraction <= 1),
            'BanditLearningRate.round_fraction',
            round_fraction,
            'a share of the run in (0, 1], or None',
        )
        step_rounds = steps_per_round is not None or round_fraction is not None
        validation.require(
            not step_rounds or episodes_per_round == 1,
            'BanditLearningRate.episodes_per_round',
            episodes_per_round,
            '1 (unbound) when BanditLearningRate.steps_per_round or round_fraction sets rounds in agent steps',
        )
        validation.require(
            validation.is_real(burn_in) and 0 <= burn_in < 1, 'BanditLearningRate.burn_in', burn_in, 'in [0, 1)'
        )
        validation.require(
            feedback is None or isinstance(feedback, feedback_lib.RoundFeedback),
            'BanditLearningRate.feedback',
            feedback,
            'None (the round value itself) or a feedback class, e.g. @RoundImprovement() or @LossImprovement()',
        )
        validation.require(
            isinstance(record_probes, (bool, np.bool_)),
            'BanditLearningRate.record_probes',
            record_probes,
            'True or False',
        )
        validation.require(
            not (record_probes or (feedback is not None and feedback.needs_probe)) or step_rounds,
            'BanditLearningRate.steps_per_round',
            steps_per_round,
            'set (or round_fraction) when the probe is measured (record_probes, or a feedback that reads it): '
            "each round's probe batch is drawn when it begins, the first at the agent's first gradient update",
        )
        self.episodes_per_round = int(episodes_per_round)
        # An explicit κ wins over a share of the run (bind round_fraction = None to be explicit).
        self.round_fraction = None if steps_per_round is not None or round_fraction is None else float(round_fraction)
        self._steps_per_round_setting = None if steps_per_round is None else int(steps_per_round)
        # κ in agent steps: the setting, or resolved from round_fraction by set_run_length.
        self.steps_per_round = self._steps_per_round_setting
        self.burn_in = float(burn_in)
        self.feedback = feedback
        self.record_probes = bool(record_probes)
        if schedules is not None:
            self.rate_update_period = validation.check_agent_steps(
                'BanditLearningRate.rate_update_period', rate_update_period
            )
        self.bandit = bandit(num_arms=len(self._arms))
        window = getattr(self.bandit, 'window', None)
        validation.require(
            feedback is None or window is None,
            f'{self.bandit.name}.window',
            window,
            'None when BanditLearningRate.feedback computes the improvement (it would be differenced twice)',
        )
        self._step = 0
        # Rounds in agent steps: the step where the current round began, None
        # while waiting for the agent's first gradient update.
        self._round_start = 0
        self._round_values = []  # returns that count for the current round
        self._round_episodes = 0  # episodes ended in the current round (rounds of episodes)
        self._arm_steps = np.zeros(len(self._arms), dtype=np.int64)
        self._arm_since = 0  # the step where the current arm began
        self.rounds_closed = 0
        # Returns of the latest episodes as (agent step, return), for each round's
        # "before" (feedback.RoundOutcome); the mean of them when the round began.
        self._recent_returns = []
        self._round_before = math.nan
        self._round_began = 0  # the agent step where the current round began
        self._probe = None  # the agent's probe (attach_probe)
        self._probe_start = None  # the probe at the current round's start
        self._round_records = []  # closed rounds not taken yet (take_round_records)
        self._select_arm()

    @staticmethod
    def _check_rates(rates):
        if isinstance(rates, (int, float, str)) or not hasattr(rates, '__len__') or len(rates) == 0:
            raise ValueError(
                f'BanditLearningRate.rates = {rates!r} is not allowed: it must be '
                'a non-empty list of learning rates, e.g. (6.25e-5, 1.25e-4).'
            )
        checked = tuple(_check_rate('BanditLearningRate.rates', r) for r in rates)
        if any(r == 0 for r in checked):
            raise ValueError(
                f'BanditLearningRate.rates = {tuple(rates)!r} is not allowed: every candidate rate must be > 0.'
            )
        if len(set(checked)) != len(checked):
            raise ValueError(
                f'BanditLearningRate.rates = {tuple(rates)!r} is not allowed: the candidate rates must be distinct.'
            )
        return tuple(schedules.ConstantRate(r) for r in checked)

    @staticmethod
    def _check_schedules(arms):
        if (
            isinstance(arms, (str, schedules.LearningRateSchedule))
            or not hasattr(arms, '__len__')
            or len(arms) == 0
            or not all(isinstance(a, schedules.LearningRateSchedule) for a in arms)
        ):
            raise ValueError(
                f'BanditLearningRate.schedules = {arms!r} is not allowed: it must be a non-empty '
                'list of schedules, e.g. [@d1/ExponentialDecay(), @d2/ExponentialDecay()].'
            )
        states = [a.state_dict() for a in arms]
        if any(states.count(x) > 1 for x in states):
            raise ValueError(
                f'BanditLearningRate.schedules = {list(arms)!r} is not allowed: the schedules must be distinct.'
            )
        return tuple(arms)

    @property
    def rate(self):
        return self._arms[self.bandit.arm](self._step)

    @property
    def candidates(self):
        """Each arm's rate at the current step."""
        return tuple(arm(self._step) for arm in self._arms)

    @property
    def arms(self):
        return self._arms

    @property
    def arm(self):
        return self.bandit.arm

    def probabilities(self):
        return self.bandit.probabilities()

    def seed(self, seed):
        self.bandit.seed(seed)
        self._round_values = []
        self._round_episodes = 0
        self._select_arm()

    def _select_arm(self):
        """Draws the next round's arm; keeps the probabilities it was drawn from (rounds.csv)."""
        self._draw_probabilities = self.bandit.probabilities().tolist()
        self.bandit.select_arm()

    def config(self):
        """The round's settings (saved with the state and checked on resume)."""
        return {
            'episodes_per_round': self.episodes_per_round,
            'steps_per_round': self._steps_per_round_setting,
            'round_fraction': self.round_fraction,
            'burn_in': self.burn_in,
            'feedback': None if self.feedback is None else self.feedback.name,
            'record_probes': self.record_probes,
        }

    # Settings added after states were first saved, with the value those states had.
    ADDED_SETTINGS = {'record_probes': False}

    # The probe.

    @property
    def needs_probe(self):
        return self.record_probes or (self.feedback is not None and self.feedback.needs_probe)

    def attach_probe(self, probe):
        self._probe = probe
        # A controller driven without an agent began its first round when it was built: measure its start now.
        if self.needs_probe and self._probe_start is None and not self.awaiting_learning and self.steps_per_round:
            self._probe_start = probe.redraw()

    def _redraw_probe(self):
        """A new probe batch for the round that begins now; its measurement."""
        if not self.needs_probe:
            return None
        if self._probe is None:
            raise RuntimeError(
                'BanditLearningRate needs the agent to measure its probe (the feedback reads it, or '
                'record_probes = True), and no agent attached one (attach_probe).'
            )
        return self._probe.redraw()

    # Rounds.

    @property
    def step_rounds(self):
        """Whether rounds are counted in agent steps (else in episodes)."""
        return self._steps_per_round_setting is not None or self.round_fraction is not None

    def set_run_length(self, steps):
        if self.round_fraction is not None:
            self.steps_per_round = max(1, int(round(self.round_fraction * int(steps))))

    def wait_for_learning(self):
        if self.step_rounds:
            self._round_start = None

    @property
    def awaiting_learning(self):
        return self.step_rounds and self._round_start is None

    def _check_resolved(self):
        if self.steps_per_round is None:
            raise RuntimeError(
                'BanditLearningRate.round_fraction is set but the run length is unknown: call '
                'set_run_length(steps) first (the runner does it before training).'
            )

    def learning_started(self, step):
        if self.awaiting_learning:
            self._check_resolved()
            self._step = int(step)
            self._round_start = self._step
            self._begin_round()

    def _begin_round(self):
        """What a round needs to know when it begins: the returns just before it, the probe."""
        self._round_began = self._step
        self._round_before = self._returns_before()
        self._probe_start = self._redraw_probe()

    def _counted_span(self):
        """The part of a round whose returns count: agent steps (rounds in steps) or episodes."""
        if self.step_rounds:
            return max(1, self.steps_per_round - int(self.burn_in * self.steps_per_round))
        return max(1, self.episodes_per_round - int(self.burn_in * self.episodes_per_round))

    def _returns_before(self):
        """The mean return of the episodes that ended in the span before now as long as a round's counted part.

        NaN when no episode has ended yet; the last one when none ended in that span.
        """
        if not self._recent_returns:
            return math.nan
        span = self._counted_span()
        if self.step_rounds:
            recent = [r for s, r in self._recent_returns if s > self._step - span]
        else:
            recent = [r for _, r in self._recent_returns[-span:]]
        return float(np.mean(recent)) if recent else float(self._recent_returns[-1][1])

    def _remember_return(self, episode_return):
        self._recent_returns.append((self._step, float(episode_return)))
        if self.step_rounds and self.steps_per_round is None:
            del self._recent_returns[:-1]  # κ not resolved yet (no round can begin before it is)
            return
        # Keep a round's counted span (and the last episode, for long episodes).
        span = self._counted_span()
        if self.step_rounds:
            while len(self._recent_returns) > 1 and self._recent_returns[0][0] <= self._step - span:
                self._recent_returns.pop(0)
        else:
            del self._recent_returns[:-span]

    def _round_end(self):
        return self._round_start + self.steps_per_round

    def next_advance(self, step):
        upcoming = super().next_advance(step)  # a schedule arm's refresh
        if self.steps_per_round is not None and self._round_start is not None and step < self._round_end():
            upcoming = min(upcoming, self._round_end())
        return upcoming

    def advance(self, step):
        self._step = int(step)
        self._close_step_round_if_due()
        return self.rate

    def end_episode(self, episode_return, step):
        self._step = int(step)
        self._remember_return(episode_return)
        if not self.step_rounds:
            self._round_episodes += 1
            if self._round_episodes > int(self.burn_in * self.episodes_per_round):
                self._round_values.append(float(episode_return))
            if self._round_episodes >= self.episodes_per_round:
                self._close_round()
        elif self._round_start is not None:
            if self._step >= self._round_start + int(self.burn_in * self.steps_per_round):
                self._round_values.append(float(episode_return))
            self._close_step_round_if_due()
        return self.rate

    def _close_step_round_if_due(self):
        if (
            self.steps_per_round is not None
            and self._round_start is not None
            and self._step >= self._round_end()
            and self._round_values
        ):
            self._close_round()
            self._round_start = self._step

    def _close_round(self):
        value = float(np.mean(self._round_values))
        arm = self.bandit.arm
        probe_end = self._probe.measure() if self._probe_start is not None else None
        outcome = feedback_lib.RoundOutcome(
            arm=arm, value=value, before=self._round_before, probe_start=self._probe_start, probe_end=probe_end
        )
        signal = value if self.feedback is None else self.feedback.signal(outcome)
        self.bandit.update(signal)
        self._record_round(outcome, signal)
        self._round_values = []
        self._round_episodes = 0
        self._arm_steps[arm] += self._step - self._arm_since
        self._arm_since = self._step
        self.rounds_closed += 1
        self._select_arm()
        self._begin_round()

    def _record_round(self, outcome, signal):
        start = self._round_began
        record = {
            'round': self.rounds_closed,
            'start_step': start,
            'end_step': self._step,
            'arm': outcome.arm,
            'learning_rate': self._arms[outcome.arm](start),
            'episodes': len(self._round_values),
            'value': outcome.value,
            'before': _none_if_nan(outcome.before),
            'feedback': float(signal),
        }
        for name, probe in (('start', outcome.probe_start), ('end', outcome.probe_end)):
            if probe is not None:
                record.update(
                    {f'loss_{name}': probe.loss, f'loss_frozen_{name}': probe.loss_frozen, f'q_max_{name}': probe.q_max}
                )
        record.update((f'p_{k}', p) for k, p in enumerate(self._draw_probabilities))
        self._round_records.append(record)

    def take_round_records(self):
        records, self._round_records = self._round_records, []
        return records

    def arm_steps(self, step):
        counts = self._arm_steps.copy()
        counts[self.bandit.arm] += max(int(step) - self._arm_since, 0)
        return counts

    # State.

    def state_dict(self):
        return {
            'class': type(self).__name__,
            'format': bandits.STATE_FORMAT,
            'config': self.config(),
            'arms': [arm.state_dict() for arm in self._arms],
            'steps_per_round': self.steps_per_round,
            'step': self._step,
            'round_start': self._round_start,
            'round_returns': list(self._round_values),
            'round_episodes': self._round_episodes,
            'arm_steps': self._arm_steps.tolist(),
            'arm_since': self._arm_since,
            'rounds_closed': self.rounds_closed,
            'recent_returns': [list(pair) for pair in self._recent_returns],
            'round_before': _none_if_nan(self._round_before),
            'round_began': self._round_began,
            'probe_start': None if self._probe_start is None else dataclasses.asdict(self._probe_start),
            'draw_probabilities': list(self._draw_probabilities),
            'round_records': list(self._round_records),
            'feedback': None
            if self.feedback is None
            else {'config': self.feedback.config(), 'state': self.feedback.state_dict()},
            'bandit': self.bandit.state_dict(),
        }

    def load_state_dict(self, state):
        super().load_state_dict(state)
        _check_schedule_state(
            'BanditLearningRate.rates/schedules', state['arms'], [arm.state_dict() for arm in self._arms]
        )
        if 'format' not in state:
            self._load_legacy_state(state)
            return
        bandits.check_saved_config(self.name, {**self.ADDED_SETTINGS, **state['config']}, self.config())
        if self.feedback is not None:
            bandits.check_saved_config(self.feedback.name, state['feedback']['config'], self.feedback.config())
        self.bandit.load_state_dict(state['bandit'])
        if self.feedback is not None:
            self.feedback.load_state_dict(state['feedback']['state'])
        # κ as resolved when the run started (a run extended since keeps its rounds).
        saved_steps_per_round = state.get('steps_per_round', self._steps_per_round_setting)
        self.steps_per_round = None if saved_steps_per_round is None else int(saved_steps_per_round)
        self._step = int(state['step'])
        self._round_start = None if state['round_start'] is None else int(state['round_start'])
        self._round_values = [float(r) for r in state['round_returns']]
        self._round_episodes = int(state['round_episodes'])
        self._arm_steps = np.asarray(state['arm_steps'], dtype=np.int64)
        self._arm_since = int(state['arm_since'])
        self.rounds_closed = int(state['rounds_closed'])
        # Saved since rounds.csv exists; a state from before starts them afresh.
        self._recent_returns = [(int(s), float(r)) for s, r in state.get('recent_returns', [])]
        self._round_began = int(state.get('round_began', self._arm_since))
        before = state.get('round_before')
        self._round_before = math.nan if before is None else float(before)
        probe = state.get('probe_start')
        self._probe_start = None if probe is None else feedback_lib.Probe(**probe)
        self._draw_probabilities = list(state.get('draw_probabilities', self.bandit.probabilities().tolist()))
        self._round_records = list(state.get('round_records', []))

    def _load_legacy_state(self, state):
        """A state saved before format versions: rounds of κ episodes, the round value fed to the bandit."""
        for binding, value, legacy in (
            ('BanditLearningRate.steps_per_round', self._steps_per_round_setting, None),
            ('BanditLearningRate.round_fraction', self.round_fraction, None),
            ('BanditLearningRate.burn_in', self.burn_in, 0.0),
            ('BanditLearningRate.feedback', self.config()['feedback'], None),
            ('BanditLearningRate.record_probes', self.record_probes, False),
        ):
            if value != legacy:
                raise bandits.legacy_state_refused(self.name, f'{binding} (this configuration sets {value!r})')
        self.bandit.load_state_dict(state['bandit'])
        self._step = int(state['step'])
        self._round_values = [float(r) for r in state['round_returns']]
        self._round_episodes = len(self._round_values)
        # Steps per arm were not counted then: they are counted from here on.
        self._arm_steps = np.zeros(len(self._arms), dtype=np.int64)
        self._arm_since = self._step
