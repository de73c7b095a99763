"""Learning-rate controllers: what sets the optimizer's rate (no TensorFlow).

A controller is one gin-configurable object that the agent asks for its
learning rate. The runner tells it, through the agent, when a training episode
ends and what raw return it had; the controller may then change the rate,
which takes effect from the next training step. Evaluation episodes are never
reported.

``FixedLearningRate`` is the constant baseline; ``BanditLearningRate`` is LRRL:
every κ (``episodes_per_round``) training episodes it closes a bandit round
with the mean return of those episodes and draws the next rate.
"""

import math

import gin
import numpy as np

from lrrl import bandits


class LearningRateController:
    """The interface between an agent and whatever chooses its learning rate.

    Attributes read by the agent and the runner:
      rate: the learning rate to use now (a Python float).
      candidates: the rates the controller can choose from (its arms); a
        one-element tuple for a fixed rate.
      arm: index into ``candidates`` of the current rate.
    """

    name = 'LearningRateController'

    @property
    def rate(self):
        raise NotImplementedError

    @property
    def candidates(self):
        raise NotImplementedError

    @property
    def arm(self):
        return 0

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
    if (
        isinstance(rate, bool)
        or not isinstance(rate, (int, float, np.integer, np.floating))
        or not math.isfinite(rate)
        or rate < 0
    ):
        raise ValueError(f'{binding} = {rate!r} is not allowed: a learning rate must be a finite number >= 0.')
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


@gin.configurable
class BanditLearningRate(LearningRateController):
    """LRRL: a bandit over candidate learning rates, fed with episode returns.

    Args:
      rates: the candidate set (the arms), each a finite rate > 0.
      bandit: the bandit class, called as ``bandit(num_arms=K)``; its other
        parameters come from gin (e.g. ``Exp3Bandit.decay = 0.9``).
      episodes_per_round: κ >= 1, training episodes per bandit round; the
        round's feedback is the mean raw return of its episodes.
    """

    name = 'BanditLearningRate'

    def __init__(self, rates=gin.REQUIRED, bandit=bandits.Exp3Bandit, episodes_per_round=1):
        if isinstance(rates, (int, float)) or not hasattr(rates, '__len__') or len(rates) == 0:
            raise ValueError(
                f'BanditLearningRate.rates = {rates!r} is not allowed: it must be '
                'a non-empty list of learning rates, e.g. (6.25e-5, 1.25e-4).'
            )
        self._rates = tuple(_check_rate('BanditLearningRate.rates', r) for r in rates)
        if any(r == 0 for r in self._rates):
            raise ValueError(
                f'BanditLearningRate.rates = {tuple(rates)!r} is not allowed: every candidate rate must be > 0.'
            )
        if len(set(self._rates)) != len(self._rates):
            raise ValueError(
                f'BanditLearningRate.rates = {tuple(rates)!r} is not allowed: the candidate rates must be distinct.'
            )
        if (
            isinstance(episodes_per_round, bool)
            or not isinstance(episodes_per_round, (int, np.integer))
            or episodes_per_round < 1
        ):
            raise ValueError(
                f'BanditLearningRate.episodes_per_round = {episodes_per_round!r} '
                'is not allowed: κ must be an integer >= 1.'
            )
        self.episodes_per_round = int(episodes_per_round)
        self.bandit = bandit(num_arms=len(self._rates))
        self._round_returns = []
        self.bandit.select_arm()

    @property
    def rate(self):
        return self._rates[self.bandit.arm]

    @property
    def candidates(self):
        return self._rates

    @property
    def arm(self):
        return self.bandit.arm

    def probabilities(self):
        return self.bandit.probabilities()

    def seed(self, seed):
        self.bandit.seed(seed)
        self._round_returns = []
        self.bandit.select_arm()

    def end_episode(self, episode_return, step):
        del step
        self._round_returns.append(float(episode_return))
        if len(self._round_returns) >= self.episodes_per_round:
            self.bandit.update(float(np.mean(self._round_returns)))
            self._round_returns = []
            self.bandit.select_arm()
        return self.rate

    def state_dict(self):
        return {
            'class': type(self).__name__,
            'rates': list(self._rates),
            'round_returns': list(self._round_returns),
            'bandit': self.bandit.state_dict(),
        }

    def load_state_dict(self, state):
        super().load_state_dict(state)
        if tuple(state['rates']) != self._rates:
            raise ValueError(
                f'The checkpoint was trained with BanditLearningRate.rates = '
                f'{tuple(state["rates"])}, the configuration says {self._rates}; '
                'resume with the same candidate set.'
            )
        self._round_returns = [float(r) for r in state['round_returns']]
        self.bandit.load_state_dict(state['bandit'])
