"""Bad configuration fails before any folder, environment or graph exists."""

import json
import os

import pytest

from lrrl import errors

from helpers import run_cli

CARTPOLE = ['agents/dqn_cartpole.gin', 'methods/lrrl_k5.gin']
ATARI = ['agents/dqn.gin', 'methods/lrrl_k5.gin']
PONG = "atari_lib.create_atari_environment.game_name='Pong'"
PPO = ['agents/ppo_mujoco.gin', 'methods/lrrl_ppo_k5.gin']
JAX_DQN = ['agents/jax_dqn_cartpole.gin', 'methods/lrrl_k5.gin']
JAX_IQN = ['agents/jax_iqn_cartpole.gin', 'methods/lrrl_k5.gin']
JAX_RAINBOW = ['agents/jax_rainbow_minatar.gin', 'methods/lrrl_k5.gin']

BAD = [
    (CARTPOLE, ['BanditLearningRate.rates = ()'], 'BanditLearningRate.rates'),
    (CARTPOLE, ['BanditLearningRate.rates = (1e-3, -1e-4)'], 'BanditLearningRate.rates'),
    (CARTPOLE, ['BanditLearningRate.rates = (1e-3, 0.0)'], 'BanditLearningRate.rates'),
    (CARTPOLE, ["BanditLearningRate.rates = (1e-3, 'fast')"], 'BanditLearningRate.rates'),
    (CARTPOLE, ['BanditLearningRate.rates = (1e-3, 1e999)'], 'BanditLearningRate.rates'),
    (CARTPOLE, ['Exp3Bandit.decay = 0.0'], 'Exp3Bandit.decay'),
    (CARTPOLE, ['Exp3Bandit.decay = 1.5'], 'Exp3Bandit.decay'),
    (CARTPOLE, ['Exp3Bandit.alpha = 0.0'], 'Exp3Bandit.alpha'),
    (CARTPOLE, ['Exp3Bandit.alpha = -0.2'], 'Exp3Bandit.alpha'),
    (CARTPOLE, ['BanditLearningRate.episodes_per_round = 0'], 'BanditLearningRate.episodes_per_round'),
    (CARTPOLE, ['Exp3Bandit.window = 0'], 'Exp3Bandit.window'),
    (CARTPOLE, ["lrrl.create_agent.agent_name = 'rainbow'"], 'lrrl.create_agent.agent_name'),
    (CARTPOLE, ["create_gym_environment.environment_name = 'CartPol'"], 'create_gym_environment'),
    (ATARI, ["atari_lib.create_atari_environment.game_name = 'Breakoutt'"], "Did you mean 'Breakout'"),
    (ATARI, [], 'create_atari_environment.game_name is not bound'),
    (ATARI, [PONG, 'lrrl.create_agent.optimizer_class = @tf.train.AdamOptimizer()'], 'without parentheses'),
    (ATARI, [PONG, 'DQNAgent.optimizer = @tf.train.AdamOptimizer()'], 'DQNAgent.optimizer is bound'),
    (ATARI, [PONG, 'LRRLDQNAgent.optimizer_class = @tf.train.RMSPropOptimizer'], 'it would be ignored'),
    (ATARI, [PONG, 'Runner.num_iterations = 0'], 'Runner.num_iterations'),
    (['agents/dqn.gin'], [PONG, 'FixedLearningRate.rate = -1.0'], 'FixedLearningRate.rate'),
    (ATARI, [PONG, "lrrl.create_runner.schedule = 'forever'"], 'lrrl.create_runner.schedule'),
    (ATARI, [PONG, 'NoSuchThing.value = 3'], 'NoSuchThing'),
    (['agents/no_such.gin'], [], 'no such file'),
    ([], [], '--gin_files is empty'),
    # PPO (docs/ppo.md): an unknown task, a discrete-action one, a DQN-only binding, what PPO cannot use.
    (PPO, ["create_gym_environment.environment_name = 'HalfCheeta'"], "Did you mean 'HalfCheetah-v5'"),
    (PPO, ["create_gym_environment.environment_name = 'CartPole'"], "'CartPole-v5' is not allowed"),
    (
        PPO,
        ["create_gym_environment.environment_name = 'CartPole'", "create_gym_environment.version = 'v1'"],
        'discrete actions',
    ),
    (PPO, ['DQNAgent.min_replay_history = 100'], 'DQNAgent.min_replay_history is bound, but only the DQN and IQN'),
    (PPO, ['WrappedReplayBuffer.replay_capacity = 1000'], 'WrappedReplayBuffer.replay_capacity is bound'),
    (PPO, [PONG], 'create_atari_environment.game_name is bound'),
    (PPO + ['optimizers/adamrel.gin'], [], 'no target network'),
    (PPO, ['create_optimizer.anneal_learning_rate = True'], 'create_optimizer.anneal_learning_rate is bound'),
    (PPO, ["PPOAgent.optimizer = 'rmsprop'"], 'PPOAgent.optimizer is bound'),
    (PPO, ['PPOAgent.batch_size = 100'], 'PPOAgent.batch_size = 100'),
    (PPO, ['ReplayBuffer.batch_size = 1024'], 'ReplayBuffer.batch_size = 1024'),
    (PPO, ['Runner.max_steps_per_episode = 5000'], "the task's own episode limit, 1000"),
    (PPO, ["LRRLPPOAgent.feedback = 'round'"], 'LRRLPPOAgent.feedback'),
    (PPO, ['create_gym_environment.use_ppo_preprocessing = True'], 'use_ppo_preprocessing = True'),
    (PPO, ['TrainRunner.create_environment_fn = @atari_lib.create_atari_environment'], 'PPO runs continuous-control'),
    (CARTPOLE, ['PPOAgent.update_period = 100'], 'PPOAgent.update_period is bound, but only the PPO agent'),
    # The round probe (a TD loss on replay transitions): step rounds only, and not for PPO.
    (
        CARTPOLE,
        ['BanditLearningRate.round_fraction = None', 'BanditLearningRate.feedback = @LossImprovement()'],
        'BanditLearningRate.steps_per_round',
    ),
    (CARTPOLE, ['lrrl.create_agent.probe_batch_size = 0'], 'lrrl.create_agent.probe_batch_size'),
    (
        CARTPOLE,
        ["LossImprovement.targets = 'next'", 'BanditLearningRate.feedback = @LossImprovement()'],
        'LossImprovement.targets',
    ),
    (PPO, ['BanditLearningRate.feedback = @LossImprovement()'], "agent_name = 'ppo': it needs the round probe"),
    (PPO, ['BanditLearningRate.record_probes = True'], 'BanditLearningRate.record_probes = True is not allowed'),
    # The JAX DQN-family agents (docs/jax_agents.md): what they do not read, what the harness sets itself.
    (CARTPOLE, ['JaxDQNAgent.gamma = 0.9'], 'JaxDQNAgent.gamma is bound, but only the JAX DQN, JAX IQN and JAX Rainbow'),
    (JAX_DQN, ['DQNAgent.gamma = 0.9'], 'DQNAgent.gamma is bound, but only the DQN and IQN agents read it'),
    (JAX_DQN, ['JaxRainbowAgent.num_atoms = 11'], 'only the JAX Rainbow agent reads it'),
    (JAX_DQN, ['WrappedReplayBuffer.batch_size = 8'], 'WrappedReplayBuffer.batch_size is bound'),
    (JAX_DQN, ["JaxDQNAgent.loss_type = 'l1'"], "JaxDQNAgent.loss_type = 'l1' is not allowed: it must be one of mse"),
    (JAX_DQN, ["JaxDQNAgent.optimizer = 'sgd'"], 'JaxDQNAgent.optimizer is bound'),
    (JAX_DQN, ['JaxDQNAgent.seed = 3'], 'the runner seeds the agent with --seed'),
    (JAX_DQN, ['create_optimizer.learning_rate = 0.1'], 'create_optimizer.learning_rate is bound'),
    (JAX_DQN, ['ReplayBuffer.batch_size = None'], 'ReplayBuffer.batch_size is not bound'),
    (JAX_DQN, ['JaxDQNAgent.update_period = 0'], 'JaxDQNAgent.update_period = 0 is not allowed'),
    (JAX_IQN, ['JaxDQNAgent.gamma = 0.9'], 'JaxImplicitQuantileAgent passes its own gamma'),
    (JAX_IQN, ["JaxImplicitQuantileAgent.replay_scheme = 'prioritized'"], 'samples its replay uniformly'),
    (JAX_IQN, ["create_gym_environment.environment_name = 'CartPol'"], 'create_gym_environment'),
    (JAX_RAINBOW, ["JaxRainbowAgent.replay_scheme = 'rank'"], "JaxRainbowAgent.replay_scheme = 'rank' is not allowed"),
    (JAX_RAINBOW, ['PrioritizedSamplingDistribution.max_capacity = 1000'], 'its sum tree holds a priority'),
    (JAX_RAINBOW, ["create_minatar_environment.game_name = 'pong'"], 'create_minatar_environment.game_name'),
    (JAX_RAINBOW, ['PPOAgent.update_period = 100'], 'only the PPO agent reads it'),
]


