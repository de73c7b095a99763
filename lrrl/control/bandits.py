"""Bandits over K arms, in pure Python/numpy (no TensorFlow).

``Exp3Bandit`` is LRRL's bandit (arXiv 2410.12598, the method section;
``docs/bandits.md``): exponential weights with a time-decayed update of the
played arm, fed with the improvement of the feedback. The others are there to
be compared with it (``python -m lrrl.bandit_testbed``):

- ``UniformBandit``: a uniformly random arm every round, the baseline any
  learning-rate bandit must beat;
- ``ClassicExp3Bandit``: textbook Exp3 (Auer et al. 2002);
- ``Exp3IXBandit``: Exp3 with implicit exploration (Neu 2015; Lattimore &
  Szepesvári, *Bandit Algorithms*, 2020, section 12.1);
- ``DiscountedUCBBandit``: UCB with discounted statistics for non-stationary
  rewards (Garivier & Moulines 2011, "On upper-confidence bound policies for
  switching bandit problems").

A bandit is used in rounds: ``select_arm()`` draws the arm to play,
``update(feedback)`` reports the feedback for the arm drawn last (larger is
better). Every class serialises its full state, random generator included, to
plain Python data with ``state_dict()`` and restores it exactly with
``load_state_dict()``. The state carries a format version and the bandit's
configuration, so a resume with other values is refused with the binding
named; a state saved before versions existed (lrrl up to this change) still
loads into a configuration that the code of that time could express.
"""

import math

import gin
import numpy as np

from lrrl import validation
from lrrl.control import feedback as feedback_lib

# Version of the saved state. States without one were written before it
# existed (their format is read by ``_load_legacy_state``).
STATE_FORMAT = 2


def softmax(logits):
    """Probabilities from log-weights, safe for any finite weights."""
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max()
    weights = np.exp(shifted)
    return weights / weights.sum()


def check_saved_config(owner, saved, configured):
    """Raises ValueError naming the first binding whose saved value differs from the configured one."""
    for key in sorted(set(saved) | set(configured)):
        if saved.get(key) != configured.get(key):
            raise ValueError(
                f'The checkpoint was trained with {owner}.{key} = {saved.get(key)!r}, the configuration '
                f'says {configured.get(key)!r}; resume with the configuration the run was started with.'
            )


def legacy_state_refused(owner, what):
    """The error for a state saved before format versions, loaded into a configuration that needs more."""
    return ValueError(
        f'The checkpoint holds {owner} state saved by an earlier lrrl (no format version), whose {owner} '
        f'had no {what}. Resume this run with the configuration it was started with (its config.gin, which '
        f'reproduces the old behaviour), or start a new run folder to use {what}.'
    )


