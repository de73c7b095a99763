"""The round probe of the numpy benchmarks: the task's own loss (no Q-values, no batch to draw).

On an RL agent the probe is the TD loss on a batch of replay transitions
(``lrrl.experiment.rate_control.RoundProbe``). The numpy tasks have a loss of
their own, so a feedback that reads the probe (``LossImprovement``,
``DivergenceGuard``) gets it from them: MaclaurinNet's loss on its held-out test
polynomials, a test function's gap to its minimum. There is no batch to hold
through the round (the loss is the same function at its start and end), so the
frozen and current losses are one, and there are no Q-values (|Q| is 0, so the
guard reads the loss alone).
"""

import functools

from lrrl import errors
from lrrl.control import feedback


class LossProbe:
    """``measure()`` and ``redraw()``: the current value of ``loss`` (a callable) as a ``feedback.Probe``."""

    def __init__(self, loss):
        self._loss = loss

    def measure(self):
        value = float(self._loss())
        return feedback.Probe(loss=value, loss_frozen=value, q_max=0.0)

    redraw = measure


def attach(rate_controllers, loss_of_row, task):
    """Gives each controller that needs the probe a ``LossProbe`` of its own row's loss.

    ``loss_of_row(row)`` is the current loss of row ``row``. A controller that
    needs the probe may drive only one row (each row has its own loss).
    """
    rows = {}
    for row, controller in enumerate(rate_controllers):
        if controller.needs_probe:
            if id(controller) in rows:
                raise errors.ConfigError(
                    f'{task}: one controller drives several rows, and its feedback reads the loss of one row: give '
                    'each row its own controller.'
                )
            rows[id(controller)] = row
            controller.attach_probe(LossProbe(functools.partial(loss_of_row, row)))


def refuse(rate_controllers, task):
    """For a task with no loss to probe (the testbed's synthetic learning processes): a clear error."""
    for controller in rate_controllers:
        if controller.needs_probe:
            raise errors.ConfigError(
                f'{task} has no loss to probe: its feedback (BanditLearningRate.feedback reads the TD loss, or '
                'record_probes = True) cannot be computed there. Use a return-based feedback, e.g. @RoundImprovement().'
            )
