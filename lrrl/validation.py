"""Checks of configured values, with errors that name the binding and what is allowed.

Pure Python/numpy: the bandits, schedules and numpy benchmarks use it without
TensorFlow. gin passes through whatever a user wrote, so bool (an int subclass)
and numpy scalars are handled explicitly.
"""

import math

import numpy as np

from lrrl import errors


def require(condition, binding, value, allowed):
    """Raises ``ConfigError('<binding> = <value> is not allowed: it must be <allowed>.')`` unless ``condition``."""
    if not condition:
        raise errors.ConfigError(f'{binding} = {value!r} is not allowed: it must be {allowed}.')


def is_int(value, minimum=None):
    """An integer (not a bool), at least ``minimum`` if given."""
    return (
        isinstance(value, (int, np.integer)) and not isinstance(value, bool) and (minimum is None or value >= minimum)
    )


def check_agent_steps(binding, value):
    """A whole number of agent steps >= 1, as an int (schedule lengths, update periods)."""
    require(is_int(value, 1), binding, value, 'a whole number of agent steps >= 1')
    return int(value)


def check_int(binding, value, minimum):
    """``value`` as an int if it is an integer >= ``minimum`` (not a bool); else ConfigError."""
    require(is_int(value, minimum), binding, value, f'an integer >= {minimum}')
    return int(value)


def check_steps_per_round(binding, steps_per_round, steps):
    """A bandit round of κ optimizer steps, 1 <= κ <= ``steps`` (the numpy benchmarks)."""
    require(
        is_int(steps_per_round, 1) and steps_per_round <= steps,
        binding,
        steps_per_round,
        f'an integer in [1, steps = {steps}]',
    )
    return int(steps_per_round)


def is_real(value):
    """A finite real number (not a bool)."""
    return (
        isinstance(value, (int, float, np.integer, np.floating))
        and not isinstance(value, bool)
        and math.isfinite(value)
    )
