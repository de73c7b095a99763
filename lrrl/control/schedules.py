"""Learning-rate schedules: the rate as a pure function of the agent step (no TensorFlow).

A schedule maps t, the agent's training step count (Dopamine's
``training_steps``: one agent step is one action in a training episode, four
Atari frames; evaluation steps do not count), to a learning rate. Because the
rate depends on t alone, a resumed run continues its schedule where the
checkpoint left it (Dopamine restores ``training_steps``), and a schedule used
as a bandit arm advances with time whether or not that arm is being played.

Gradient updates happen every ``update_period`` agent steps (4 on Atari), so
t = 4·u after u updates once the replay warm-up is over; the paper's decay
rates d ∈ {1, 2, 3}×10⁻⁷ are per agent step (assumed: docs/method.md, "What is assumed").
"""

import math

import gin

from lrrl import validation


def _check(binding, value, allowed, test):
    """A finite real ``value`` passing ``test``, as a float."""
    validation.require(validation.is_real(value) and test(value), binding, value, allowed)
    return float(value)


def _rate(binding, value):
    return _check(binding, value, 'a finite learning rate >= 0', lambda v: v >= 0)


def _positive(binding, value):
    return _check(binding, value, 'a finite number > 0', lambda v: v > 0)


class LearningRateSchedule:
    """A learning rate that depends only on the agent step t."""

    def __call__(self, step):
        raise NotImplementedError

    def params(self):
        """The schedule's parameters as plain data (checked on resume)."""
        return {}

    def state_dict(self):
        return {'class': type(self).__name__, **self.params()}

    def __repr__(self):
        args = ', '.join(f'{k}={v!r}' for k, v in self.params().items())
        return f'{type(self).__name__}({args})'


@gin.configurable
class ConstantRate(LearningRateSchedule):
    """η_t = η: the schedule of a fixed-rate arm."""

    def __init__(self, rate=gin.REQUIRED):
        self.rate = _rate('ConstantRate.rate', rate)

    def __call__(self, step):
        return self.rate

    def params(self):
        return {'rate': self.rate}


@gin.configurable
class ExponentialDecay(LearningRateSchedule):
    """η_t = η_0 · exp(−d · t), t in agent steps (the paper's decay baseline).

    Args:
      initial_rate: η_0.
      decay_rate: d >= 0 per agent step (the paper: 1e-7, 2e-7, 3e-7).
    """

    def __init__(self, initial_rate=gin.REQUIRED, decay_rate=gin.REQUIRED):
        self.initial_rate = _rate('ExponentialDecay.initial_rate', initial_rate)
        self.decay_rate = _check('ExponentialDecay.decay_rate', decay_rate, 'a finite number >= 0', lambda v: v >= 0)

    def __call__(self, step):
        return self.initial_rate * math.exp(-self.decay_rate * step)

    def params(self):
        return {'initial_rate': self.initial_rate, 'decay_rate': self.decay_rate}


@gin.configurable
class LinearDecay(LearningRateSchedule):
    """η_t = η_0 · (1 − (1 − f) · min(t / T, 1)): linear anneal to f·η_0 over T steps, then constant.

    Args:
      initial_rate: η_0.
      final_factor: f >= 0, the final rate as a fraction of η_0.
      decay_steps: T >= 1 agent steps.
    """

    def __init__(self, initial_rate=gin.REQUIRED, final_factor=0.1, decay_steps=gin.REQUIRED):
        self.initial_rate = _rate('LinearDecay.initial_rate', initial_rate)
        self.final_factor = _check('LinearDecay.final_factor', final_factor, 'a finite number >= 0', lambda v: v >= 0)
        self.decay_steps = validation.check_agent_steps('LinearDecay.decay_steps', decay_steps)

    def __call__(self, step):
        progress = min(step / self.decay_steps, 1.0)
        return self.initial_rate * (1.0 - (1.0 - self.final_factor) * progress)

    def params(self):
        return {'initial_rate': self.initial_rate, 'final_factor': self.final_factor, 'decay_steps': self.decay_steps}


