"""The bandits: hand-computed updates, invariants, state and seeding."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrrl.control import bandits


def test_exp3_two_arm_sequence_matches_hand_computation():
    bandit = bandits.Exp3Bandit(num_arms=2, alpha=0.5, decay=0.8, window=2, normalize=False, seed=0)
    # Round 1: no history, improvement 0: the played arm's weight only decays.
    bandit.arm = 0
    assert bandit.update(10.0) == 0.0
    np.testing.assert_array_equal(bandit.weights, [0.0, 0.0])
    # Round 2: f' = 14 - mean(10) = 4; w0 = 0.8*0 + 0.5*4/exp(0) = 2.
    bandit.arm = 0
    assert bandit.update(14.0) == pytest.approx(4.0)
    np.testing.assert_allclose(bandit.weights, [2.0, 0.0])
    # Round 3, arm 1: f' = 6 - mean(10, 14) = -6; w1 = 0.5*(-6)/exp(0) = -3.
    bandit.arm = 1
    assert bandit.update(6.0) == pytest.approx(-6.0)
    np.testing.assert_allclose(bandit.weights, [2.0, -3.0])
    # Round 4, arm 0: window is (14, 6): f' = 20 - 10 = 10;
    # w0 = 0.8*2 + 0.5*10/exp(2).
    bandit.arm = 0
    assert bandit.update(20.0) == pytest.approx(10.0)
    np.testing.assert_allclose(bandit.weights, [1.6 + 5.0 / math.e**2, -3.0])
    expected = np.exp([1.6 + 5.0 / math.e**2, -3.0])
    np.testing.assert_allclose(bandit.probabilities(), expected / expected.sum())


def test_exp3_normalised_improvement_uses_window_and_current_value():
    bandit = bandits.Exp3Bandit(num_arms=2, alpha=1.0, decay=1.0, window=3, normalize=True, seed=0)
    bandit.arm = 0
    for f in (1.0, 2.0, 3.0):
        bandit.update(f)
    bandit.arm = 1
    improvement = bandit.update(10.0)
    window = np.array([1.0, 2.0, 3.0, 10.0])
    assert improvement == pytest.approx((10.0 - 2.0) / window.std(), rel=1e-6)
    # Scale-free: the same returns times 1000 give the same signal.
    scaled = bandits.Exp3Bandit(num_arms=2, alpha=1.0, decay=1.0, window=3, normalize=True, seed=0)
    scaled.arm = 0
    for f in (1e3, 2e3, 3e3):
        scaled.update(f)
    scaled.arm = 1
    assert scaled.update(1e4) == pytest.approx(improvement, rel=1e-6)


def test_decay_one_keeps_weights_and_smaller_decay_shrinks_them():
    kept = bandits.Exp3Bandit(num_arms=3, decay=1.0, seed=0)
    shrunk = bandits.Exp3Bandit(num_arms=3, decay=0.5, seed=0)
    for bandit in (kept, shrunk):
        bandit.weights[:] = [1.0, -2.0, 0.5]
        bandit.arm = 1
        bandit.update(5.0)  # First feedback: improvement 0.
        bandit.arm = 1
        bandit.update(5.0)  # Same feedback again: improvement 0.
    np.testing.assert_allclose(kept.weights, [1.0, -2.0, 0.5], rtol=1e-12)
    np.testing.assert_allclose(shrunk.weights, [1.0, -0.5, 0.5], rtol=1e-12)


def test_rewarded_arm_gains_probability():
    bandit = bandits.Exp3Bandit(num_arms=3, seed=1)
    bandit.arm = 0
    bandit.update(0.0)
    before = bandit.probabilities()[2]
    bandit.arm = 2
    bandit.update(100.0)
    assert bandit.probabilities()[2] > before


extreme = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e308, -1e308, 5e-324, 0.0, -0.0]),
)


@settings(max_examples=200, deadline=None)
@given(
    feedback=st.lists(extreme, min_size=1, max_size=60),
    num_arms=st.integers(1, 8),
    alpha=st.floats(1e-6, 1e6),
    decay=st.floats(1e-6, 1.0),
    window=st.integers(1, 10),
    normalize=st.booleans(),
)
def test_probabilities_stay_finite_and_sum_to_one(feedback, num_arms, alpha, decay, window, normalize):
    bandit = bandits.Exp3Bandit(num_arms=num_arms, alpha=alpha, decay=decay, window=window, normalize=normalize, seed=0)
    for f in feedback:
        arm = bandit.select_arm()
        assert 0 <= arm < num_arms
        bandit.update(f)
        p = bandit.probabilities()
        assert np.all(np.isfinite(p)) and np.all(p >= 0)
        assert p.sum() == pytest.approx(1.0)
        assert np.all(np.isfinite(bandit.weights))


@settings(max_examples=100, deadline=None)
@given(feedback=st.lists(extreme, min_size=1, max_size=40), gamma=st.floats(1e-3, 1.0))
def test_classic_exp3_stays_finite_and_mixes(feedback, gamma):
    bandit = bandits.ClassicExp3Bandit(num_arms=4, gamma=gamma, seed=0)
    for f in feedback:
        bandit.select_arm()
        bandit.update(f)
        p = bandit.probabilities()
        assert np.all(np.isfinite(p))
        assert p.sum() == pytest.approx(1.0)
        assert p.min() >= gamma / 4 - 1e-12


@pytest.mark.parametrize(
    'make',
    [
        lambda seed: bandits.Exp3Bandit(num_arms=4, seed=seed),
        lambda seed: bandits.ClassicExp3Bandit(num_arms=4, seed=seed),
    ],
)
def test_state_round_trips_exactly_through_plain_data(make):
    rng = np.random.default_rng(0)
    original = make(3)
    for _ in range(25):
        original.select_arm()
        original.update(rng.normal(scale=50))
    state = json.loads(json.dumps(original.state_dict()))  # plain Python data
    restored = make(999)
    restored.load_state_dict(state)
    assert restored.state_dict() == original.state_dict()
    feedback = rng.normal(scale=50, size=30)
    for f in feedback:
        assert restored.select_arm() == original.select_arm()
        restored.update(f)
        original.update(f)
    np.testing.assert_array_equal(restored.weights, original.weights)


def test_same_seed_and_feedback_choose_the_same_arms():
    def arms(seed):
        bandit = bandits.Exp3Bandit(num_arms=5, seed=seed)
        chosen = []
        for n in range(200):
            chosen.append(bandit.select_arm())
            bandit.update(float(n % 7) * (1 + chosen[-1]))
        return chosen

    assert arms(7) == arms(7)
    assert arms(7) != arms(8)


@pytest.mark.parametrize(
    'kwargs, binding',
    [
        ({'alpha': 0.0}, 'Exp3Bandit.alpha'),
        ({'alpha': -1.0}, 'Exp3Bandit.alpha'),
        ({'alpha': float('inf')}, 'Exp3Bandit.alpha'),
        ({'decay': 0.0}, 'Exp3Bandit.decay'),
        ({'decay': 1.5}, 'Exp3Bandit.decay'),
        ({'decay': float('nan')}, 'Exp3Bandit.decay'),
        ({'window': 0}, 'Exp3Bandit.window'),
        ({'window': 2.5}, 'Exp3Bandit.window'),
        ({'num_arms': 0}, 'Exp3Bandit.num_arms'),
        # gin passes `True` through as written; bool is an int subclass, not a count.
        ({'num_arms': True}, 'Exp3Bandit.num_arms'),
        ({'window': True}, 'Exp3Bandit.window'),
        ({'alpha': True}, 'Exp3Bandit.alpha'),
    ],
)
def test_bad_parameters_name_the_binding(kwargs, binding):
    args = {'num_arms': 3, **kwargs}
    with pytest.raises(ValueError, match=binding.replace('.', r'\.')):
        bandits.Exp3Bandit(**args)


@pytest.mark.parametrize('bad', [float('nan'), float('inf'), -float('inf')])
def test_non_finite_feedback_is_rejected_and_leaves_state_unchanged(bad):
    bandit = bandits.Exp3Bandit(num_arms=2, seed=0)
    bandit.select_arm()
    bandit.update(1.0)
    bandit.select_arm()
    before = bandit.state_dict()
    with pytest.raises(ValueError, match='finite'):
        bandit.update(bad)
    assert bandit.state_dict() == before
