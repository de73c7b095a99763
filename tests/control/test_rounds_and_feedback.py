"""BanditLearningRate's rounds in agent steps, its feedback options, its saved state."""

import functools
import json

import numpy as np
import pytest

from lrrl import errors
from lrrl.control import bandits
from lrrl.control import controllers
from lrrl.control import feedback

RATES = (1e-4, 1e-3, 1e-2)


class RecordingBandit(bandits.UniformBandit):
    """A uniform bandit that records what it is told."""

    def __init__(self, num_arms):
        super().__init__(num_arms, seed=0)
        self.told = []

    def update(self, value):
        self.told.append(value)
        return super().update(value)


# RoundImprovement, written out.


def improvement(signal, value, arm, before=float('nan')):
    return signal.signal(feedback.RoundOutcome(arm=arm, value=value, before=before))


def test_previous_round_improvement_over_the_run_range():
    signal = feedback.RoundImprovement(baseline='previous_rounds', window=1, scale='run_range')
    assert improvement(signal, 10.0, 0) == 0.0  # no history
    assert improvement(signal, 30.0, 1) == pytest.approx((30 - 10) / 20)
    assert improvement(signal, 20.0, 0) == pytest.approx((20 - 30) / 20)
    assert improvement(signal, -20.0, 2) == pytest.approx((-20 - 20) / 50)  # the range grew to 50


def test_same_arm_baseline_compares_with_the_arms_own_rounds():
    signal = feedback.RoundImprovement(baseline='same_arm', window=2, scale='none')
    assert improvement(signal, 10.0, 0) == 0.0
    assert improvement(signal, 50.0, 1) == 0.0  # arm 1's first round
    assert improvement(signal, 16.0, 0) == pytest.approx(6.0)
    assert improvement(signal, 13.0, 0) == pytest.approx(13.0 - 13.0)  # mean(10, 16)
    assert improvement(signal, 40.0, 1) == pytest.approx(-10.0)


def test_run_min_baseline_gives_the_min_max_scaled_level():
    signal = feedback.RoundImprovement(baseline='run_min', scale='run_range')
    assert improvement(signal, 10.0, 0) == 0.0
    assert improvement(signal, 30.0, 1) == pytest.approx(1.0)
    assert improvement(signal, 15.0, 2) == pytest.approx(0.25)


def test_mean_abs_scale_is_a_bias_corrected_moving_average():
    signal = feedback.RoundImprovement(scale='mean_abs', scale_decay=0.5)
    improvement(signal, 0.0, 0)
    # |d| = 4: average 4 (bias-corrected), f' = 1.
    assert improvement(signal, 4.0, 0) == pytest.approx(1.0)
    # d = -2: biased average 0.5*0.5*4 + 0.5*2 = 2 over weight 0.75 -> 8/3; f' = -2 / (8/3).
    assert improvement(signal, 2.0, 0) == pytest.approx(-2.0 / (8.0 / 3.0))


def test_window_std_scale_with_the_previous_rounds_is_the_paper_form():
    signal = feedback.RoundImprovement(baseline='previous_rounds', window=3, scale='window_std')
    for value in (1.0, 2.0, 3.0):
        improvement(signal, value, 0)
    assert improvement(signal, 10.0, 1) == pytest.approx(8.0 / np.std([1.0, 2.0, 3.0, 10.0]), rel=1e-6)


def test_the_paper_improvement_computed_by_the_controller_equals_the_bandits_own():
    """Exp3Bandit(window=5) fed the value == Exp3Bandit(window=None) fed RoundImprovement(window_std, 5)."""
    own = controllers.BanditLearningRate(rates=RATES, bandit=bandits.Exp3Bandit)
    computed = controllers.BanditLearningRate(
        rates=RATES,
        bandit=functools.partial(bandits.Exp3Bandit, window=None),
        feedback=feedback.RoundImprovement(baseline='previous_rounds', window=5, scale='window_std'),
    )
    own.seed(4)
    computed.seed(4)
    rng = np.random.default_rng(0)
    for n in range(300):
        r = float(rng.normal(100, 30))
        assert own.end_episode(r, n) == computed.end_episode(r, n)
    np.testing.assert_allclose(own.bandit.weights, computed.bandit.weights, rtol=1e-9)


