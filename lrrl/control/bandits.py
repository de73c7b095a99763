"""Adversarial bandits over K arms, in pure Python/numpy (no TensorFlow).

``Exp3Bandit`` is LRRL's bandit (spec section 1): exponential weights with a
time-decayed update of the played arm, fed with the improvement of the
feedback over a window of past rounds. ``ClassicExp3Bandit`` is the textbook
Exp3 of Auer et al. (2002), kept for ablation.

A bandit is used in rounds: ``select_arm()`` draws the arm to play,
``update(feedback)`` reports the feedback for the arm drawn last (for LRRL the
mean raw return of the round's episodes; larger is better). Both classes
serialise their full state, random generator included, to plain Python data
with ``state_dict()`` and restore it exactly with ``load_state_dict()``.
"""

import math

import gin
import numpy as np

from lrrl import validation


def softmax(logits):
    """Probabilities from log-weights, safe for any finite weights."""
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max()
    weights = np.exp(shifted)
    return weights / weights.sum()


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
            'arm': self.arm,
            'rng': self._rng.bit_generator.state,
        }

    def load_state_dict(self, state):
        if state.get('class') != type(self).__name__:
            raise ValueError(
                f'Saved bandit state is for {state.get("class")!r}, but the '
                f'configuration builds {type(self).__name__!r}.'
            )
        self.arm = state['arm']
        self._rng.bit_generator.state = state['rng']


class _FeedbackWindow:
    """The last j feedbacks, turned into LRRL's improvement signal."""

    def __init__(self, size, normalize):
        self.size = size
        self.normalize = normalize
        self.values = []

    def improvement(self, feedback):
        """f - mean(previous j feedbacks), optionally divided by their spread.

        The first round has no history and gives 0. With ``normalize``, the
        difference is divided by the standard deviation of the previous j
        feedbacks *and the current one* (+1e-8). Including the current value is
        our choice (spec: *assumed*): it keeps the signal finite and bounded by
        (j+1)/sqrt(j) when the window is constant, e.g. a run of identical
        returns, where the std of the window alone is 0.
        """
        if not self.values:
            signal = 0.0
        else:
            window = np.asarray(self.values + [feedback], dtype=np.float64)
            # Scale to the largest magnitude first so that differences of huge
            # finite returns cannot overflow.
            scale = float(np.max(np.abs(window)))
            if scale == 0.0:
                signal = 0.0
            else:
                window = window / scale
                signal = window[-1] - window[:-1].mean()
                if self.normalize:
                    signal /= window.std() + 1e-8
                else:
                    with np.errstate(over='ignore'):  # Saturates at the clip below.
                        signal *= scale
        self.values = (self.values + [feedback])[-self.size :]
        return float(np.clip(signal, -np.finfo(np.float64).max, np.finfo(np.float64).max))


