"""The bandits beside LRRL's and Exp3Bandit's options: hand-computed updates, state, bad values.

Where a maintained library implements a bandit (pymab 2.0.1: Discounted UCB,
textbook Exp3), ours is checked against it on the same feedback.
"""

import json
import math

import numpy as np
import pytest

from lrrl import errors
from lrrl.control import bandits


def play(bandit, arm, feedback):
    bandit.arm = arm
    return bandit.update(feedback)


# Exp3Bandit's options.


def test_exp3_max_one_denominator_never_amplifies_a_negative_weight():
    bandit = bandits.Exp3Bandit(num_arms=2, alpha=2.0, decay=0.5, window=None, denominator='max_one', seed=0)
    # w0 = 0.5*0 + 2*(-1)/max(e^0, 1) = -2.
    assert play(bandit, 0, -1.0) == pytest.approx(-1.0)
    np.testing.assert_allclose(bandit.weights, [-2.0, 0.0])
    # w0 = 0.5*(-2) + 2*(-1)/max(e^-2, 1) = -3 (the floored exp(w) would divide by e^-2).
    play(bandit, 0, -1.0)
    np.testing.assert_allclose(bandit.weights, [-3.0, 0.0])
    # A positive weight is damped: w1 = 0 + 2*1.5 = 3, then 0.5*3 + 2*1.5/e^3.
    play(bandit, 1, 1.5)
    play(bandit, 1, 1.5)
    np.testing.assert_allclose(bandit.weights, [-3.0, 1.5 + 3.0 / math.e**3])


def test_exp3_probability_denominator_is_importance_weighting_with_mixing():
    bandit = bandits.Exp3Bandit(
        num_arms=4, alpha=0.5, decay=1.0, window=None, denominator='probability', mixing=0.2, seed=0
    )
    np.testing.assert_allclose(bandit.probabilities(), [0.25] * 4)
    # p(2) = 0.25: w2 = 0.5 * 0.8 / 0.25 = 1.6.
    play(bandit, 2, 0.8)
    np.testing.assert_allclose(bandit.weights, [0, 0, 1.6, 0])
    soft = np.exp([0, 0, 1.6, 0]) / np.exp([0, 0, 1.6, 0]).sum()
    p = 0.8 * soft + 0.2 / 4
    np.testing.assert_allclose(bandit.probabilities(), p)
    # Arm 0 at p(0): w0 = 0.5 * (-0.4) / p(0).
    play(bandit, 0, -0.4)
    np.testing.assert_allclose(bandit.weights, [-0.2 / p[0], 0, 1.6, 0])
    assert bandit.probabilities().min() >= 0.2 / 4 - 1e-12


def test_exp3_decay_all_arms_decays_the_arms_not_played():
    bandit = bandits.Exp3Bandit(num_arms=3, alpha=1.0, decay=0.9, window=None, decay_all_arms=True, seed=0)
    bandit.weights[:] = [1.0, -2.0, 0.5]
    # Played arm 1 (floored exp(w) denominator: e^-2): w1 = 0.9*(-2) + 0.3/e^-2; the others times 0.9.
    play(bandit, 1, 0.3)
    np.testing.assert_allclose(bandit.weights, [0.9, -1.8 + 0.3 * math.e**2, 0.45])


def test_exp3_without_a_window_takes_the_feedback_as_the_improvement():
    bandit = bandits.Exp3Bandit(num_arms=2, alpha=0.5, decay=0.8, window=None, seed=0)
    assert play(bandit, 0, 10.0) == 10.0  # no first-round zero, no differencing
    np.testing.assert_allclose(bandit.weights, [5.0, 0.0])


@pytest.mark.parametrize(
    'kwargs, binding',
    [
        ({'denominator': 'exp'}, 'Exp3Bandit.denominator'),
        ({'mixing': 1.0}, 'Exp3Bandit.mixing'),
        ({'mixing': -0.1}, 'Exp3Bandit.mixing'),
        ({'denominator': 'probability'}, 'Exp3Bandit.mixing'),  # needs mixing > 0
        ({'window': 0}, 'Exp3Bandit.window'),
        ({'normalize': 1}, 'Exp3Bandit.normalize'),
        ({'decay_all_arms': 'yes'}, 'Exp3Bandit.decay_all_arms'),
        ({'min_exp_weight': 0.0}, 'Exp3Bandit.min_exp_weight'),
    ],
)
def test_bad_exp3_options_are_refused_by_name(kwargs, binding):
    with pytest.raises(errors.ConfigError, match=binding.replace('.', r'\.')):
        bandits.Exp3Bandit(num_arms=3, **kwargs)


# The other bandits.