@pytest.mark.parametrize(
    'kwargs, binding',
    [
        ({'baseline': 'mean'}, 'RoundImprovement.baseline'),
        ({'window': 0}, 'RoundImprovement.window'),
        ({'scale': 'std'}, 'RoundImprovement.scale'),
        ({'scale_decay': 1.0}, 'RoundImprovement.scale_decay'),
    ],
)
def test_bad_feedback_values_are_refused_by_name(kwargs, binding):
    with pytest.raises(errors.ConfigError, match=binding.replace('.', r'\.')):
        feedback.RoundImprovement(**kwargs)


# Rounds in agent steps.


def step_controller(kappa=100, burn_in=0.0):
    controller = controllers.BanditLearningRate(
        rates=RATES, bandit=RecordingBandit, steps_per_round=kappa, burn_in=burn_in
    )
    controller.seed(0)
    return controller


def test_a_round_closes_after_kappa_steps_with_the_episodes_that_ended_in_it():
    controller = step_controller(kappa=100)
    assert controller.next_advance(0) == 100
    controller.end_episode(10.0, 40)
    controller.end_episode(20.0, 90)
    assert controller.advance(99) and controller.bandit.told == []
    controller.advance(100)  # the round [0, 100) closes here
    assert controller.bandit.told == [15.0] and controller.rounds_closed == 1
    assert controller.next_advance(100) == 200
    controller.end_episode(30.0, 150)
    controller.advance(200)
    assert controller.bandit.told == [15.0, 30.0]


def test_a_round_in_which_no_episode_ended_extends_until_one_does():
    controller = step_controller(kappa=100)
    controller.advance(100)  # no episode yet: the round goes on
    assert controller.rounds_closed == 0
    assert controller.next_advance(100) == float('inf')  # closes at an episode's end
    controller.end_episode(42.0, 170)
    assert controller.bandit.told == [42.0]
    assert controller.next_advance(170) == 270  # the next round began at 170


def test_burn_in_leaves_the_first_part_of_the_round_out():
    controller = step_controller(kappa=100, burn_in=0.5)
    controller.end_episode(1.0, 30)  # before step 50: left out
    controller.end_episode(7.0, 60)
    controller.advance(100)
    assert controller.bandit.told == [7.0]


def test_burn_in_on_rounds_of_episodes_leaves_the_first_episodes_out():
    controller = controllers.BanditLearningRate(rates=RATES, bandit=RecordingBandit, episodes_per_round=4, burn_in=0.5)
    for n, r in enumerate([1.0, 2.0, 10.0, 20.0]):
        controller.end_episode(r, n)
    assert controller.bandit.told == [15.0]


def test_no_round_closes_before_the_first_gradient_update():
    controller = step_controller(kappa=100)
    controller.wait_for_learning()
    assert controller.awaiting_learning and controller.next_advance(0) == float('inf')
    controller.end_episode(10.0, 150)  # warm-up episodes count for nothing
    controller.advance(300)
    assert controller.bandit.told == [] and controller.rounds_closed == 0
    controller.learning_started(500)
    assert not controller.awaiting_learning and controller.next_advance(500) == 600
    controller.end_episode(12.0, 550)
    controller.advance(600)
    assert controller.bandit.told == [12.0]


def test_steps_per_arm_are_counted_across_mid_episode_switches():
    controller = step_controller(kappa=100)
    first = controller.arm
    controller.end_episode(1.0, 60)
    controller.advance(100)
    second = controller.arm
    counts = controller.arm_steps(130)
    expected = np.zeros(3, dtype=int)
    expected[first] += 100
    expected[second] += 30
    np.testing.assert_array_equal(counts, expected)