@pytest.mark.parametrize('files, bindings, message', BAD, ids=[b[2] for b in BAD])
def test_bad_configuration_is_rejected_before_anything_is_created(tmp_path, monkeypatch, files, bindings, message):
    from lrrl.experiment import runner
    from lrrl.experiment import training

    def tripwire(*args, **kwargs):
        raise AssertionError('the configuration check let a bad configuration through to the runner')

    # A bad value that slipped through would otherwise start a full run.
    monkeypatch.setattr(runner, 'create_runner', tripwire)
    run_dir = tmp_path / 'run'
    with pytest.raises(errors.ConfigError) as error:
        training.run(str(run_dir), files, bindings)
    assert message in str(error.value)
    assert not run_dir.exists()


def test_bad_seed_and_missing_base_dir(tmp_path):
    from lrrl.experiment import training

    with pytest.raises(errors.ConfigError, match='--seed'):
        training.run(str(tmp_path / 'run'), CARTPOLE, seed=-1)
    with pytest.raises(errors.ConfigError, match='--base_dir is required'):
        training.run('', CARTPOLE)
    assert not (tmp_path / 'run').exists()


def test_command_line_exits_non_zero_with_the_message(tmp_path):
    run_dir = tmp_path / 'run'
    result = run_cli(
        'lrrl.train',
        f'--base_dir={run_dir}',
        '--gin_files=agents/dqn.gin',
        '--gin_files=methods/lrrl_sparse.gin',
        "--gin_bindings=atari_lib.create_atari_environment.game_name='Breakoutt'",
    )
    assert result.returncode == 2
    assert "create_atari_environment.game_name = 'Breakoutt' is not allowed" in result.stderr
    assert not run_dir.exists()