class Bandit:
    """What the learning-rate controller needs from a bandit."""

    name = 'Bandit'

    def __init__(self, num_arms, seed=None):
        validation.require(
            validation.is_int(num_arms, 1),
            f'{self.name}.num_arms',
            num_arms,
            'an integer >= 1',
        )
        self.num_arms = int(num_arms)
        self.arm = None
        self.seed(seed)

    def seed(self, seed):
        """Restarts the random generator that draws the arms."""
        self._rng = np.random.default_rng(seed)

    def config(self):
        """The hyper-parameters, as {parameter: value} (saved with the state and checked on resume)."""
        return {'num_arms': self.num_arms}

    def probabilities(self):
        raise NotImplementedError

    def select_arm(self):
        """Draws the arm for the next round from the current probabilities."""
        # One uniform draw against the cumulative sum: reproducible for a given
        # generator state whatever K is.
        cumulative = np.cumsum(self.probabilities())
        u = self._rng.random() * cumulative[-1]
        self.arm = int(min(np.searchsorted(cumulative, u, side='right'), self.num_arms - 1))
        return self.arm

    def update(self, feedback):
        raise NotImplementedError

    def _validate_feedback(self, feedback):
        if self.arm is None:
            raise RuntimeError(f'{self.name}.update() called before select_arm().')
        feedback = float(feedback)
        if not math.isfinite(feedback):
            raise ValueError(
                f'{self.name}.update() got feedback {feedback}; feedback must be '
                'a finite number (a non-finite return means the agent diverged).'
            )
        return feedback

    def state_dict(self):
        return {
            'class': type(self).__name__,
            'format': STATE_FORMAT,
            'config': self.config(),
            'arm': self.arm,
            'rng': self._rng.bit_generator.state,
        }

    def load_state_dict(self, state):
        if state.get('class') != type(self).__name__:
            raise ValueError(
                f'Saved bandit state is for {state.get("class")!r}, but the '
                f'configuration builds {type(self).__name__!r}.'
            )
        if 'format' not in state:
            self._check_legacy_config()
        else:
            if state['format'] > STATE_FORMAT:
                raise ValueError(
                    f'The checkpoint holds {self.name} state of format {state["format"]}, newer than this lrrl '
                    f'reads ({STATE_FORMAT}); resume it with the lrrl version that wrote it.'
                )
            check_saved_config(self.name, state['config'], self.config())
        self.arm = state['arm']
        self._rng.bit_generator.state = state['rng']

    def _check_legacy_config(self):
        """Refuses to load a state saved before format versions if this configuration needs newer features."""
        raise legacy_state_refused(self.name, 'saved state of this kind')


class _RunningRange:
    """Maps feedback to [0, 1] by min-max scaling over all feedback seen so far.

    The bandits built for rewards in [0, 1] (textbook Exp3, EXP3-IX, UCB) get
    LRRL's feedback, which is not; this mapping is ours (*assumed*). It is 0.5
    until there is a range.
    """

    def __init__(self):
        self.low = self.high = None

    def __call__(self, feedback):
        self.low = feedback if self.low is None else min(self.low, feedback)
        self.high = feedback if self.high is None else max(self.high, feedback)
        span = self.high - self.low
        return 0.5 if span == 0 or not math.isfinite(span) else (feedback - self.low) / span


DENOMINATORS = ('exp_weight', 'max_one', 'probability')


