"""The RLR scheduler as a learning-rate controller: grid, DQN periods, checkpoints."""

import json

import numpy as np
import pytest

from lrrl.control import controllers
from lrrl.control import rlr


def small(**kwargs):
    """A fast RLR agent (small Q-network and batch) for the machinery tests."""
    settings = dict(hidden_sizes=(16, 16), batch_size=8, replay_capacity=50, seed=0)
    settings.update(kwargs)
    return rlr.RLRLearningRate(**settings)


def test_defaults_follow_the_seed():
    agent = rlr.RLRLearningRate(seed=0)
    assert isinstance(agent, controllers.LearningRateController)
    np.testing.assert_allclose(agent.candidates, np.logspace(-5, -2, 12))
    assert agent.rate == agent.candidates[0] and agent.arm == 0  # the controller's own value, exactly
    assert agent.rate == pytest.approx(1e-5, rel=1e-12)
    assert (agent.batch_size, agent.tau, agent.q_learning_rate) == (64, 0.005, 1e-3)
    assert agent.epsilon() == pytest.approx(0.9)
    agent.num_actions = 5000
    assert agent.epsilon() == pytest.approx(0.05 + 0.85 / np.e)
    np.testing.assert_array_equal(agent.probabilities(), np.eye(12)[0])


def test_the_grid_index_moves_by_at_most_one_and_stays_in_range():
    agent = small(epsilon_start=1.0, epsilon_end=1.0)  # random actions: hits both ends
    rng = np.random.default_rng(0)
    indices = [agent.index]
    for step in range(600):
        rate = agent.end_episode(rng.normal() * 10.0 ** rng.integers(-3, 3), step)
        assert rate == agent.candidates[agent.index] == agent.rate
        indices.append(agent.index)
    indices = np.array(indices)
    assert indices.min() == 0 and indices.max() == len(agent.candidates) - 1
    assert np.abs(np.diff(indices)).max() == 1


def test_updates_and_target_updates_happen_at_their_periods():
    agent = small(update_period=3, target_update_period=5, min_replay_size=10)
    for call in range(1, 41):
        q_before = [p.copy() for p in agent.q_params]
        target_before = [p.copy() for p in agent.target_params]
        agent.end_episode(-1.0 / call, call)
        transitions = call - 1  # the first call has no previous action yet
        assert agent.num_transitions == transitions
        assert agent.replay.size == min(transitions, 50)
        trained = transitions > 0 and transitions % 3 == 0 and transitions >= 10
        q_changed = any(not np.array_equal(a, b) for a, b in zip(q_before, agent.q_params))
        assert q_changed == trained, call
        softened = transitions > 0 and transitions % 5 == 0
        target_changed = any(not np.array_equal(a, b) for a, b in zip(target_before, agent.target_params))
        assert target_changed == softened, call
        if softened:
            for old, new, online in zip(target_before, agent.target_params, agent.q_params):
                np.testing.assert_allclose(new, 0.995 * old + 0.005 * online, rtol=1e-12)
    assert agent.num_updates == len([t for t in range(10, 40) if t % 3 == 0])
    assert agent.num_target_updates == 39 // 5


def test_transitions_hold_the_seeds_state_and_reward():
    agent = small(epsilon_start=1.0, epsilon_end=1.0)
    losses = [5.0, 4.0, 4.5, 1.0]
    moves = []
    for step, loss in enumerate(losses):
        before = agent.index
        agent.end_episode(-loss, step)
        moves.append(agent.index - before)
    replay = agent.replay
    assert replay.size == 3
    # s_t = (L_t, L_t - L_{t-1}) (0 on the first call); r_t = L_t - L_{t+1}.
    np.testing.assert_allclose(replay.states[:3], [[5.0, 0.0], [4.0, -1.0], [4.5, 0.5]])
    np.testing.assert_allclose(replay.next_states[:3], [[4.0, -1.0], [4.5, 0.5], [1.0, -3.5]])
    np.testing.assert_allclose(replay.rewards[:3], [1.0, -0.5, 3.5])
    # Action k moved the index by k - 1 unless clipped at the low end (index starts at 0).
    for action, move in zip(replay.actions[:3], moves[:3]):
        assert move == action - 1 or (move == 0 and action == 0)


def test_the_replay_buffer_wraps_around_at_its_capacity():
    agent = small(replay_capacity=20)
    for step in range(45):
        agent.end_episode(-float(step), step)
    assert agent.replay.size == 20 and agent.num_transitions == 44
    # The 20 newest transitions (L_t = t): states 24..43, rewards L_t - L_{t+1} = -1.
    assert sorted(agent.replay.states[:, 0]) == [float(t) for t in range(24, 44)]
    np.testing.assert_array_equal(agent.replay.rewards, -1.0)


def test_the_dqn_learns_to_steer_toward_the_best_index():
    # A synthetic loss that is lowest at grid index 8: the reward L_t - L_{t+1}
    # is positive for moves toward it. After ε has decayed the agent stays near.
    near = []
    for seed in range(3):
        agent = small(hidden_sizes=(32, 32), batch_size=32, replay_capacity=2000, epsilon_decay=150.0, seed=seed)
        visits = []
        for step in range(900):
            agent.end_episode(-(((agent.index - 8) / 4.0) ** 2), step)
            visits.append(agent.index)
        near.append(np.mean(np.abs(np.array(visits[-200:]) - 8) <= 1))
    # A random walk on 12 points spends ~1/4 of its time within one of 8.
    assert np.mean(near) > 0.6, near


