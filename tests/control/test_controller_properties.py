"""Property-based: every controller, any valid parameters, any finite feedback.

Invariants: the rate is finite and one of the candidates (constant arms) or
the schedule's value; probabilities are finite and sum to 1; the state
survives a JSON round trip exactly and the copy continues identically.
"""

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st
import numpy as np

from lrrl.control import bandits
from lrrl.control import controllers
from lrrl.control import schedules

rates = st.floats(min_value=1e-8, max_value=1.0, allow_nan=False)
feedback = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
steps = st.integers(min_value=0, max_value=10**9)


@st.composite
def schedule_strategy(draw):
    kind = draw(st.sampled_from(['constant', 'exponential', 'linear', 'step', 'cyclical']))
    initial = draw(rates)
    if kind == 'constant':
        return schedules.ConstantRate(initial)
    if kind == 'exponential':
        return schedules.ExponentialDecay(initial, draw(st.floats(min_value=0, max_value=1e-3)))
    if kind == 'linear':
        return schedules.LinearDecay(initial, draw(st.floats(0, 1)), draw(st.integers(1, 10**8)))
    if kind == 'step':
        return schedules.StepDecay(initial, draw(st.floats(1e-3, 1.0)), draw(st.integers(1, 10**7)))
    return schedules.CyclicalRate(
        initial,
        initial * draw(st.floats(1.0, 100.0)),
        draw(st.integers(1, 10**6)),
        mode=draw(st.sampled_from(schedules.CYCLICAL_MODES)),
        gamma=draw(st.floats(0.5, 1.0)),
    )


@st.composite
def controller_factory(draw):
    """A zero-argument function that builds one controller from drawn parameters."""
    kind = draw(st.sampled_from(['fixed', 'scheduled', 'bandit', 'bandit_schedules', 'classic']))
    if kind == 'fixed':
        rate = draw(rates)
        return lambda: controllers.FixedLearningRate(rate)
    if kind == 'scheduled':
        schedule, period = draw(schedule_strategy()), draw(st.integers(1, 1000))
        return lambda: controllers.ScheduledLearningRate(schedule, period)
    kappa = draw(st.integers(1, 4))
    if kind == 'bandit_schedules':
        arms = draw(st.lists(schedule_strategy(), min_size=1, max_size=6))
        states = [a.state_dict() for a in arms]
        arms = [a for i, a in enumerate(arms) if states.index(states[i]) == i]
        return lambda: controllers.BanditLearningRate(schedules=arms, episodes_per_round=kappa)
    candidate_set = draw(st.lists(rates, min_size=1, max_size=10, unique=True))
    if kind == 'classic':
        gamma = draw(st.floats(0.01, 1.0))
        bandit = lambda num_arms: bandits.ClassicExp3Bandit(num_arms, gamma=gamma)  # noqa: E731
    else:
        alpha, decay, window = draw(st.floats(1e-3, 10.0)), draw(st.floats(1e-3, 1.0)), draw(st.integers(1, 10))
        normalize = draw(st.booleans())
        bandit = lambda num_arms: bandits.Exp3Bandit(  # noqa: E731
            num_arms, alpha=alpha, decay=decay, window=window, normalize=normalize
        )
    return lambda: controllers.BanditLearningRate(rates=candidate_set, bandit=bandit, episodes_per_round=kappa)


def expected_rate(controller, step):
    if isinstance(controller, controllers.ScheduledLearningRate):
        return controller.schedule(step)
    if isinstance(controller, controllers.BanditLearningRate):
        return controller.arms[controller.arm](step)
    return controller.rate


@settings(max_examples=150, deadline=None)
@given(controller_factory(), st.integers(0, 2**31), st.lists(st.tuples(feedback, steps), min_size=2, max_size=40))
def test_every_controller_keeps_its_invariants(build, seed, episodes):
    controller = build()
    controller.seed(seed)
    half = len(episodes) // 2
    for index, (episode_return, step) in enumerate(episodes):
        rate = controller.end_episode(episode_return, step)
        assert math.isfinite(rate) and rate >= 0
        assert rate == expected_rate(controller, step)
        if isinstance(controller, controllers.BanditLearningRate):
            assert rate == controller.candidates[controller.arm]
        p = controller.probabilities()
        assert np.all(np.isfinite(p)) and abs(p.sum() - 1) < 1e-9 and len(p) == controller.num_arms
        if index == half:
            state = json.loads(json.dumps(controller.state_dict()))
    # Two fresh controllers (other seeds) loaded from the saved state agree with each other and
    # with the original's state at that point, and continue identically.
    copies = []
    for other_seed in (seed + 1, seed + 2):
        copy = build()
        copy.seed(other_seed)
        copy.load_state_dict(state)
        assert copy.state_dict() == state
        copies.append(copy)
    for episode_return, step in episodes[half + 1 :]:
        assert copies[0].end_episode(episode_return, step) == copies[1].end_episode(episode_return, step)
    assert copies[0].state_dict() == copies[1].state_dict() == controller.state_dict()