@gin.configurable
class Exp3Bandit(Bandit):
    """LRRL's time-decayed exponential-weights bandit (``docs/bandits.md``).

    Round n: p = (1 - mixing) * softmax(w) + mixing / K; play k ~ p; get the
    feedback; compute the improvement f'_n (below); then

        w(k) <- decay * w(k) + alpha * f'_n / D(k),

    the paper's update (from Moskovitz et al. 2021, "Tactical Optimism and
    Pessimism"), whose denominator D is ``denominator``:

    - ``'exp_weight'``: max(exp(w(k)), ``min_exp_weight``), the paper's exp(w)
      with a floor. It amplifies negative weights: the step is 1/e^w times
      larger at w < 0, so one round can exclude or lock in an arm;
    - ``'max_one'``: max(exp(w(k)), 1): the paper's form damps positive
      weights, never amplifies negative ones;
    - ``'probability'``: p_n(k), the probability of the arm just played:
      Exp3's importance weighting (an unbiased estimate of the arm's
      feedback), bounded by ``mixing`` > 0 (p(k) >= mixing / K).

    The improvement: with ``window`` = j (the paper), f'_n = f_n - mean of the
    previous j feedbacks, divided by the spread of those j and f_n when
    ``normalize`` (``lrrl.control.feedback.window_improvement``). With
    ``window = None`` the feedback already is the improvement (the controller
    computes it, ``BanditLearningRate.feedback``).

    The other arms keep their weight unless ``decay_all_arms`` (then every
    weight is multiplied by ``decay`` each round, so an arm not played drifts
    back towards the uniform choice). Weights start at 0 (uniform).

    Args:
      num_arms: K, the number of arms.
      alpha: step size, > 0.
      decay: delta in (0, 1]; 1 keeps the past in full.
      window: j >= 1, or None (above).
      normalize: with ``window``, divide the improvement by the window's spread.
      decay_all_arms: also decay the weights of arms not played.
      denominator: ``'exp_weight'``, ``'max_one'`` or ``'probability'`` (above).
      mixing: gamma in [0, 1), the uniform share of the probabilities; > 0
        with ``denominator = 'probability'``.
      min_exp_weight: floor on exp(w) with ``'exp_weight'``; 1e-4 caps the
        factor at 1e4, as in the public implementation of Moskovitz et al.'s
        bandit (*assumed* for LRRL).
      max_abs_weight: weights are clipped to [-max, max], a last guard that
        keeps them finite when decay = 1 (exp(-2*50) is a probability ~1e-43).
      seed: seed of the generator that draws the arms.

    The class defaults are the first configuration of this project (α 0.2,
    δ 0.9, j 5, normalised, played arm only, floored exp(w)): what
    ``configs/methods/lrrl_paper_literal.gin`` binds, and what a run folder
    written before this change resumes with. ``configs/lrrl/bandit.gin`` holds
    the default that the LRRL method files use.
    """

    name = 'Exp3Bandit'

    def __init__(
        self,
        num_arms,
        alpha=0.2,
        decay=0.9,
        window=5,
        normalize=True,
        decay_all_arms=False,
        denominator='exp_weight',
        mixing=0.0,
        min_exp_weight=1e-4,
        max_abs_weight=50.0,
        seed=None,
    ):
        validation.require(validation.is_real(alpha) and alpha > 0, 'Exp3Bandit.alpha', alpha, 'a finite number > 0')
        validation.require(validation.is_real(decay) and 0 < decay <= 1, 'Exp3Bandit.decay', decay, 'in (0, 1]')
        validation.require(
            window is None or validation.is_int(window, 1),
            'Exp3Bandit.window',
            window,
            'an integer >= 1, or None when the feedback is already an improvement',
        )
        validation.require(isinstance(normalize, (bool, np.bool_)), 'Exp3Bandit.normalize', normalize, 'True or False')
        validation.require(
            isinstance(decay_all_arms, (bool, np.bool_)), 'Exp3Bandit.decay_all_arms', decay_all_arms, 'True or False'
        )
        validation.require(denominator in DENOMINATORS, 'Exp3Bandit.denominator', denominator, f'one of {DENOMINATORS}')
        validation.require(
            validation.is_real(mixing) and 0 <= mixing < 1, 'Exp3Bandit.mixing', mixing, 'a number in [0, 1)'
        )
        validation.require(
            denominator != 'probability' or mixing > 0,
            'Exp3Bandit.mixing',
            mixing,
            "> 0 with Exp3Bandit.denominator = 'probability' (1/p(k) is then at most K/mixing)",
        )
        validation.require(
            validation.is_real(min_exp_weight) and min_exp_weight > 0,
            'Exp3Bandit.min_exp_weight',
            min_exp_weight,
            'a finite number > 0',
        )
        validation.require(
            validation.is_real(max_abs_weight) and max_abs_weight > 0,
            'Exp3Bandit.max_abs_weight',
            max_abs_weight,
            'a finite number > 0',
        )
        super().__init__(num_arms, seed)
        self.alpha = float(alpha)
        self.decay = float(decay)
        self.window = None if window is None else int(window)
        self.normalize = bool(normalize)
        self.decay_all_arms = bool(decay_all_arms)
        self.denominator = denominator
        self.mixing = float(mixing)
        self.min_exp_weight = float(min_exp_weight)
        self.max_abs_weight = float(max_abs_weight)
        self._log_min_exp_weight = math.log(min_exp_weight)
        self._history = []  # the last j feedbacks (with a window)
        self.weights = np.zeros(self.num_arms, dtype=np.float64)

    def config(self):
        return {
            'num_arms': self.num_arms,
            'alpha': self.alpha,
            'decay': self.decay,
            'window': self.window,
            'normalize': self.normalize,
            'decay_all_arms': self.decay_all_arms,
            'denominator': self.denominator,
            'mixing': self.mixing,
            'min_exp_weight': self.min_exp_weight,
            'max_abs_weight': self.max_abs_weight,
        }

    def probabilities(self):
        p = softmax(self.weights)
        return p if self.mixing == 0 else (1.0 - self.mixing) * p + self.mixing / self.num_arms

    def _improvement(self, feedback):
        if self.window is None:
            return feedback
        improvement = feedback_lib.window_improvement(self._history, feedback, self.normalize)
        self._history = (self._history + [feedback])[-self.window :]
        return improvement

    def _log_denominator(self, k):
        w = self.weights[k]
        if self.denominator == 'exp_weight':
            return max(w, self._log_min_exp_weight)
        if self.denominator == 'max_one':
            return max(w, 0.0)
        return math.log(self.probabilities()[k])

    def update(self, feedback):
        feedback = self._validate_feedback(feedback)
        improvement = self._improvement(feedback)
        k = self.arm
        w = self.weights[k]
        if improvement == 0.0:
            step = 0.0
        else:
            # alpha * f' / D in the log domain, so that it saturates instead of
            # overflowing (inf * 0 would give NaN).
            log_step = math.log(self.alpha) + math.log(abs(improvement)) - self._log_denominator(k)
            step = math.copysign(math.exp(min(log_step, 700.0)), improvement)
        if self.decay_all_arms:
            self.weights *= self.decay
        self.weights[k] = self.decay * w + step
        np.clip(self.weights, -self.max_abs_weight, self.max_abs_weight, out=self.weights)
        return improvement

    def state_dict(self):
        state = super().state_dict()
        state.update(weights=self.weights.tolist(), window=list(self._history))
        return state

    def load_state_dict(self, state):
        super().load_state_dict(state)
        weights = np.asarray(state['weights'], dtype=np.float64)
        if weights.shape != (self.num_arms,):
            raise ValueError(f'Saved Exp3Bandit state has {weights.size} arms, the configuration has {self.num_arms}.')
        self.weights = weights
        self._history = [float(v) for v in state['window']]

    def _check_legacy_config(self):
        # The Exp3Bandit of that time: its own window improvement, floored
        # exp(w), no mixing. Its hyper-parameters were not saved: they come
        # from the run's config.gin, as they did then.
        if self.window is None:
            raise legacy_state_refused(self.name, 'Exp3Bandit.window = None (feedback computed by the controller)')
        if self.denominator != 'exp_weight':
            raise legacy_state_refused(self.name, f'Exp3Bandit.denominator = {self.denominator!r}')
        if self.mixing != 0:
            raise legacy_state_refused(self.name, f'Exp3Bandit.mixing = {self.mixing!r}')