def test_state_round_trip_through_json_is_exact():
    a = small()
    rng = np.random.default_rng(3)
    for step in range(60):
        a.end_episode(-abs(rng.normal()), step)
    b = small(seed=123)  # a different start: everything must come from the checkpoint
    b.load_state_dict(json.loads(json.dumps(a.state_dict())))
    assert b.state_dict() == a.state_dict()
    for step in range(60, 120):
        loss = abs(rng.normal())
        assert a.end_episode(-loss, step) == b.end_episode(-loss, step)
    for p, q in zip(a.q_params + a.target_params, b.q_params + b.target_params):
        np.testing.assert_array_equal(p, q)
    assert json.dumps(a.state_dict()) == json.dumps(b.state_dict())


def test_a_checkpoint_of_another_grid_or_network_is_refused():
    state = small().state_dict()
    with pytest.raises(ValueError, match='resume with the same grid'):
        small(rates=(1e-4, 1e-3, 1e-2)).load_state_dict(state)
    with pytest.raises(ValueError, match=r'RLRLearningRate.hidden_sizes'):
        small(hidden_sizes=(8,)).load_state_dict(state)
    with pytest.raises(ValueError, match='the configuration builds a FixedLearningRate'):
        controllers.FixedLearningRate(1e-3).load_state_dict(state)


def test_seed_restarts_the_agent_reproducibly():
    runs = []
    for _ in range(2):
        agent = small(epsilon_decay=20.0)
        agent.seed(7)
        runs.append([agent.end_episode(-1.0 / (1 + step), step) for step in range(80)])
    assert runs[0] == runs[1]


@pytest.mark.parametrize(
    'kwargs, message',
    [
        (dict(rates=(1e-3, 1e-4)), r'RLRLearningRate.rates = .* strictly increasing'),
        (dict(rates=(1e-3,)), r'at least 2 learning rates'),
        (dict(rates=(1e-3, float('nan'))), r'RLRLearningRate.rates = nan is not allowed'),
        (dict(initial_index=12), r'initial_index = 12 is not allowed: .*\[0, 11\]'),
        (dict(tau=0.0), r'tau = 0.0 is not allowed: it must be in \(0, 1\]'),
        (dict(batch_size=64, replay_capacity=10), r'replay_capacity = 10 is not allowed'),
        (dict(update_period=0), r'update_period = 0 is not allowed'),
        (dict(epsilon_start=1.5), r'epsilon_start = 1.5 is not allowed'),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        rlr.RLRLearningRate(**kwargs)


def test_non_finite_feedback_is_refused():
    agent = small()
    with pytest.raises(ValueError, match='feedback must be a finite number'):
        agent.end_episode(float('nan'), 0)


def test_the_rl_method_config_builds_the_rlr_controller(gin_config):
    from lrrl.experiment import checks

    gin_config(['agents/dqn.gin', 'methods/rlr.gin'], ["atari_lib.create_atari_environment.game_name = 'Pong'"])
    controller = checks.check_config()
    assert isinstance(controller, rlr.RLRLearningRate)
    assert controller.candidates == rlr.DEFAULT_GRID


@pytest.mark.slow
def test_rlr_drives_a_dqn_agent_on_cartpole_and_resumes(tmp_path):
    import pandas as pd

    from helpers import run_cli

    run_dir = str(tmp_path / 'run')
    args = [
        f'--base_dir={run_dir}',
        '--gin_files=agents/dqn_cartpole.gin',
        '--gin_files=methods/rlr.gin',
        '--gin_bindings=RLRLearningRate.epsilon_decay=20.0',
        '--gin_bindings=RLRLearningRate.batch_size=4',
        '--gin_bindings=Runner.training_steps=600',
        '--gin_bindings=Runner.evaluation_steps=0',
        '--gin_bindings=Runner.num_iterations=2',
        '--seed=3',
    ]
    first = run_cli('lrrl.train', *args)
    assert first.returncode == 0, first.stderr[-4000:]
    trace = pd.read_csv(f'{run_dir}/lr_trace.csv')
    grid = np.array(rlr.DEFAULT_GRID)

    def grid_index(rate):
        # lr_trace.csv holds the rate to 16 significant digits.
        (index,) = np.flatnonzero(np.isclose(grid, rate, rtol=1e-12, atol=0))
        return int(index)

    indices = [grid_index(r) for r in trace['learning_rate']]
    assert len(set(indices)) > 1
    # One-hot probabilities over the 12 grid points, on the rate in use.
    p = trace.filter(like='p_').to_numpy()
    assert p.shape[1] == 12 and np.all(p.sum(axis=1) == 1)
    more = run_cli('lrrl.train', *args[:-2], '--gin_bindings=Runner.num_iterations=3', '--seed=3')
    assert more.returncode == 0, more.stderr[-4000:]
    assert 'resuming' in more.stdout
    resumed = pd.read_csv(f'{run_dir}/lr_trace.csv')
    pd.testing.assert_frame_equal(resumed[resumed['iteration'] < 2], trace)
    # The grid index continued from the checkpoint: the first rate of iteration
    # 3 is within one grid step of the last rate of iteration 2.
    # (A restart would begin again at index 0.)
    first_resumed = grid_index(resumed.loc[resumed['iteration'] == 2, 'learning_rate'].iloc[0])
    assert abs(first_resumed - indices[-1]) <= 1
