"""What a bandit is told about a round: its feedback signal (numpy, no TensorFlow).

A closed round is a ``RoundOutcome``: the arm it played, its *value* f_n (the
mean raw return of the training episodes that count for it;
``lrrl.control.controllers.BanditLearningRate`` decides which), the mean return
of the episodes that ended just *before* it began, and, when the agent measures
them, its *probe*: the TD loss and the largest |Q| on a fixed batch of replay
transitions at the round's start and end (``lrrl.experiment.rate_control``). A
*feedback* turns it into the number the bandit is given (larger is better).

LRRL rewards the improvement of the returns (arXiv 2410.12598, the method
section; reconstruction in ``docs/bandits.md``): f'_n = (f_n - baseline_n) /
scale_n. ``window_improvement`` is the paper's form, f_n minus the mean of the
previous j values, optionally divided by the spread of that window;
``Exp3Bandit`` applies it itself when it is fed raw values (``Exp3Bandit.window``).

The feedback classes, each gin-selectable as ``BanditLearningRate.feedback``:

- ``RoundImprovement``: f' from the returns, baseline and scale selectable:

  - baseline ``'previous_rounds'``: the mean of the previous ``window`` values
    (the paper's, with j = ``window``); ``'same_arm'``: the mean of the previous
    ``window`` values of rounds that played the same arm; ``'run_min'``: the
    lowest value seen so far in the run, so that f' is the *level* of the
    returns rather than their change (with ``'run_range'``, min-max scaled to
    [0, 1]); ``'before_round'``: the mean return of the episodes that ended in
    the stretch just before the round began, as long as the part of the round
    that counts (paired within the run: the change the round made, against the
    same policy's returns a moment earlier, not against the run's history);
  - scale ``'window_std'``: the spread of that window and the current value
    (the paper-literal normalisation; it makes f' invariant to any affine
    change of the returns, so a smooth rise scores the same whatever its slope,
    see ``docs/bandits.md``), ``'run_range'``: max - min of every value seen so
    far in the run (a solved and a collapsed arm are told apart, and |f'| <= 1),
    ``'mean_abs'``: a slow moving average of |f_n - baseline_n|
    (bias-corrected), or ``'none'``.

  The first round (no baseline yet) gives 0, and so does a zero scale.
- ``LossImprovement``: f' = ln(L_start / L_end), clipped to ±``bound``: how much
  the round lowered the agent's TD loss on the probe batch, a batch of replay
  transitions drawn when the round began. The RLR scheduler
  (``lrrl.control.rlr``, docs/benchmarks.md) rewards a loss decrease, and AdaQN (Liu et al., arXiv 2405.16195) selects among Q-networks by
  their TD error, not their return. ``targets``: ``'current'`` measures L_end
  with the target network of the round's end (the TD loss the agent would see
  then), ``'frozen'`` with the targets computed when the round began (how far the
  round moved the online network towards them). A non-finite loss gives -bound.
- ``DivergenceGuard``: wraps either: the round's feedback is ``penalty`` when the
  probe shows damage done within the round: non-finite Q-values, the loss
  growing by more than ``loss_factor``, or the largest |Q| by more than
  ``q_factor`` (over at least ``q_floor``). A destructive arm is penalised in
  the round that caused the damage, not only in the later rounds whose returns
  it ruined.

Feedbacks that read the probe (``needs_probe``) need an agent that measures it
(DQN and IQN; ``lrrl.experiment.checks`` refuses them for PPO before anything is
built).
"""

import dataclasses
import math

import gin
import numpy as np

from lrrl import validation

BASELINES = ('previous_rounds', 'same_arm', 'run_min', 'before_round')
SCALES = ('window_std', 'run_range', 'mean_abs', 'none')
LOSS_TARGETS = ('current', 'frozen')
_MAX = np.finfo(np.float64).max


@dataclasses.dataclass(frozen=True)
class Probe:
    """The agent's measurement on the round's probe batch (``lrrl.experiment.rate_control``).

    Attributes:
      loss: mean Huber TD loss, targets from the target network of that moment.
      loss_frozen: the same against the targets computed when the batch was
        drawn (equal to ``loss`` at the round's start).
      q_max: the largest |Q(s, a)| over the batch and the actions.
    """

    loss: float
    loss_frozen: float
    q_max: float

    def finite(self):
        return all(math.isfinite(v) for v in (self.loss, self.loss_frozen, self.q_max))


@dataclasses.dataclass(frozen=True)
class RoundOutcome:
    """What a closed round's feedback is computed from.

    Attributes:
      arm: the arm the round played.
      value: f_n, the mean return of the episodes that count for the round.
      before: the mean return of the episodes that ended just before the round
        began (over as many agent steps as the part of the round that counts);
        NaN when none had ended yet.
      probe_start, probe_end: the probe at the round's start and end, or None
        when the agent does not measure it.
    """

    arm: int
    value: float
    before: float = math.nan
    probe_start: Probe = None
    probe_end: Probe = None