@gin.configurable
class UniformBandit(Bandit):
    """A uniformly random arm every round, whatever the feedback.

    The baseline every LRRL result must beat: a bandit that learns nothing
    from the returns spends 1/K of the training on each rate.
    """

    name = 'UniformBandit'

    def probabilities(self):
        return np.full(self.num_arms, 1.0 / self.num_arms)

    def update(self, feedback):
        return self._validate_feedback(feedback)


@gin.configurable
class ClassicExp3Bandit(Bandit):
    """Textbook Exp3 (Auer et al. 2002), for ablation against ``Exp3Bandit``.

    p = (1 - gamma) * softmax(w) + gamma / K; after playing k with reward
    r in [0, 1], w(k) += gamma * (r / p(k)) / K. The feedback is mapped to
    [0, 1] by min-max scaling over the run (``_RunningRange``, *assumed*).

    Args:
      num_arms: K.
      gamma: uniform-mixing rate in (0, 1].
      seed: seed of the generator that draws the arms.
    """

    name = 'ClassicExp3Bandit'

    def __init__(self, num_arms, gamma=0.1, seed=None):
        validation.require(validation.is_real(gamma) and 0 < gamma <= 1, 'ClassicExp3Bandit.gamma', gamma, 'in (0, 1]')
        super().__init__(num_arms, seed)
        self.gamma = float(gamma)
        self.weights = np.zeros(self.num_arms, dtype=np.float64)
        self._range = _RunningRange()

    def config(self):
        return {'num_arms': self.num_arms, 'gamma': self.gamma}

    def probabilities(self):
        return (1.0 - self.gamma) * softmax(self.weights) + self.gamma / self.num_arms

    def update(self, feedback):
        reward = self._range(self._validate_feedback(feedback))
        k = self.arm
        self.weights[k] += self.gamma * reward / self.probabilities()[k] / self.num_arms
        # Only differences matter to the softmax; re-centre to stay far from
        # overflow over long runs.
        self.weights -= self.weights.max()
        return reward

    def state_dict(self):
        state = super().state_dict()
        state.update(weights=self.weights.tolist(), low=self._range.low, high=self._range.high)
        return state

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.weights = np.asarray(state['weights'], dtype=np.float64)
        self._range.low, self._range.high = state['low'], state['high']

    def _check_legacy_config(self):
        """The textbook Exp3 of that time is this one: its state loads as it is."""


