"""LRRL-PPO end to end: a short run on InvertedPendulum, its resume, the tools on its folder; a MuJoCo task trains."""

import json

import pandas as pd
import pytest

from helpers import run_cli
from helpers import tensorboard_tags

# Short PPO: 256-step rollouts of 2 epochs; iterations of 600 training steps.
SHORT_PPO = (
    '--gin_files=agents/ppo_inverted_pendulum.gin',
    '--gin_files=methods/lrrl_ppo_k5.gin',
    '--gin_bindings=PPOAgent.update_period = 256',
    '--gin_bindings=ReplayBuffer.batch_size = 256',
    '--gin_bindings=ReplayBuffer.max_capacity = 256',
    '--gin_bindings=PPOAgent.num_epochs = 2',
    '--gin_bindings=Runner.training_steps = 600',
)


def test_lrrl_ppo_trains_resumes_and_reads_like_the_other_agents(tmp_path):
    run_dir = tmp_path / 'ppo' / 'lrrl' / 'seed_0'
    first = run_cli('lrrl.train', f'--base_dir={run_dir}', *SHORT_PPO, '--gin_bindings=Runner.num_iterations = 2')
    assert first.returncode == 0, first.stderr[-4000:]
    assert 'iteration 2/2' in first.stdout
    status = json.loads((run_dir / 'status.json').read_text())
    assert (status['state'], status['iteration']) == ('finished', 2)
    trace = pd.read_csv(run_dir / 'lr_trace.csv')
    assert list(trace.columns[-5:]) == [f'p_{k}' for k in range(5)]
    assert set(trace['learning_rate']) <= {7.5e-5, 1.5e-4, 3e-4, 6e-4, 1.2e-3}
    saved = json.loads((run_dir / 'run.json').read_text())
    assert saved['seed'] == 0

    second = run_cli('lrrl.train', f'--base_dir={run_dir}', *SHORT_PPO, '--gin_bindings=Runner.num_iterations = 3')
    assert second.returncode == 0, second.stderr[-4000:]
    assert 'resuming' in second.stdout and 'iteration 3/3' in second.stdout
    resumed = pd.read_csv(run_dir / 'lr_trace.csv')
    assert sorted(set(resumed['iteration'])) == [0, 1, 2]
    assert resumed['episode'].tolist() == list(range(len(resumed)))
    pd.testing.assert_frame_equal(resumed[resumed['iteration'] < 2], trace)
    # Environment steps: the controller's clock carried on from the checkpoint.
    assert resumed['agent_step'].is_monotonic_increasing
    assert json.loads((run_dir / 'status.json').read_text())['iteration'] == 3
    tags = tensorboard_tags(run_dir)
    assert {'Train/AverageReturns', 'LearningRate/Current', 'LearningRate/Probability/4'} <= tags, tags

    # Another candidate set is another run: refused before anything is written (exit 2).
    other = run_cli(
        'lrrl.train',
        f'--base_dir={run_dir}',
        *SHORT_PPO,
        '--gin_bindings=Runner.num_iterations = 4',
        '--gin_bindings=BanditLearningRate.rates = (1e-4, 1e-3)',
    )
    assert other.returncode == 2 and 'another configuration' in other.stderr, other.stderr[-2000:]
    assert json.loads((run_dir / 'status.json').read_text())['iteration'] == 3

    summary = run_cli('lrrl.run_summary', f'--run_dir={run_dir}')
    assert summary.returncode == 0, summary.stderr[-3000:]
    assert (run_dir / 'lr_plot.png').exists()
    report_dir = tmp_path / 'report'
    report = run_cli('lrrl.report', f'--runs={tmp_path / "ppo"}', f'--out={report_dir}')
    assert report.returncode == 0, report.stderr[-3000:]
    runs = pd.read_csv(report_dir / 'runs.csv')
    assert runs.loc[0, 'agent'] == 'ppo' and runs.loc[0, 'game'] == 'InvertedPendulum'


def test_a_mujoco_task_builds_and_trains_one_short_iteration_the_same_for_the_same_seed(tmp_path):
    """HalfCheetah (the paper's first assumed task), one iteration with one PPO update, twice, in this process."""
    from lrrl.experiment import training

    bindings = [
        'PPOAgent.update_period = 256',
        'ReplayBuffer.batch_size = 256',
        'ReplayBuffer.max_capacity = 256',
        'PPOAgent.num_epochs = 1',
        'Runner.num_iterations = 1',
        'Runner.training_steps = 300',
        'Runner.max_steps_per_episode = 300',
    ]
    traces = []
    for name in ('first', 'second'):
        lines = []
        runner = training.run(
            str(tmp_path / name),
            ['agents/ppo_mujoco.gin', 'methods/lrrl_ppo_k5.gin'],
            bindings,
            seed=1,
            log=lines.append,
        )
        agent = runner._agent
        assert agent._updates_done == 1
        assert agent.weights_are_finite()
        assert agent.get_learning_rate() == pytest.approx(agent.learning_rate_controller.rate, rel=1e-6)
        assert any('iteration 1/1' in line for line in lines), lines
        traces.append((tmp_path / name / 'lr_trace.csv').read_text())
    # --seed fixes the JAX generator, the environment and the bandit: the same run twice.
    assert traces[0] == traces[1]
