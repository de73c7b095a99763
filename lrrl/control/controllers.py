"""Learning-rate controllers: what sets the optimizer's rate (no TensorFlow).

A controller is one gin-configurable object that the agent asks for its
learning rate. The runner tells it, through the agent, when a training episode
ends and what raw return it had; the controller may then change the rate,
which takes effect from the next training step. Evaluation episodes are never
reported.

``FixedLearningRate`` is the constant baseline; ``ScheduledLearningRate``
follows a schedule of the agent step (decays, cyclical rates; see
``lrrl.control.schedules``); ``BanditLearningRate`` is LRRL: every κ
(``episodes_per_round``) training episodes it closes a bandit round with the
mean return of those episodes and draws the next arm. Its arms are constant
rates or, for the paper's "scheduler arms", schedules.

Time is the agent step t (Dopamine's ``training_steps``). A controller whose
rate moves between episodes sets ``rate_update_period``: the agent then calls
``advance(t)`` every that many steps and applies the rate it returns.
"""

import gin
import numpy as np

from lrrl.control import bandits
from lrrl.control import schedules
from lrrl import validation


class LearningRateController:
    """The interface between an agent and whatever chooses its learning rate.

    Attributes read by the agent and the runner:
      rate: the learning rate to use now (a Python float).
      candidates: the rates the controller can choose from (its arms); a
        one-element tuple for a fixed rate.
      arm: index into ``candidates`` of the current rate.
    """

    name = 'LearningRateController'
    # Agent steps between calls to ``advance`` during training; None when the
    # rate changes only at the end of an episode (then the agent does no
    # per-step work for it).
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

    def probabilities(self):
        """Current probability of each arm (for the trace and the plots)."""
        return np.ones(1)

    def seed(self, seed):
        """Restarts the controller's random choices (before training starts)."""

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
    """LRRL: a bandit over candidate learning rates, fed with episode returns.

    Args:
      rates: the candidate set (the arms), each a finite rate > 0.
      schedules: instead of ``rates``, arms that are schedules of the agent
        step (the paper's "scheduler arms", e.g. three ``ExponentialDecay``
        with d = 1, 2, 3e-7). Every schedule advances with time whether or not
        its arm is played.
      bandit: the bandit class, called as ``bandit(num_arms=K)``; its other
        parameters come from gin (e.g. ``Exp3Bandit.decay = 0.9``).
      episodes_per_round: κ >= 1, training episodes per bandit round; the
        round's feedback is the mean raw return of its episodes.
      rate_update_period: with schedule arms, agent steps between rate updates in
        the graph (see ``ScheduledLearningRate``); unused with constant rates.
    """

    name = 'BanditLearningRate'

    def __init__(
        self, rates=None, schedules=None, bandit=bandits.Exp3Bandit, episodes_per_round=1, rate_update_period=100
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
        self.episodes_per_round = int(episodes_per_round)
        if schedules is not None:
            self.rate_update_period = validation.check_agent_steps(
                'BanditLearningRate.rate_update_period', rate_update_period
            )
        self.bandit = bandit(num_arms=len(self._arms))
        self._step = 0
        self._round_returns = []
        self.bandit.select_arm()

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
        self._round_returns = []
        self.bandit.select_arm()

    def advance(self, step):
        self._step = int(step)
        return self.rate

    def end_episode(self, episode_return, step):
        self._step = int(step)
        self._round_returns.append(float(episode_return))
        if len(self._round_returns) >= self.episodes_per_round:
            self.bandit.update(float(np.mean(self._round_returns)))
            self._round_returns = []
            self.bandit.select_arm()
        return self.rate

    def state_dict(self):
        return {
            'class': type(self).__name__,
            'arms': [arm.state_dict() for arm in self._arms],
            'step': self._step,
            'round_returns': list(self._round_returns),
            'bandit': self.bandit.state_dict(),
        }

    def load_state_dict(self, state):
        super().load_state_dict(state)
        _check_schedule_state(
            'BanditLearningRate.rates/schedules', state['arms'], [arm.state_dict() for arm in self._arms]
        )
        self._step = int(state['step'])
        self._round_returns = [float(r) for r in state['round_returns']]
        self.bandit.load_state_dict(state['bandit'])
