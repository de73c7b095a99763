"""Learning-rate controllers: rounds of κ episodes, validation, state."""

import json
import subprocess
import sys

import numpy as np
import pytest

from lrrl.control import bandits
from lrrl.control import controllers

K5 = (1.5625e-5, 3.125e-5, 6.25e-5, 1.25e-4, 2.5e-4)


class RecordingBandit(bandits.Exp3Bandit):
    """An Exp3Bandit that records the feedback it is given."""

    def __init__(self, num_arms):
        super().__init__(num_arms, seed=0)
        self.feedback = []

    def update(self, feedback):
        self.feedback.append(feedback)
        return super().update(feedback)


def test_a_round_closes_every_kappa_episodes_with_the_mean_return():
    controller = controllers.BanditLearningRate(rates=K5, bandit=RecordingBandit, episodes_per_round=3)
    returns = [1.0, 2.0, 6.0, 10.0, 20.0, 30.0, 5.0]
    rates = []
    for step, r in enumerate(returns):
        rates.append(controller.rate)
        controller.end_episode(r, step)
    assert controller.bandit.feedback == [3.0, 20.0]
    # The rate can only change at round boundaries.
    assert rates[0] == rates[1] == rates[2]
    assert rates[3] == rates[4] == rates[5]
    assert all(rate in K5 for rate in rates)


def test_bandit_rate_is_always_a_candidate_and_probabilities_match_bandit():
    controller = controllers.BanditLearningRate(rates=K5)
    controller.seed(0)
    for n in range(50):
        assert controller.rate == K5[controller.arm]
        assert controller.probabilities().sum() == pytest.approx(1.0)
        controller.end_episode(float(n), n)


def test_seeded_controllers_choose_the_same_rates():
    def rates(seed):
        controller = controllers.BanditLearningRate(rates=K5)
        controller.seed(seed)
        out = []
        for n in range(100):
            out.append(controller.rate)
            controller.end_episode(float((n * 37) % 11), n)
        return out

    assert rates(1) == rates(1)
    assert rates(1) != rates(2)


def test_state_round_trip_continues_identically():
    a = controllers.BanditLearningRate(rates=K5, episodes_per_round=2)
    a.seed(5)
    for n in range(11):  # Ends mid-round: the pending return must be kept.
        a.end_episode(float(n % 4), n)
    b = controllers.BanditLearningRate(rates=K5, episodes_per_round=2)
    b.load_state_dict(json.loads(json.dumps(a.state_dict())))
    for n in range(40):
        assert a.rate == b.rate
        a.end_episode(float(n), n)
        b.end_episode(float(n), n)


def test_loading_a_state_with_other_rates_is_refused():
    a = controllers.BanditLearningRate(rates=K5)
    b = controllers.BanditLearningRate(rates=K5[:3])
    with pytest.raises(ValueError, match='BanditLearningRate.rates/schedules'):
        b.load_state_dict(a.state_dict())
    with pytest.raises(ValueError, match='FixedLearningRate'):
        controllers.FixedLearningRate(1e-3).load_state_dict(a.state_dict())


def test_fixed_rate_never_changes():
    controller = controllers.FixedLearningRate(rate=2.5e-4)
    assert [controller.end_episode(r, 0) for r in (1.0, -5.0, 100.0)] == [2.5e-4] * 3
    assert controller.candidates == (2.5e-4,)
    np.testing.assert_array_equal(controller.probabilities(), [1.0])


@pytest.mark.parametrize(
    'rates, message',
    [
        ((), 'non-empty'),
        ([], 'non-empty'),
        (1e-3, 'non-empty'),
        ((1e-3, -1e-4), 'finite number >= 0'),
        ((1e-3, 0.0), 'must be > 0'),
        ((1e-3, float('nan')), 'finite'),
        ((float('inf'),), 'finite'),
        ((1e-3, 'fast'), 'finite'),
        ((1e-3, 1e-3), 'distinct'),
    ],
)
def test_bad_candidate_sets_are_rejected_with_the_binding(rates, message):
    with pytest.raises(ValueError, match=message) as error:
        controllers.BanditLearningRate(rates=rates)
    assert 'BanditLearningRate.rates' in str(error.value)


@pytest.mark.parametrize('kappa', [0, -1, 1.5, True])
def test_bad_kappa_is_rejected(kappa):
    with pytest.raises(ValueError, match='BanditLearningRate.episodes_per_round'):
        controllers.BanditLearningRate(rates=K5, episodes_per_round=kappa)


def test_bandit_controllers_and_schedules_do_not_import_tensorflow():
    code = (
        'import sys; import lrrl.bandits, lrrl.controllers, lrrl.schedules; '
        "bad = [m for m in ('tensorflow', 'jax', 'dopamine') if m in sys.modules]; "
        'print(bad); sys.exit(1 if bad else 0)'
    )
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