@gin.configurable
class Exp3IXBandit(Bandit):
    """EXP3-IX: Exp3 with implicit exploration (Neu 2015; Lattimore & Szepesvári 2020, §12.1).

    Losses l = 1 - r, r the feedback mapped to [0, 1] (``_RunningRange``).
    p = softmax(-eta * L); after playing k, L(k) += l / (p(k) + ix_gamma). The
    ix_gamma in the denominator biases the loss estimate downwards, which
    bounds it by 1 / ix_gamma and keeps the regret's variance small, with no
    uniform mixing.

    Args:
      num_arms: K.
      learning_rate: eta > 0. The anytime choice for T rounds is about
        sqrt(2 log K / (K T)); 0.1 (*assumed*) suits a few hundred rounds.
      ix_gamma: the implicit-exploration term, >= 0; None gives eta / 2 (Neu's choice).
      seed: seed of the generator that draws the arms.
    """

    name = 'Exp3IXBandit'

    def __init__(self, num_arms, learning_rate=0.1, ix_gamma=None, seed=None):
        validation.require(
            validation.is_real(learning_rate) and learning_rate > 0,
            'Exp3IXBandit.learning_rate',
            learning_rate,
            'a finite number > 0',
        )
        validation.require(
            ix_gamma is None or (validation.is_real(ix_gamma) and ix_gamma >= 0),
            'Exp3IXBandit.ix_gamma',
            ix_gamma,
            'a finite number >= 0, or None for learning_rate / 2',
        )
        super().__init__(num_arms, seed)
        self.learning_rate = float(learning_rate)
        self.ix_gamma = self.learning_rate / 2 if ix_gamma is None else float(ix_gamma)
        self.losses = np.zeros(self.num_arms, dtype=np.float64)
        self._range = _RunningRange()

    def config(self):
        return {'num_arms': self.num_arms, 'learning_rate': self.learning_rate, 'ix_gamma': self.ix_gamma}

    def probabilities(self):
        return softmax(-self.learning_rate * self.losses)

    def update(self, feedback):
        reward = self._range(self._validate_feedback(feedback))
        k = self.arm
        self.losses[k] += (1.0 - reward) / (self.probabilities()[k] + self.ix_gamma)
        # Only differences matter to the softmax.
        self.losses -= self.losses.min()
        return reward

    def state_dict(self):
        state = super().state_dict()
        state.update(losses=self.losses.tolist(), low=self._range.low, high=self._range.high)
        return state

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.losses = np.asarray(state['losses'], dtype=np.float64)
        self._range.low, self._range.high = state['low'], state['high']


