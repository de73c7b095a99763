"""Schedules match their closed forms, drive controllers, and survive a checkpoint."""

import json
import math

import numpy as np
import pytest

from lrrl.control import bandits
from lrrl.control import controllers
from lrrl.control import schedules

STEPS = (0, 1, 7, 10, 15, 20, 25, 30, 12345, 10**7, 5 * 10**7)


def triangle(step, half):
    """Distance-to-peak shape of one cycle, written independently of the class."""
    position = step % (2 * half)
    return position / half if position <= half else 2 - position / half


@pytest.mark.parametrize('step', STEPS)
def test_schedules_match_their_closed_forms(step):
    assert schedules.ExponentialDecay(6.25e-5, 1e-7)(step) == pytest.approx(6.25e-5 * math.exp(-1e-7 * step), rel=1e-12)
    linear = schedules.LinearDecay(1e-3, final_factor=0.1, decay_steps=100)
    assert linear(step) == pytest.approx(1e-3 - 0.9e-3 * min(step, 100) / 100, rel=1e-12)
    assert schedules.StepDecay(1e-3, factor=0.5, step_size=10)(step) == pytest.approx(1e-3 * 0.5 ** (step // 10))
    for mode, scale in (
        ('triangular', 1.0),
        ('triangular2', 0.5 ** (step // 20)),
        ('exp_range', 0.99**step),
    ):
        cyclical = schedules.CyclicalRate(1e-4, 3e-4, half_cycle_steps=10, mode=mode, gamma=0.99)
        assert cyclical(step) == pytest.approx(1e-4 + 2e-4 * triangle(step, 10) * scale, rel=1e-9, abs=1e-18), mode


def test_known_points_of_the_papers_decays_and_smiths_cycles():
    # exp(-d t) after 10M agent steps (40M frames): e^-1, e^-2, e^-3 of the start.
    for d, factor in ((1e-7, math.exp(-1)), (2e-7, math.exp(-2)), (3e-7, math.exp(-3))):
        assert schedules.ExponentialDecay(1.0, d)(10**7) == pytest.approx(factor)
    cyclical = schedules.CyclicalRate(1.0, 3.0, half_cycle_steps=10, mode='triangular2')
    assert [cyclical(t) for t in (0, 5, 10, 20, 30, 50)] == pytest.approx([1.0, 2.0, 3.0, 1.0, 2.0, 1.5])


@pytest.mark.parametrize(
    'build, message',
    [
        (lambda: schedules.ExponentialDecay(-1e-4, 1e-7), 'ExponentialDecay.initial_rate = -0.0001'),
        (lambda: schedules.ExponentialDecay(1e-4, float('nan')), 'ExponentialDecay.decay_rate = nan'),
        (lambda: schedules.LinearDecay(1e-4, decay_steps=0), 'LinearDecay.decay_steps = 0'),
        (lambda: schedules.StepDecay(1e-4, factor=0, step_size=10), 'StepDecay.factor = 0'),
        (lambda: schedules.StepDecay(1e-4, step_size=2.5), 'StepDecay.step_size = 2.5'),
        (lambda: schedules.CyclicalRate(1e-3, 1e-4, 10), 'CyclicalRate.max_rate = 0.0001'),
        (lambda: schedules.CyclicalRate(1e-4, 1e-3, 10, mode='cosine'), "CyclicalRate.mode = 'cosine'"),
        (lambda: schedules.CyclicalRate(1e-4, 1e-3, 10, mode='exp_range', gamma=1.5), 'CyclicalRate.gamma = 1.5'),
        (lambda: controllers.ScheduledLearningRate(1e-3), 'ScheduledLearningRate.schedule = 0.001'),
        (
            lambda: controllers.ScheduledLearningRate(schedules.ConstantRate(1e-3), rate_update_period=0),
            'ScheduledLearningRate.rate_update_period = 0',
        ),
        (lambda: controllers.BanditLearningRate(), 'exactly one of BanditLearningRate.rates'),
        (lambda: controllers.BanditLearningRate(schedules=[]), 'BanditLearningRate.schedules = []'),
        (
            lambda: controllers.BanditLearningRate(schedules=[schedules.ExponentialDecay(1e-4, 1e-7)] * 2),
            'must be distinct',
        ),
    ],
)
def test_bad_schedule_parameters_name_the_binding(build, message):
    with pytest.raises(ValueError) as error:
        build()
    assert message in str(error.value)


def through_json(state):
    return json.loads(json.dumps(state))


def test_scheduled_controller_follows_the_step_and_resumes_where_it_stopped():
    schedule = schedules.ExponentialDecay(1e-3, 1e-4)
    controller = controllers.ScheduledLearningRate(schedule, rate_update_period=50)
    assert controller.rate_update_period == 50
    assert controller.rate == pytest.approx(1e-3, rel=1e-12)
    assert controller.advance(2000) == pytest.approx(1e-3 * math.exp(-0.2))
    assert controller.end_episode(12.0, 3000) == pytest.approx(1e-3 * math.exp(-0.3))
    state = through_json(controller.state_dict())
    resumed = controllers.ScheduledLearningRate(schedules.ExponentialDecay(1e-3, 1e-4))
    assert resumed.rate == pytest.approx(1e-3, rel=1e-12)
    resumed.load_state_dict(state)
    assert resumed.rate == controller.rate
    assert resumed.advance(4000) == pytest.approx(1e-3 * math.exp(-0.4))
    other = controllers.ScheduledLearningRate(schedules.ExponentialDecay(1e-3, 2e-4))
    with pytest.raises(ValueError, match='ExponentialDecay.*decay_rate'):
        other.load_state_dict(state)


def scheduler_arms(seed=0):
    arms = [schedules.ExponentialDecay(1e-3, d) for d in (1e-4, 2e-4, 3e-4)]
    controller = controllers.BanditLearningRate(schedules=arms, rate_update_period=10)
    controller.seed(seed)
    return controller


def test_scheduler_arms_advance_whether_or_not_they_are_played():
    controller = scheduler_arms()
    assert controller.rate_update_period == 10
    step = 0
    for episode in range(30):
        step += 100
        rate = controller.end_episode(float(episode % 7), step)
        expected = [1e-3 * math.exp(-d * step) for d in (1e-4, 2e-4, 3e-4)]
        assert controller.candidates == pytest.approx(expected)
        assert rate == pytest.approx(expected[controller.arm])
    assert controller.advance(step + 5) == pytest.approx(
        1e-3 * math.exp(-(1e-4, 2e-4, 3e-4)[controller.arm] * (step + 5))
    )


def test_scheduler_arms_round_trip_exactly():
    a = scheduler_arms(seed=3)
    for episode in range(12):
        a.end_episode(float(episode), 100 * (episode + 1))
    b = scheduler_arms(seed=99)
    b.load_state_dict(through_json(a.state_dict()))
    assert b.state_dict() == a.state_dict()
    for episode in range(12, 40):
        assert a.end_episode(float(episode % 5), 100 * episode) == b.end_episode(float(episode % 5), 100 * episode)
    constant = controllers.BanditLearningRate(rates=(1e-3, 2e-3, 3e-3))
    with pytest.raises(ValueError, match='BanditLearningRate.rates/schedules'):
        constant.load_state_dict(through_json(a.state_dict()))


def test_constant_arms_need_no_per_step_updates():
    assert controllers.BanditLearningRate(rates=(1e-3, 2e-3)).rate_update_period is None
    assert controllers.FixedLearningRate(1e-3).rate_update_period is None
    fixed = controllers.FixedLearningRate(1e-3)
    assert fixed.advance(10**6) == 1e-3


def test_bandit_arms_may_mix_constants_and_schedules():
    arms = [schedules.ConstantRate(1e-4), schedules.CyclicalRate(1e-5, 1e-3, 50)]
    controller = controllers.BanditLearningRate(schedules=arms, bandit=bandits.Exp3Bandit)
    controller.advance(50)
    assert controller.candidates == pytest.approx((1e-4, 1e-3))
    assert np.isclose(controller.probabilities().sum(), 1.0)
