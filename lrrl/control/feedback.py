"""What a bandit is told about a round: the improvement signal (numpy, no TensorFlow).

A round's *value* f_n is the mean raw return of the training episodes that
count for it (``lrrl.control.controllers.BanditLearningRate`` decides which).
LRRL does not reward the value itself but its improvement (arXiv 2410.12598,
the method section; reconstruction in ``docs/bandits.md``):

    f'_n = (f_n - baseline_n) / scale_n.

``window_improvement`` is the paper's form, f_n minus the mean of the previous
j values, optionally divided by the spread of that window; ``Exp3Bandit``
applies it itself when it is fed raw values (``Exp3Bandit.window``).

``RoundImprovement`` makes the baseline and the scale selectable, so the
controller can hand any bandit an improvement computed once:

- baseline ``'previous_rounds'``: the mean of the previous ``window`` values
  (the paper's, with j = ``window``), ``'same_arm'``: the mean of the
  previous ``window`` values of rounds that played the same arm, or
  ``'run_min'``: the lowest value seen so far in the run, so that f' is the
  level of the returns rather than their change (with ``'run_range'``,
  min-max scaled to [0, 1], like the feedback of the [0, 1]-reward bandits);
- scale ``'window_std'``: the spread of that window and the current value (the
  paper-literal normalisation; it makes f' invariant to any affine change of
  the returns, so a smooth rise scores the same whatever its slope, see
  ``docs/bandits.md``), ``'run_range'``: max - min of every value seen so far
  in the run (a solved and a collapsed arm are told apart, and |f'| <= 1),
  ``'mean_abs'``: a slow moving average of |f_n - baseline_n| (bias-corrected),
  or ``'none'``.

The first round (no baseline yet) gives 0, and so does a zero scale.
"""

import math

import gin
import numpy as np

from lrrl import validation

BASELINES = ('previous_rounds', 'same_arm', 'run_min')
SCALES = ('window_std', 'run_range', 'mean_abs', 'none')
_MAX = np.finfo(np.float64).max


def window_improvement(window, value, normalize):
    """The paper's f' = value - mean(window), divided by std(window + [value]) if ``normalize``.

    An empty window gives 0. Including the current value in the spread is ours
    (*assumed*): it keeps the signal finite, bounded by (j+1)/sqrt(j), when the
    window is constant (e.g. a run of identical returns).
    """
    if not window:
        return 0.0
    values = np.asarray(list(window) + [value], dtype=np.float64)
    # Scale to the largest magnitude first so that differences of huge finite
    # returns cannot overflow.
    largest = float(np.max(np.abs(values)))
    if largest == 0.0:
        return 0.0
    values = values / largest
    signal = values[-1] - values[:-1].mean()
    if normalize:
        signal /= values.std() + 1e-8
    else:
        with np.errstate(over='ignore'):  # Saturates at the clip below.
            signal *= largest
    return float(np.clip(signal, -_MAX, _MAX))


def _difference(value, baseline):
    with np.errstate(over='ignore'):
        return float(np.clip(np.float64(value) - np.float64(baseline), -_MAX, _MAX))


@gin.configurable
class RoundImprovement:
    """f'_n = (f_n - baseline_n) / scale_n, with the baseline and the scale selectable.

    Args:
      baseline: ``'previous_rounds'``, ``'same_arm'`` or ``'run_min'`` (module doc).
      window: how many earlier values the baseline averages (j >= 1).
      scale: ``'window_std'``, ``'run_range'``, ``'mean_abs'`` or ``'none'``.
      scale_decay: with ``'mean_abs'``, the moving average's decay in (0, 1):
        0.99 averages over about the last 100 rounds.
    """

    name = 'RoundImprovement'

    def __init__(self, baseline='previous_rounds', window=1, scale='run_range', scale_decay=0.99):
        validation.require(baseline in BASELINES, 'RoundImprovement.baseline', baseline, f'one of {BASELINES}')
        validation.require(validation.is_int(window, 1), 'RoundImprovement.window', window, 'an integer >= 1')
        validation.require(scale in SCALES, 'RoundImprovement.scale', scale, f'one of {SCALES}')
        validation.require(
            validation.is_real(scale_decay) and 0 < scale_decay < 1,
            'RoundImprovement.scale_decay',
            scale_decay,
            'a number in (0, 1)',
        )
        self.baseline = baseline
        self.window = int(window)
        self.scale = scale
        self.scale_decay = float(scale_decay)
        self._reset()

    def _reset(self):
        self._recent = []  # the last `window` values, any arm
        self._by_arm = {}  # arm -> its last `window` values
        self._low = self._high = None
        self._abs_average = 0.0  # biased moving average of |f - baseline|
        self._abs_weight = 0.0  # 1 - decay^n, for the bias correction

    def config(self):
        return {
            'baseline': self.baseline,
            'window': self.window,
            'scale': self.scale,
            'scale_decay': self.scale_decay,
        }

    def signal(self, value, arm):
        """The improvement of a round of value ``value`` that played ``arm``; records the round."""
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f'RoundImprovement got the round value {value}; it must be finite.')
        history = self._recent if self.baseline == 'previous_rounds' else self._by_arm.get(arm, [])
        self._low = value if self._low is None else min(self._low, value)
        self._high = value if self._high is None else max(self._high, value)
        if self.baseline == 'run_min':
            history = [self._low]
        if self.scale == 'window_std':
            improvement = window_improvement(history, value, normalize=True)
        elif not history:
            improvement = 0.0
        else:
            difference = _difference(value, np.mean(history))
            improvement = self._scaled(difference)
        self._recent = (self._recent + [value])[-self.window :]
        self._by_arm[arm] = (self._by_arm.get(arm, []) + [value])[-self.window :]
        return improvement

    def _scaled(self, difference):
        if self.scale == 'none':
            return difference
        if self.scale == 'run_range':
            span = _difference(self._high, self._low)
            return 0.0 if span == 0.0 else difference / span
        # 'mean_abs': the average includes this round, so |f'| <= 1 / (1 - decay) at most.
        self._abs_average = self.scale_decay * self._abs_average + (1 - self.scale_decay) * abs(difference)
        self._abs_weight = self.scale_decay * self._abs_weight + (1 - self.scale_decay)
        average = self._abs_average / self._abs_weight
        return 0.0 if average == 0.0 else float(np.clip(difference / average, -_MAX, _MAX))

    def state_dict(self):
        return {
            'recent': list(self._recent),
            'by_arm': [[int(arm), list(values)] for arm, values in sorted(self._by_arm.items())],
            'low': self._low,
            'high': self._high,
            'abs_average': self._abs_average,
            'abs_weight': self._abs_weight,
        }

    def load_state_dict(self, state):
        self._recent = [float(v) for v in state['recent']]
        self._by_arm = {int(arm): [float(v) for v in values] for arm, values in state['by_arm']}
        self._low, self._high = state['low'], state['high']
        self._abs_average = float(state['abs_average'])
        self._abs_weight = float(state['abs_weight'])