@pytest.mark.parametrize(
    'kwargs, binding',
    [
        ({'steps_per_round': 0}, 'BanditLearningRate.steps_per_round'),
        ({'steps_per_round': 2.5}, 'BanditLearningRate.steps_per_round'),
        ({'steps_per_round': 100, 'episodes_per_round': 3}, 'BanditLearningRate.episodes_per_round'),
        ({'burn_in': 1.0}, 'BanditLearningRate.burn_in'),
        ({'burn_in': -0.1}, 'BanditLearningRate.burn_in'),
        ({'feedback': 'improvement'}, 'BanditLearningRate.feedback'),
        # Exp3Bandit's own window would difference the improvement a second time.
        ({'feedback': feedback.RoundImprovement()}, 'Exp3Bandit.window'),
    ],
)
def test_bad_round_and_feedback_settings_are_refused_by_name(kwargs, binding):
    with pytest.raises(errors.ConfigError, match=binding.replace('.', r'\.')):
        controllers.BanditLearningRate(rates=RATES, **kwargs)


# State.


def new_default():
    return controllers.BanditLearningRate(
        rates=RATES,
        bandit=functools.partial(bandits.Exp3Bandit, window=None, denominator='max_one', decay_all_arms=True),
        steps_per_round=50,
        burn_in=0.5,
        feedback=feedback.RoundImprovement(),
    )


def test_a_step_round_controller_round_trips_mid_round_and_continues_identically():
    a = new_default()
    a.seed(1)
    a.wait_for_learning()
    rng = np.random.default_rng(0)
    a.learning_started(20)
    t = 20
    for _ in range(40):
        t += int(rng.integers(5, 40))
        a.advance(t)
        a.end_episode(float(rng.normal(50, 10)), t)
    b = new_default()
    b.seed(9)
    b.load_state_dict(json.loads(json.dumps(a.state_dict())))
    assert b.state_dict() == a.state_dict()
    for _ in range(60):
        t += int(rng.integers(5, 40))
        assert a.advance(t) == b.advance(t)
        r = float(rng.normal(50, 10))
        assert a.end_episode(r, t) == b.end_episode(r, t)
        assert a.next_advance(t) == b.next_advance(t)


def test_a_state_saved_with_other_round_settings_is_refused_naming_the_binding():
    saved = new_default().state_dict()
    other = controllers.BanditLearningRate(
        rates=RATES,
        bandit=functools.partial(bandits.Exp3Bandit, window=None, denominator='max_one', decay_all_arms=True),
        steps_per_round=80,
        burn_in=0.5,
        feedback=feedback.RoundImprovement(),
    )
    with pytest.raises(ValueError, match=r'BanditLearningRate\.steps_per_round = 50, the configuration says 80'):
        other.load_state_dict(saved)
    scaled = controllers.BanditLearningRate(
        rates=RATES,
        bandit=functools.partial(bandits.Exp3Bandit, window=None, denominator='max_one', decay_all_arms=True),
        steps_per_round=50,
        burn_in=0.5,
        feedback=feedback.RoundImprovement(scale='mean_abs'),
    )
    with pytest.raises(ValueError, match=r"RoundImprovement\.scale = 'run_range'"):
        scaled.load_state_dict(saved)


# What lrrl wrote before states had a format version (tests/fixtures/run_v0 holds one).
LEGACY = {
    'class': 'BanditLearningRate',
    'arms': [{'class': 'ConstantRate', 'rate': r} for r in RATES],
    'step': 321,
    'round_returns': [],
    'bandit': {
        'class': 'Exp3Bandit',
        'arm': 2,
        'rng': np.random.default_rng(1).bit_generator.state,
        'weights': [0.1, 0.2, -0.3],
        'window': [9.0, 11.0, 30.0],
    },
}


def test_a_legacy_state_resumes_in_the_configuration_of_its_time():
    controller = controllers.BanditLearningRate(rates=RATES)
    controller.load_state_dict(json.loads(json.dumps(LEGACY)))
    assert controller.rate == 1e-2 and controller.arm == 2
    np.testing.assert_allclose(controller.bandit.weights, [0.1, 0.2, -0.3])
    controller.end_episode(25.0, 400)  # a round of one episode, as then
    assert controller.rounds_closed == 1