@gin.configurable
class Exp3Bandit(Bandit):
    """LRRL's time-decayed exponential-weights bandit (spec section 1).

    Round n: p = softmax(w); play k ~ p; observe f_n; compute the improvement
    f'_n = f_n - mean(f_{n-j} .. f_{n-1}) (optionally normalised); then

        w(k) <- delta * w(k) + alpha * f'_n / max(exp(w(k)), min_exp_weight).

    Other arms keep their weight unless ``decay_all_arms`` (then every weight is
    multiplied by delta each round). Weights start at 0 (uniform).

    Args:
      num_arms: K, the number of arms.
      alpha: step size, > 0. Default 0.2 is *assumed* (spec).
      decay: delta in (0, 1]; 1 keeps the past in full. Default 0.9 *assumed*.
      window: j >= 1, how many past feedbacks the improvement compares against.
      normalize: divide the improvement by the window's spread, so the update
        does not depend on the game's score scale (default on, *assumed*).
      decay_all_arms: also decay the weights of arms not played.
      min_exp_weight: floor on exp(w) in the update's denominator. Without it
        the 1/exp(w) factor makes a negative weight fall faster the more
        negative it is, and one good round of a neglected arm makes an
        arbitrarily large step. 1e-4 caps the factor at 1e4, as in the public
        implementation of Moskovitz et al.'s bandit (*assumed* for LRRL).
      max_abs_weight: weights are clipped to [-max, max], a last guard that
        keeps them finite when decay = 1 (exp(-2*50) is a probability ~1e-43).
      seed: seed of the generator that draws the arms.
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
        min_exp_weight=1e-4,
        max_abs_weight=50.0,
        seed=None,
    ):
        validation.require(validation.is_real(alpha) and alpha > 0, 'Exp3Bandit.alpha', alpha, 'a finite number > 0')
        validation.require(validation.is_real(decay) and 0 < decay <= 1, 'Exp3Bandit.decay', decay, 'in (0, 1]')
        validation.require(
            validation.is_int(window, 1),
            'Exp3Bandit.window',
            window,
            'an integer >= 1',
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
        self.decay_all_arms = bool(decay_all_arms)
        self.max_abs_weight = float(max_abs_weight)
        self._log_min_exp_weight = math.log(min_exp_weight)
        self._window = _FeedbackWindow(int(window), bool(normalize))
        self.weights = np.zeros(self.num_arms, dtype=np.float64)

    def probabilities(self):
        return softmax(self.weights)

    def update(self, feedback):
        feedback = self._validate_feedback(feedback)
        improvement = self._window.improvement(feedback)
        k = self.arm
        w = self.weights[k]
        if improvement == 0.0:
            step = 0.0
        else:
            # alpha * f' / max(exp(w), floor) in the log domain, so that it
            # saturates instead of overflowing (inf * 0 would give NaN).
            log_step = math.log(self.alpha) + math.log(abs(improvement)) - max(w, self._log_min_exp_weight)
            step = math.copysign(math.exp(min(log_step, 700.0)), improvement)
        if self.decay_all_arms:
            self.weights *= self.decay
            self.weights[k] = self.decay * w + step
        else:
            self.weights[k] = self.decay * w + step
        np.clip(self.weights, -self.max_abs_weight, self.max_abs_weight, out=self.weights)
        return improvement

    def state_dict(self):
        state = super().state_dict()
        state.update(weights=self.weights.tolist(), window=list(self._window.values))
        return state

    def load_state_dict(self, state):
        super().load_state_dict(state)
        weights = np.asarray(state['weights'], dtype=np.float64)
        if weights.shape != (self.num_arms,):
            raise ValueError(f'Saved Exp3Bandit state has {weights.size} arms, the configuration has {self.num_arms}.')
        self.weights = weights
        self._window.values = [float(v) for v in state['window']]


@gin.configurable
class ClassicExp3Bandit(Bandit):
    """Textbook Exp3 (Auer et al. 2002), for ablation against ``Exp3Bandit``.

    p = (1 - gamma) * softmax(w) + gamma / K; after playing k with reward
    r in [0, 1], w(k) += gamma * (r / p(k)) / K.

    Exp3 needs rewards in [0, 1]; returns are not. The feedback is min-max
    scaled over all feedback seen so far (0.5 until there is a range). That
    mapping is ours (*assumed*).

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
        self._low = None
        self._high = None

    def probabilities(self):
        return (1.0 - self.gamma) * softmax(self.weights) + self.gamma / self.num_arms

    def update(self, feedback):
        feedback = self._validate_feedback(feedback)
        self._low = feedback if self._low is None else min(self._low, feedback)
        self._high = feedback if self._high is None else max(self._high, feedback)
        span = self._high - self._low
        reward = 0.5 if span == 0 or not math.isfinite(span) else (feedback - self._low) / span
        k = self.arm
        self.weights[k] += self.gamma * reward / self.probabilities()[k] / self.num_arms
        # Only differences matter to the softmax; re-centre to stay far from
        # overflow over long runs.
        self.weights -= self.weights.max()
        return reward

    def state_dict(self):
        state = super().state_dict()
        state.update(weights=self.weights.tolist(), low=self._low, high=self._high)
        return state

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.weights = np.asarray(state['weights'], dtype=np.float64)
        self._low, self._high = state['low'], state['high']
