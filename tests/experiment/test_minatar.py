"""MinAtar (lrrl.experiment.environments): real games, real agents, the seed, the checks (docs/minatar.md)."""

import subprocess
import sys

import numpy as np
import pytest

from helpers import REPO

from lrrl import errors

AGENT_FILES = {'dqn': 'agents/dqn_minatar.gin', 'iqn': 'agents/iqn_minatar.gin'}
# A few hundred agent steps per run: gradient updates start after 100.
SHORT = ['Runner.num_iterations = 1', 'Runner.training_steps = 300', 'Runner.max_steps_per_episode = 300']
SHORT_AGENT = {
    'dqn': ['DQNAgent.min_replay_history = 100', 'WrappedReplayBuffer.replay_capacity = 1000'],
    'iqn': ['RainbowAgent.min_replay_history = 100', 'WrappedPrioritizedReplayBuffer.replay_capacity = 1000'],
}


def game_binding(game):
    return f"create_minatar_environment.game_name = '{game}'"


def test_the_channel_table_matches_minatar():
    import minatar

    from lrrl.experiment import environments

    for game in environments.MINATAR_GAMES:
        assert tuple(minatar.Environment(game).state_shape()) == environments.minatar_observation_shape(game)
        environment = environments.create_minatar_environment(game)
        observation = environment.reset(seed=0)
        assert observation.shape == environment.observation_shape == environments.minatar_observation_shape(game)
        assert observation.dtype == np.uint8 and set(np.unique(observation)) <= {0, 1}
        assert environment.action_space.n == 6


def play(environment, seed, steps=300):
    """Resets with ``seed``, then plays a fixed action sequence; returns observations, executed actions, rewards."""
    observations = [environment.reset(seed=seed)]
    executed, rewards = [], []
    for t in range(steps):
        observation, reward, terminal, _ = environment.step(t % 6)
        executed.append(environment.last_action)
        rewards.append(reward)
        observations.append(observation)
        if terminal:
            observations.append(environment.reset())
    return np.stack(observations), np.asarray(executed), np.asarray(rewards)


@pytest.mark.parametrize('game', ['breakout', 'seaquest'])
def test_the_same_seed_gives_the_same_observations_and_sticky_action_draws(game):
    from lrrl.experiment import environments

    first = play(environments.create_minatar_environment(game), seed=7)
    again = play(environments.create_minatar_environment(game), seed=7)
    other = play(environments.create_minatar_environment(game), seed=8)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    commanded = np.arange(300) % 6
    repeats = first[1] != commanded
    # Sticky actions at 0.25: about a quarter of the steps replay the previous action (which always differs here).
    assert 0.15 < repeats.mean() < 0.35
    assert not np.array_equal(repeats, other[1] != commanded)
    # Without sticky actions the game plays the commanded action.
    plain = play(environments.create_minatar_environment(game, sticky_action_prob=0.0), seed=7)
    np.testing.assert_array_equal(plain[1], commanded)


def test_the_runner_seeds_the_game_from_the_seed(gin_config, tmp_path):
    import tensorflow as tf

    from lrrl.experiment import runner as runner_lib

    def first_games(seed, folder):
        gin_config([AGENT_FILES['dqn']], [game_binding('asterix')])
        with tf.Graph().as_default():
            runner = runner_lib.create_runner(str(tmp_path / folder), seed=seed)
            played = play(runner._environment, seed=None, steps=200)
            runner._agent._sess.close()
        return played

    a, b, c = first_games(3, 'a'), first_games(3, 'b'), first_games(4, 'c')
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not (np.array_equal(a[0], c[0]) and np.array_equal(a[1], c[1]))