def test_a_legacy_state_is_refused_by_the_new_default_saying_how_to_continue():
    with pytest.raises(ValueError) as error:
        new_default().load_state_dict(json.loads(json.dumps(LEGACY)))
    message = str(error.value)
    assert 'no format version' in message and 'BanditLearningRate.steps_per_round' in message
    assert 'config.gin' in message and 'new run folder' in message


# The paired baseline, the loss signal, the divergence guard.


def test_before_round_baseline_is_the_change_against_the_returns_just_before():
    signal = feedback.RoundImprovement(baseline='before_round', scale='none')
    assert improvement(signal, 10.0, 0) == 0.0  # nothing ended before the first round
    assert improvement(signal, 30.0, 1, before=12.0) == pytest.approx(18.0)
    ranged = feedback.RoundImprovement(baseline='before_round', scale='run_range')
    improvement(ranged, 10.0, 0)
    assert improvement(ranged, 30.0, 1, before=25.0) == pytest.approx(5.0 / 20.0)


def probe(loss, q_max=1.0, frozen=None):
    return feedback.Probe(loss=loss, loss_frozen=loss if frozen is None else frozen, q_max=q_max)


def outcome(start, end, value=0.0):
    return feedback.RoundOutcome(arm=0, value=value, probe_start=start, probe_end=end)


def test_loss_improvement_is_the_clipped_log_ratio_of_the_probe_losses():
    signal = feedback.LossImprovement(bound=1.0)
    assert signal.signal(outcome(probe(2.0), probe(1.0))) == pytest.approx(np.log(2.0))
    assert signal.signal(outcome(probe(1.0), probe(1.5))) == pytest.approx(np.log(1 / 1.5))
    assert signal.signal(outcome(probe(1.0), probe(100.0))) == -1.0  # clipped
    assert signal.signal(outcome(probe(1.0), probe(float('nan')))) == -1.0  # a diverged network
    # 'frozen' reads the loss against the targets of the round's start.
    frozen = feedback.LossImprovement(targets='frozen')
    assert frozen.signal(outcome(probe(2.0), probe(4.0, frozen=1.0))) == pytest.approx(np.log(2.0))
    with pytest.raises(ValueError, match='probe batch'):
        signal.signal(feedback.RoundOutcome(arm=0, value=1.0))


def test_the_divergence_guard_penalises_the_round_that_did_the_damage():
    guard = feedback.DivergenceGuard(signal=feedback.LossImprovement(), loss_factor=10.0, q_factor=10.0, q_floor=1.0)
    assert guard.signal(outcome(probe(1.0, 2.0), probe(0.5, 3.0))) == pytest.approx(np.log(2.0))
    assert guard.signal(outcome(probe(1.0, 2.0), probe(11.0, 3.0))) == -1.0  # loss x 11
    assert guard.signal(outcome(probe(1.0, 2.0), probe(1.0, 25.0))) == -1.0  # |Q| x 12.5
    # Early |Q| near 0 may grow many-fold as the agent learns: the floor.
    assert guard.signal(outcome(probe(1.0, 0.01), probe(1.0, 5.0))) == pytest.approx(0.0)
    assert guard.signal(outcome(probe(1.0), probe(float('inf'), float('inf')))) == -1.0
    assert guard.triggered == 3
    # Guarding a return signal: its run statistics still see every round.
    returns = feedback.DivergenceGuard(signal=feedback.RoundImprovement(baseline='run_min'), penalty=-2.0)
    assert returns.signal(outcome(probe(1.0), probe(50.0), value=100.0)) == -2.0
    assert returns.signal(outcome(probe(1.0), probe(1.0), value=0.0)) == 0.0
    assert returns.signal(outcome(probe(1.0), probe(1.0), value=50.0)) == pytest.approx(0.5)  # range 0..100
    copy = feedback.DivergenceGuard(signal=feedback.RoundImprovement(baseline='run_min'), penalty=-2.0)
    copy.load_state_dict(json.loads(json.dumps(returns.state_dict())))
    assert copy.state_dict() == returns.state_dict() and copy.config() == returns.config()