class RoundFeedback:
    """Turns a ``RoundOutcome`` into the bandit's feedback; the interface of every feedback class."""

    name = 'RoundFeedback'
    # Whether the signal reads the probe (then the agent must measure it).
    needs_probe = False

    def config(self):
        """The settings, saved with the controller's state and checked on resume."""
        return {}

    def signal(self, outcome):
        """The feedback of a closed round (a ``RoundOutcome``); records the round."""
        raise NotImplementedError

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        del state


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
class RoundImprovement(RoundFeedback):
    """f'_n = (f_n - baseline_n) / scale_n, with the baseline and the scale selectable.

    Args:
      baseline: ``'previous_rounds'``, ``'same_arm'``, ``'run_min'`` or
        ``'before_round'`` (module doc).
      window: how many earlier values the ``'previous_rounds'`` and
        ``'same_arm'`` baselines average (j >= 1).
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

    def signal(self, outcome):
        """The improvement of a closed round (a ``RoundOutcome``); records the round."""
        value, arm = float(outcome.value), outcome.arm
        if not math.isfinite(value):
            raise ValueError(f'RoundImprovement got the round value {value}; it must be finite.')
        history = self._recent if self.baseline == 'previous_rounds' else self._by_arm.get(arm, [])
        self._low = value if self._low is None else min(self._low, value)
        self._high = value if self._high is None else max(self._high, value)
        if self.baseline == 'run_min':
            history = [self._low]
        elif self.baseline == 'before_round':
            before = float(outcome.before)
            history = [before] if math.isfinite(before) else []
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


@gin.configurable
class LossImprovement(RoundFeedback):
    """f' = ln(L_start / L_end) on the round's probe batch, clipped to ±``bound`` (module doc).

    Args:
      targets: ``'current'`` (L_end with the target network at the round's end)
        or ``'frozen'`` (L_end against the targets of the round's start).
      bound: the clip, > 0; 1 is a loss that fell (or grew) by a factor e.
    """

    name = 'LossImprovement'
    needs_probe = True

    def __init__(self, targets='current', bound=1.0):
        validation.require(targets in LOSS_TARGETS, 'LossImprovement.targets', targets, f'one of {LOSS_TARGETS}')
        validation.require(
            validation.is_real(bound) and bound > 0, 'LossImprovement.bound', bound, 'a finite number > 0'
        )
        self.targets = targets
        self.bound = float(bound)

    def config(self):
        return {'targets': self.targets, 'bound': self.bound}

    def signal(self, outcome):
        start, end = _probes(self.name, outcome)
        before = start.loss
        after = end.loss if self.targets == 'current' else end.loss_frozen
        if not (math.isfinite(before) and math.isfinite(after)):
            return -self.bound
        if before <= 0.0 or after <= 0.0:  # a loss of exactly 0: no change to measure
            return 0.0 if before == after else (self.bound if after < before else -self.bound)
        return float(np.clip(math.log(before / after), -self.bound, self.bound))


def _probes(owner, outcome):
    if outcome.probe_start is None or outcome.probe_end is None:
        raise ValueError(
            f'{owner} needs the TD loss on a probe batch at the start and the end of each round, and this '
            'round has none: the agent does not measure it (DQN and IQN do; see lrrl.experiment.rate_control).'
        )
    return outcome.probe_start, outcome.probe_end


@gin.configurable
class DivergenceGuard(RoundFeedback):
    """``signal``'s feedback, or ``penalty`` for a round whose probe shows damage (module doc).

    Args:
      signal: the feedback guarded, e.g. ``@RoundImprovement()`` or ``@LossImprovement()``.
      loss_factor: the round diverged if its TD loss grew by more than this factor (> 1).
      q_factor: ... or if its largest |Q| grew by more than this factor (> 1) ...
      q_floor: ... from at least this value (> 0): early in a run |Q| is near 0
        and may grow many-fold as the agent learns.
      penalty: the feedback of such a round. -1 is below every value of the
        range-scaled return signals and at the bound of ``LossImprovement``'s.
    """

    name = 'DivergenceGuard'
    needs_probe = True

    def __init__(self, signal=None, loss_factor=10.0, q_factor=10.0, q_floor=1.0, penalty=-1.0):
        validation.require(
            isinstance(signal, RoundFeedback) and not isinstance(signal, DivergenceGuard),
            'DivergenceGuard.signal',
            signal,
            'a feedback to guard, e.g. @RoundImprovement() or @LossImprovement()',
        )
        for binding, value, minimum in (
            ('DivergenceGuard.loss_factor', loss_factor, 1.0),
            ('DivergenceGuard.q_factor', q_factor, 1.0),
            ('DivergenceGuard.q_floor', q_floor, 0.0),
        ):
            validation.require(
                validation.is_real(value) and value > minimum, binding, value, f'a finite number > {minimum:g}'
            )
        validation.require(validation.is_real(penalty), 'DivergenceGuard.penalty', penalty, 'a finite number')
        self.guarded = signal
        self.loss_factor = float(loss_factor)
        self.q_factor = float(q_factor)
        self.q_floor = float(q_floor)
        self.penalty = float(penalty)
        self.triggered = 0  # rounds penalised so far

    def config(self):
        return {
            'signal': {'name': self.guarded.name, **self.guarded.config()},
            'loss_factor': self.loss_factor,
            'q_factor': self.q_factor,
            'q_floor': self.q_floor,
            'penalty': self.penalty,
        }

    def diverged(self, outcome):
        """Whether the round's probe shows damage done within it."""
        start, end = _probes(self.name, outcome)
        if not end.finite():
            return True
        if math.isfinite(start.loss) and end.loss > self.loss_factor * max(start.loss, 1e-12):
            return True
        return end.q_max > self.q_factor * max(start.q_max if math.isfinite(start.q_max) else 0.0, self.q_floor)

    def signal(self, outcome):
        # The guarded signal always records the round (its run statistics stay whole).
        value = self.guarded.signal(outcome)
        if self.diverged(outcome):
            self.triggered += 1
            return self.penalty
        return value

    def state_dict(self):
        return {'signal': self.guarded.state_dict(), 'triggered': self.triggered}

    def load_state_dict(self, state):
        self.guarded.load_state_dict(state['signal'])
        self.triggered = int(state['triggered'])