def test_uniform_bandit_ignores_feedback_and_draws_every_arm_equally():
    bandit = bandits.UniformBandit(num_arms=3, seed=0)
    counts = np.zeros(3)
    for n in range(3000):
        counts[bandit.select_arm()] += 1
        bandit.update(1000.0 if bandit.arm == 0 else -1000.0)
        np.testing.assert_allclose(bandit.probabilities(), [1 / 3] * 3)
    np.testing.assert_allclose(counts / counts.sum(), [1 / 3] * 3, atol=0.03)


def test_exp3_ix_matches_the_update_written_out():
    bandit = bandits.Exp3IXBandit(num_arms=3, learning_rate=0.5, seed=0)
    assert bandit.ix_gamma == 0.25
    # Feedback 10, then 20, then 15: rewards (min-max over the run) 0.5, 1, 0.5.
    play(bandit, 0, 10.0)  # loss 0.5 at p = 1/3: L0 = 0.5 / (1/3 + 0.25)
    l0 = 0.5 / (1 / 3 + 0.25)
    np.testing.assert_allclose(bandit.losses, [l0, 0, 0])  # re-centred: min is 0
    p = np.exp(-0.5 * np.array([l0, 0, 0]))
    p /= p.sum()
    np.testing.assert_allclose(bandit.probabilities(), p)
    play(bandit, 1, 20.0)  # reward 1, loss 0: nothing moves
    np.testing.assert_allclose(bandit.losses, [l0, 0, 0])
    play(bandit, 2, 15.0)  # reward 0.5, loss 0.5 at p(2)
    np.testing.assert_allclose(bandit.losses, [l0, 0, 0.5 / (p[2] + 0.25)])


def test_discounted_ucb_matches_the_index_written_out():
    bandit = bandits.DiscountedUCBBandit(num_arms=2, discount=0.5, exploration=0.6, seed=0)
    assert bandit.select_arm() == 0  # never-played arms first, lowest index first
    bandit.update(0.0)  # reward 0.5 (no range yet)
    assert bandit.select_arm() == 1
    bandit.update(10.0)  # reward 1
    # N = (0.5, 1), S = (0.25, 1), n = 1.5.
    np.testing.assert_allclose(bandit.counts, [0.5, 1.0])
    np.testing.assert_allclose(bandit.sums, [0.25, 1.0])
    expected = np.array([0.25 / 0.5, 1.0]) + 2 * np.sqrt(0.6 * math.log(1.5) / np.array([0.5, 1.0]))
    np.testing.assert_allclose(bandit.indices(), expected)
    assert bandit.select_arm() == int(np.argmax(expected))
    np.testing.assert_array_equal(bandit.probabilities(), np.eye(2)[int(np.argmax(expected))])


def test_discounted_ucb_agrees_with_pymab():
    from pymab.policies import nonstationary

    ours = bandits.DiscountedUCBBandit(num_arms=3, discount=0.9, exploration=0.6, seed=0)
    # pymab's bonus is reward_scale * sqrt(c log n / N): ours with reward_scale = 2 (B = 1), c = xi.
    theirs = nonstationary.DiscountedUCBPolicy(n_arms=3, discount_factor=0.9, c=0.6, reward_scale=2.0)
    rng = np.random.default_rng(0)
    for n in range(300):
        arm = ours.select_arm()
        # pymab gets the reward ours made of the feedback (its min-max scaling over the run).
        reward = ours.update(float(rng.normal(scale=10.0)))
        theirs.update(action=arm, reward=reward)
        np.testing.assert_allclose(ours.counts, theirs.discounted_counts, rtol=1e-12)
        np.testing.assert_allclose(ours.sums, theirs.discounted_sums, rtol=1e-12)
        if n >= 2:
            values = theirs.estimates + theirs._confidence_bonus()
            np.testing.assert_allclose(ours.indices(), values, rtol=1e-9)
            if np.sum(values >= values.max() - 1e-12) == 1:
                assert theirs.select_action(rng=np.random.default_rng(n)) == int(np.argmax(ours.indices()))


def test_classic_exp3_agrees_with_pymab():
    from pymab.policies import adversarial

    ours = bandits.ClassicExp3Bandit(num_arms=3, gamma=0.2, seed=0)
    theirs = adversarial.EXP3Policy(n_arms=3, gamma=0.2)
    rng = np.random.default_rng(1)
    for n in range(200):
        arm = ours.select_arm()
        np.testing.assert_allclose(ours.probabilities(), theirs.action_probabilities(), rtol=1e-9)
        # pymab records the probabilities it drew from; the arm is ours.
        theirs.select_action(rng=np.random.default_rng(n))
        reward = ours.update(float(rng.normal(scale=10.0)))
        theirs.update(action=arm, reward=reward)