@pytest.mark.parametrize(
    'build, binding',
    [
        (lambda: feedback.LossImprovement(targets='next'), 'LossImprovement.targets'),
        (lambda: feedback.LossImprovement(bound=0), 'LossImprovement.bound'),
        (lambda: feedback.DivergenceGuard(signal=None), 'DivergenceGuard.signal'),
        (lambda: feedback.DivergenceGuard(signal=feedback.LossImprovement(), loss_factor=1.0), 'DivergenceGuard.loss_factor'),
        (
            lambda: feedback.DivergenceGuard(signal=feedback.DivergenceGuard(signal=feedback.LossImprovement())),
            'DivergenceGuard.signal',
        ),
        # The probe batch is drawn when a round begins, so probes need rounds in agent steps.
        (lambda: controllers.BanditLearningRate(rates=RATES, record_probes=True), 'BanditLearningRate.steps_per_round'),
        (lambda: controllers.BanditLearningRate(rates=RATES, steps_per_round=10, record_probes=1), 'record_probes'),
    ],
)
def test_bad_probe_feedback_values_are_refused_by_name(build, binding):
    with pytest.raises(errors.ConfigError, match=binding.replace('.', r'\.')):
        build()


class ScriptedProbe:
    """The probe an agent attaches (rate_control.RoundProbe's interface): losses from a script."""

    def __init__(self):
        self.draws = 0
        self.loss = 1.0

    def redraw(self):
        self.draws += 1
        return probe(self.loss)

    def measure(self):
        return probe(self.loss)


def test_each_round_is_recorded_with_its_returns_before_and_its_probe():
    controller = controllers.BanditLearningRate(
        rates=RATES,
        bandit=functools.partial(bandits.Exp3Bandit, window=None),
        steps_per_round=100,
        burn_in=0.5,
        feedback=feedback.LossImprovement(),
    )
    assert controller.needs_probe
    script = ScriptedProbe()
    controller.seed(0)
    # As an agent does: no round before its first gradient update, then the probe (drawn when a round begins).
    controller.wait_for_learning()
    controller.attach_probe(script)
    assert script.draws == 0
    controller.end_episode(4.0, 30)  # warm-up
    controller.end_episode(6.0, 45)
    controller.learning_started(50)
    assert script.draws == 1
    controller.end_episode(8.0, 80)  # burn-in: not counted
    controller.end_episode(10.0, 140)
    script.loss = 0.5
    controller.advance(150)
    controller.end_episode(20.0, 210)
    script.loss = 0.25
    controller.advance(250)
    first, second = controller.take_round_records()
    assert controller.take_round_records() == []
    assert (first['round'], first['start_step'], first['end_step']) == (0, 50, 150)
    assert (second['start_step'], second['end_step']) == (150, 250)
    assert first['value'] == 10.0 and first['episodes'] == 1
    # The mean return of the episodes that ended in the 50 steps (a round's counted span) before each began.
    assert first['before'] == 5.0 and second['before'] == pytest.approx(10.0)
    assert first['feedback'] == pytest.approx(np.log(2.0)) and first['loss_start'] == 1.0 and first['loss_end'] == 0.5
    assert second['loss_start'] == 0.5 and script.draws == 3
    assert sum(first[f'p_{k}'] for k in range(3)) == pytest.approx(1.0)
    assert first['learning_rate'] == RATES[first['arm']]


def test_a_state_saved_before_rounds_were_recorded_still_loads():
    controller = new_default()
    state = json.loads(json.dumps(controller.state_dict()))
    for key in ('recent_returns', 'round_before', 'round_began', 'probe_start', 'draw_probabilities', 'round_records'):
        del state[key]
    del state['config']['record_probes']
    fresh = new_default()
    fresh.load_state_dict(state)
    fresh.learning_started(0)
    fresh.end_episode(5.0, 60)
    fresh.advance(100)
    (record,) = fresh.take_round_records()
    assert record['value'] == 5.0