@gin.configurable
class StepDecay(LearningRateSchedule):
    """η_t = η_0 · γ^⌊t / S⌋: the rate is multiplied by γ every S agent steps.

    Args:
      initial_rate: η_0.
      factor: γ > 0 (e.g. 0.5 halves the rate).
      step_size: S >= 1 agent steps.
    """

    def __init__(self, initial_rate=gin.REQUIRED, factor=0.5, step_size=gin.REQUIRED):
        self.initial_rate = _rate('StepDecay.initial_rate', initial_rate)
        self.factor = _positive('StepDecay.factor', factor)
        self.step_size = validation.check_agent_steps('StepDecay.step_size', step_size)

    def __call__(self, step):
        return self.initial_rate * self.factor ** (step // self.step_size)

    def params(self):
        return {'initial_rate': self.initial_rate, 'factor': self.factor, 'step_size': self.step_size}


CYCLICAL_MODES = ('triangular', 'triangular2', 'exp_range')


@gin.configurable
class CyclicalRate(LearningRateSchedule):
    """Cyclical learning rates (Smith, "Cyclical Learning Rates for Training Neural Networks", 2017).

    The rate climbs linearly from ``base_rate`` to ``max_rate`` over
    ``half_cycle_steps`` agent steps (Smith's "stepsize") and back down over
    as many. With c = ⌊1 + t / (2S)⌋ and x = |t / S − 2c + 1|:

      η_t = base + (max − base) · max(0, 1 − x) · scale(c, t)

    where scale is 1 (``triangular``), 1 / 2^(c−1) (``triangular2``: the
    amplitude halves every cycle) or γ^t (``exp_range``).

    Args:
      base_rate: the lower bound.
      max_rate: the upper bound (>= base_rate).
      half_cycle_steps: S >= 1 agent steps.
      mode: one of 'triangular', 'triangular2', 'exp_range'.
      gamma: γ in (0, 1] for 'exp_range' (ignored otherwise).
    """

    def __init__(
        self, base_rate=gin.REQUIRED, max_rate=gin.REQUIRED, half_cycle_steps=gin.REQUIRED, mode='triangular', gamma=1.0
    ):
        self.base_rate = _rate('CyclicalRate.base_rate', base_rate)
        self.max_rate = _rate('CyclicalRate.max_rate', max_rate)
        if self.max_rate < self.base_rate:
            raise ValueError(
                f'CyclicalRate.max_rate = {max_rate!r} is not allowed: it must be >= '
                f'CyclicalRate.base_rate = {base_rate!r}.'
            )
        self.half_cycle_steps = validation.check_agent_steps('CyclicalRate.half_cycle_steps', half_cycle_steps)
        if mode not in CYCLICAL_MODES:
            raise ValueError(f'CyclicalRate.mode = {mode!r} is not allowed: it must be one of {CYCLICAL_MODES}.')
        self.mode = mode
        self.gamma = _check('CyclicalRate.gamma', gamma, 'a number in (0, 1]', lambda v: 0 < v <= 1)

    def __call__(self, step):
        cycle = math.floor(1 + step / (2 * self.half_cycle_steps))
        x = abs(step / self.half_cycle_steps - 2 * cycle + 1)
        if self.mode == 'triangular':
            scale = 1.0
        elif self.mode == 'triangular2':
            scale = 0.5 ** (cycle - 1)  # a float power: underflows to 0 instead of overflowing
        else:
            scale = self.gamma**step
        return self.base_rate + (self.max_rate - self.base_rate) * max(0.0, 1.0 - x) * scale

    def params(self):
        return {
            'base_rate': self.base_rate,
            'max_rate': self.max_rate,
            'half_cycle_steps': self.half_cycle_steps,
            'mode': self.mode,
            'gamma': self.gamma,
        }