@pytest.mark.parametrize(
    'kwargs_by_class',
    [
        (bandits.Exp3IXBandit, {'learning_rate': 0.0}, 'Exp3IXBandit.learning_rate'),
        (bandits.Exp3IXBandit, {'ix_gamma': -1.0}, 'Exp3IXBandit.ix_gamma'),
        (bandits.DiscountedUCBBandit, {'discount': 1.0}, 'DiscountedUCBBandit.discount'),
        (bandits.DiscountedUCBBandit, {'exploration': 0.0}, 'DiscountedUCBBandit.exploration'),
        (bandits.UniformBandit, {'num_arms': 0}, 'UniformBandit.num_arms'),
    ],
)
def test_bad_values_of_the_other_bandits_are_refused_by_name(kwargs_by_class):
    cls, kwargs, binding = kwargs_by_class
    with pytest.raises(errors.ConfigError, match=binding.replace('.', r'\.')):
        cls(**{'num_arms': 3, **kwargs})


# State.

ALL = [
    lambda seed: bandits.Exp3Bandit(num_arms=4, seed=seed),
    lambda seed: bandits.Exp3Bandit(
        num_arms=4, window=None, denominator='probability', mixing=0.1, decay_all_arms=True, seed=seed
    ),
    lambda seed: bandits.UniformBandit(num_arms=4, seed=seed),
    lambda seed: bandits.ClassicExp3Bandit(num_arms=4, seed=seed),
    lambda seed: bandits.Exp3IXBandit(num_arms=4, seed=seed),
    lambda seed: bandits.DiscountedUCBBandit(num_arms=4, seed=seed),
]


@pytest.mark.parametrize('make', ALL)
def test_every_bandit_state_round_trips_and_continues_identically(make):
    rng = np.random.default_rng(0)
    original = make(3)
    for _ in range(25):
        original.select_arm()
        original.update(rng.normal(scale=0.5))
    state = json.loads(json.dumps(original.state_dict()))
    assert state['format'] == bandits.STATE_FORMAT and state['config'] == original.config()
    restored = make(999)
    restored.load_state_dict(state)
    assert restored.state_dict() == original.state_dict()
    for f in rng.normal(scale=0.5, size=30):
        assert restored.select_arm() == original.select_arm()
        restored.update(f)
        original.update(f)
    np.testing.assert_allclose(restored.probabilities(), original.probabilities())


def test_a_state_saved_with_other_values_is_refused_naming_the_binding():
    saved = bandits.Exp3Bandit(num_arms=3, alpha=0.2).state_dict()
    with pytest.raises(ValueError, match=r'Exp3Bandit\.alpha = 0\.2, the configuration says 2\.0'):
        bandits.Exp3Bandit(num_arms=3, alpha=2.0).load_state_dict(saved)
    saved = bandits.DiscountedUCBBandit(num_arms=3, discount=0.9).state_dict()
    with pytest.raises(ValueError, match=r'DiscountedUCBBandit\.discount = 0\.9'):
        bandits.DiscountedUCBBandit(num_arms=3, discount=0.8).load_state_dict(saved)


# A state written before format versions (what tests/fixtures/run_v0 holds).
LEGACY_EXP3 = {'class': 'Exp3Bandit', 'arm': 1, 'rng': np.random.default_rng(5).bit_generator.state,
               'weights': [0.5, -0.25, 0.0], 'window': [10.0, 12.0]}  # fmt: skip


def test_a_legacy_state_loads_into_the_configuration_of_its_time():
    bandit = bandits.Exp3Bandit(num_arms=3)
    bandit.load_state_dict(json.loads(json.dumps(LEGACY_EXP3)))
    np.testing.assert_allclose(bandit.weights, [0.5, -0.25, 0.0])
    assert bandit.arm == 1
    # Its window continues: f' = 14 - mean(10, 12), normalised by the std of (10, 12, 14).
    assert bandit.update(14.0) == pytest.approx(3.0 / np.std([10.0, 12.0, 14.0]), rel=1e-6)


@pytest.mark.parametrize(
    'kwargs, what',
    [
        ({'window': None}, 'Exp3Bandit.window = None'),
        ({'denominator': 'max_one'}, "Exp3Bandit.denominator = 'max_one'"),
    ],
)
def test_a_legacy_state_is_refused_by_a_configuration_it_could_not_have_had(kwargs, what):
    with pytest.raises(ValueError, match='no format version') as error:
        bandits.Exp3Bandit(num_arms=3, **kwargs).load_state_dict(LEGACY_EXP3)
    assert what in str(error.value) and 'config.gin' in str(error.value)