@pytest.mark.parametrize(
    'make_base_dir, message',
    [
        (lambda tmp: str(tmp / 'a_file' / 'run'), 'the run folder cannot be created'),
        (lambda tmp: '/sys/lrrl_test_run', 'the run folder cannot be created'),  # refused even to root
    ],
)
def test_an_unwritable_run_folder_is_named_before_anything_starts(tmp_path, make_base_dir, message):
    from lrrl.experiment import training

    (tmp_path / 'a_file').write_text('not a folder')
    base_dir = make_base_dir(tmp_path)
    with pytest.raises(errors.ConfigError) as error:
        training.run(base_dir, CARTPOLE, ['Runner.num_iterations = 1'])
    assert base_dir in str(error.value) and message in str(error.value)
    assert (tmp_path / 'a_file').read_text() == 'not a folder'


def test_a_run_file_that_cannot_be_written_ends_the_run_with_its_path(tmp_path):
    """A write failure mid-setup (here: lr_trace.csv is a folder) exits 5 naming the file."""
    run_dir = tmp_path / 'run'
    (run_dir / 'lr_trace.csv').mkdir(parents=True)
    result = run_cli(
        'lrrl.train',
        f'--base_dir={run_dir}',
        '--gin_files=agents/dqn_cartpole.gin',
        '--gin_bindings=Runner.num_iterations=1',
        '--gin_bindings=Runner.training_steps=100',
    )
    assert result.returncode == 5, result.stderr[-2000:]
    assert str(run_dir / 'lr_trace.csv') in result.stderr
    status = json.loads((run_dir / 'status.json').read_text())
    assert status['state'] == 'failed' and 'lr_trace.csv' in status['error']
    assert not (run_dir / 'checkpoints').exists() or not os.listdir(run_dir / 'checkpoints')