@pytest.mark.parametrize('agent', sorted(AGENT_FILES))
@pytest.mark.parametrize('game', ['asterix', 'breakout', 'freeway', 'seaquest', 'space_invaders'])
def test_every_game_trains_a_short_iteration(tmp_path, agent, game):
    """Each agent on each game: one iteration of 300 steps with gradient updates, through lrrl.train's library."""
    import tensorflow as tf

    from lrrl import run_folder
    from lrrl.experiment import training

    run_dir = tmp_path / 'run'
    with tf.Graph().as_default():
        runner = training.run(str(run_dir), [AGENT_FILES[agent]], [game_binding(game), *SHORT, *SHORT_AGENT[agent]])
        trained = runner._agent
        assert trained.training_steps >= 300
        assert trained.online_convnet.name == 'Online'
        assert trained._replay.memory._observation_shape == (10, 10, trained.observation_shape[-1])
        weights = trained._sess.run(trained.online_convnet.trainable_variables)
        trained._sess.close()
    assert all(np.isfinite(w).all() for w in weights)
    assert run_folder.read_json(str(run_dir / 'status.json'))['state'] == 'finished'
    trace = run_folder.read_trace(str(run_dir))
    assert len(trace) >= 1 and trace['return'].notna().all()


def test_a_minatar_lrrl_run_resumes_from_its_checkpoint(tmp_path):
    """The same command again, with more iterations, continues the run (bandit state included)."""
    import tensorflow as tf

    from lrrl import run_folder
    from lrrl.experiment import training

    files = [AGENT_FILES['dqn'], 'methods/lrrl_k5.gin']
    bindings = [game_binding('breakout'), 'BanditLearningRate.rates = %MINATAR_K5', *SHORT_AGENT['dqn']]
    bindings += ['Runner.training_steps = 300']
    run_dir = str(tmp_path / 'run')
    with tf.Graph().as_default():
        first = training.run(run_dir, files, bindings + ['Runner.num_iterations = 1'], seed=5)
        state = first._agent.learning_rate_controller.state_dict()
        first._agent._sess.close()
    lines = []
    with tf.Graph().as_default():
        resumed = training.run(run_dir, files, bindings + ['Runner.num_iterations = 2'], seed=5, log=lines.append)
        assert resumed.start_iteration == 1
        controller = resumed._agent.learning_rate_controller
        assert controller.candidates == (6.25e-5, 1.25e-4, 2.5e-4, 5e-4, 1e-3)
        assert resumed._agent.training_steps >= 600
        resumed._agent._sess.close()
    assert any('resuming' in line for line in lines)
    # The controller went on from its saved state (agent step, bandit) rather than from scratch.
    assert controller.state_dict()['step'] > state['step'] >= 300
    assert controller.state_dict()['bandit'] != state['bandit']
    trace = run_folder.read_trace(run_dir)
    assert set(trace['iteration']) == {0, 1}
    assert run_folder.completed_iterations(run_dir) == 2


@pytest.mark.parametrize(
    'bindings, message',
    [
        ([game_binding('pong')], "create_minatar_environment.game_name = 'pong' is not allowed"),
        ([game_binding('Breakout')], "Did you mean 'breakout'"),
        (['create_minatar_environment.sticky_action_prob = 1.5'], 'create_minatar_environment.sticky_action_prob'),
    ],
)
def test_a_bad_minatar_setting_is_refused_before_anything_is_created(tmp_path, bindings, message):
    from lrrl.experiment import environments
    from lrrl.experiment import training

    run_dir = tmp_path / 'run'
    with pytest.raises(errors.ConfigError) as error:
        training.run(str(run_dir), [AGENT_FILES['dqn']], bindings)
    assert message in str(error.value)
    if 'game_name' in message:
        assert all(game in str(error.value) for game in environments.MINATAR_GAMES)
    assert not run_dir.exists()


def test_without_the_extra_the_command_names_it_and_creates_nothing(tmp_path):
    """minatar hidden from the process (sys.modules entry None): exit 2, the extra named, no run folder."""
    run_dir = tmp_path / 'run'
    hide_and_train = (
        'import runpy, sys; sys.modules["minatar"] = None; '
        f'sys.argv = ["lrrl.train", "--base_dir={run_dir}", "--gin_files=agents/dqn_minatar.gin"]; '
        'runpy.run_module("lrrl.train", run_name="__main__")'
    )
    result = subprocess.run(
        [sys.executable, '-c', hide_and_train], capture_output=True, text=True, cwd=REPO, timeout=300
    )
    assert result.returncode == 2, result.stderr[-3000:]
    assert "pip install -e '.[minatar]'" in result.stderr
    assert not run_dir.exists()