@gin.configurable
class DiscountedUCBBandit(Bandit):
    """Discounted UCB for non-stationary rewards (Garivier & Moulines 2011).

    Rewards r in [0, 1] (the feedback mapped by ``_RunningRange``). With
    discount gamma, every round multiplies each arm's discounted count N(i) and
    reward sum S(i) by gamma, then adds 1 and r to the played arm's. The arm
    played is the one maximising

        S(i) / N(i) + 2 * sqrt(xi * log(n) / N(i)),   n = sum_i N(i)

    (their c_t(gamma, i) with B = 1); an arm never played is played first, the
    lowest index first, and ties are broken at random. ``probabilities()``
    gives 1 to the arm it would play next (UCB draws nothing).

    Args:
      num_arms: K.
      discount: gamma in (0, 1); 1 / (1 - gamma) rounds is the memory.
        0.95 (*assumed*) keeps about the last 20 rounds.
      exploration: xi > 0 (*assumed* 0.6, the value of Garivier & Moulines'
        experiments).
      seed: seed of the generator that breaks ties.
    """

    name = 'DiscountedUCBBandit'

    def __init__(self, num_arms, discount=0.95, exploration=0.6, seed=None):
        validation.require(
            validation.is_real(discount) and 0 < discount < 1,
            'DiscountedUCBBandit.discount',
            discount,
            'a number in (0, 1)',
        )
        validation.require(
            validation.is_real(exploration) and exploration > 0,
            'DiscountedUCBBandit.exploration',
            exploration,
            'a finite number > 0',
        )
        super().__init__(num_arms, seed)
        self.discount = float(discount)
        self.exploration = float(exploration)
        self.plays = np.zeros(self.num_arms, dtype=np.int64)
        self.counts = np.zeros(self.num_arms, dtype=np.float64)  # discounted N(i)
        self.sums = np.zeros(self.num_arms, dtype=np.float64)  # discounted S(i)
        self._range = _RunningRange()

    def config(self):
        return {'num_arms': self.num_arms, 'discount': self.discount, 'exploration': self.exploration}

    def indices(self):
        """S(i)/N(i) + 2 sqrt(xi log n / N(i)) per arm (inf for an arm never played)."""
        with np.errstate(divide='ignore', invalid='ignore'):
            total = max(float(self.counts.sum()), 1.0)
            bonus = 2.0 * np.sqrt(self.exploration * math.log(total) / self.counts)
            values = self.sums / self.counts + bonus
        return np.where(self.plays == 0, np.inf, values)

    def _next_arm(self, draw):
        unplayed = np.flatnonzero(self.plays == 0)
        if unplayed.size:
            return int(unplayed[0])
        values = self.indices()
        best = np.flatnonzero(values >= values.max() - 1e-12 * max(1.0, abs(values.max())))
        return int(best[0] if best.size == 1 or not draw else best[self._rng.integers(best.size)])

    def probabilities(self):
        p = np.zeros(self.num_arms)
        p[self._next_arm(draw=False)] = 1.0
        return p

    def select_arm(self):
        self.arm = self._next_arm(draw=True)
        return self.arm

    def update(self, feedback):
        reward = self._range(self._validate_feedback(feedback))
        k = self.arm
        self.counts *= self.discount
        self.sums *= self.discount
        self.counts[k] += 1.0
        self.sums[k] += reward
        self.plays[k] += 1
        return reward

    def state_dict(self):
        state = super().state_dict()
        state.update(
            plays=self.plays.tolist(),
            counts=self.counts.tolist(),
            sums=self.sums.tolist(),
            low=self._range.low,
            high=self._range.high,
        )
        return state

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.plays = np.asarray(state['plays'], dtype=np.int64)
        self.counts = np.asarray(state['counts'], dtype=np.float64)
        self.sums = np.asarray(state['sums'], dtype=np.float64)
        self._range.low, self._range.high = state['low'], state['high']
