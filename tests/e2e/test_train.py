"""End to end: the training command on real agents, resume, and bad input."""

import json
import os

import pandas as pd
import pytest

from helpers import run_cli
from helpers import tensorboard_tags

CARTPOLE_SHORT = [
    '--gin_bindings=Runner.training_steps=600',
    '--gin_bindings=Runner.evaluation_steps=200',
    '--gin_bindings=Runner.num_iterations=2',
]
# Rounds of 100 agent steps (the default's 125,000 are an Atari run's).
LRRL_CARTPOLE = [
    '--gin_files=lrrl/bandit.gin',
    '--gin_bindings=BanditLearningRate.rates=(1e-4, 1e-3, 1e-2)',
    '--gin_bindings=BanditLearningRate.steps_per_round=100',
]


def assert_run_folder(run_dir, iterations):
    for name in ('checkpoints', 'logs', 'config.gin', 'operative_config.gin', 'lr_trace.csv'):
        assert os.path.exists(os.path.join(run_dir, name)), name
    assert os.path.exists(os.path.join(run_dir, 'checkpoints', f'ckpt.{iterations - 1}'))
    trace = pd.read_csv(os.path.join(run_dir, 'lr_trace.csv'))
    assert sorted(trace['iteration'].unique()) == list(range(iterations))
    assert list(trace['episode']) == list(range(len(trace)))
    assert trace['agent_step'].is_monotonic_increasing
    p = trace.filter(like='p_')
    assert ((p.sum(axis=1) - 1).abs() < 1e-9).all()
    # The same per-episode rates are in Dopamine's logs ...
    from lrrl import run_folder

    logs = run_folder.read_dopamine_log(run_dir)
    assert sorted(logs) == list(range(iterations))
    logged = [rate for i in range(iterations) for rate in logs[i]['train_episode_learning_rates']]
    assert logged == list(trace['learning_rate'])
    assert sum(logs[0]['learning_rate_arm_counts'][0]) == (trace['iteration'] == 0).sum()
    # ... and the arm probabilities are TensorBoard scalars.
    assert 'LearningRate/Probability/0' in tensorboard_tags(run_dir)
    return trace


@pytest.mark.slow
@pytest.mark.parametrize('agent_file', ['agents/dqn_cartpole.gin', 'agents/iqn_cartpole.gin'])
def test_cartpole_run_then_resume(tmp_path, agent_file):
    run_dir = str(tmp_path / 'run')
    args = [f'--base_dir={run_dir}', f'--gin_files={agent_file}', *LRRL_CARTPOLE, *CARTPOLE_SHORT, '--seed=1']
    first = run_cli('lrrl.train', *args)
    assert first.returncode == 0, first.stderr[-4000:]
    assert 'iteration 2/2' in first.stdout
    trace = assert_run_folder(run_dir, 2)
    assert trace['learning_rate'].nunique() > 1
    assert set(trace['learning_rate']) <= {1e-4, 1e-3, 1e-2}
    # run.json records the launch and the code that trained it (lrrl.provenance); one already
    # there (the sweep launcher's) is never replaced, only given the provenance entries.
    run_json = os.path.join(run_dir, 'run.json')
    with open(run_json) as f:
        recorded = json.load(f)
    (session,) = recorded.pop('provenance')
    assert recorded == {
        'seed': 1,
        'gin_files': [agent_file, 'lrrl/bandit.gin'],
        'gin_bindings': [a.split('=', 1)[1] for a in args if a.startswith('--gin_bindings=')],
    }
    from lrrl import provenance

    assert session['behaviour'] == provenance.BEHAVIOUR_VERSION and session['from_iteration'] == 0
    assert len(session['commit'] or '') == 40 and len(session['fingerprint']) == 16
    launcher = json.dumps({'sweep': 'cartpole', 'labels': {'method': 'lrrl'}, 'seed': 1})
    with open(run_json, 'w') as f:
        f.write(launcher)
    # The same command on a finished run does nothing and changes nothing.
    with open(os.path.join(run_dir, 'lr_trace.csv')) as f:
        before = f.read()
    again = run_cli('lrrl.train', *args)
    assert again.returncode == 0, again.stderr[-4000:]
    assert 'nothing to do' in again.stdout
    with open(os.path.join(run_dir, 'lr_trace.csv')) as f:
        assert f.read() == before
    # More iterations: resumes at iteration 3, keeps the first two untouched.
    more = run_cli('lrrl.train', *args, '--gin_bindings=Runner.num_iterations=3')
    assert more.returncode == 0, more.stderr[-4000:]
    assert 'resuming' in more.stdout and 'iteration 3/3' in more.stdout
    assert 'iteration 1/3' not in more.stdout
    resumed = assert_run_folder(run_dir, 3)
    pd.testing.assert_frame_equal(resumed[resumed['iteration'] < 2], trace)
    # The bandit continued from its checkpoint rather than restarting.
    assert resumed['agent_step'].iloc[len(trace)] > trace['agent_step'].iloc[-1]
    with open(run_json) as f:
        resumed_settings = json.load(f)
    # The resume trained with the same code: one entry, from the iteration it resumed at.
    assert [e['from_iteration'] for e in resumed_settings.pop('provenance')] == [2]
    assert resumed_settings == json.loads(launcher)
    kept = [f for f in os.listdir(run_dir) if f.startswith('config.') and f != 'config.gin']
    assert len(kept) == 1  # the first launch's config, kept when the bindings changed
    # Resuming with another bandit value is refused, naming it, before anything is touched.
    with open(os.path.join(run_dir, 'lr_trace.csv')) as f:
        before = f.read()
    other = run_cli(
        'lrrl.train', *args, '--gin_bindings=Runner.num_iterations=4', '--gin_bindings=Exp3Bandit.alpha=2.0'
    )
    assert other.returncode == 2, other.stderr[-3000:]
    assert 'Exp3Bandit.alpha = 0.3' in other.stderr and '2.0' in other.stderr and 'another --base_dir' in other.stderr
    with open(os.path.join(run_dir, 'lr_trace.csv')) as f:
        assert f.read() == before


@pytest.mark.slow
@pytest.mark.parametrize('agent_file', ['agents/dqn.gin', 'agents/iqn.gin'])
def test_one_short_atari_iteration_on_pong(tmp_path, agent_file):
    run_dir = str(tmp_path / 'pong')
    replay = 'WrappedReplayBuffer' if 'dqn' in agent_file else 'WrappedPrioritizedReplayBuffer'
    agent = 'DQNAgent' if 'dqn' in agent_file else 'RainbowAgent'
    result = run_cli(
        'lrrl.train',
        f'--base_dir={run_dir}',
        f'--gin_files={agent_file}',
        '--gin_files=methods/lrrl_k5.gin',
        "--gin_bindings=atari_lib.create_atari_environment.game_name='Pong'",
        '--gin_bindings=BanditLearningRate.steps_per_round=100',
        '--gin_bindings=Runner.num_iterations=1',
        '--gin_bindings=Runner.training_steps=600',
        '--gin_bindings=Runner.evaluation_steps=0',
        '--gin_bindings=Runner.max_steps_per_episode=100',
        f'--gin_bindings={replay}.replay_capacity=2000',
        f'--gin_bindings={agent}.min_replay_history=200',
        f'--gin_bindings={agent}.target_update_period=100',
    )
    assert result.returncode == 0, result.stderr[-4000:]
    trace = assert_run_folder(run_dir, 1)
    assert len(trace) >= 4
    assert set(trace['learning_rate']) <= {1.5625e-5, 3.125e-5, 6.25e-5, 1.25e-4, 2.5e-4}
    assert trace['learning_rate'].nunique() > 1


@pytest.mark.slow
def test_demo_runs_prints_a_summary_and_writes_its_plot(tmp_path):
    run_dir = tmp_path / 'demo'
    result = run_cli(
        'lrrl.demo',
        f'--base_dir={run_dir}',
        '--gin_bindings=Runner.num_iterations=2',
        '--gin_bindings=Runner.training_steps=500',
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert 'share 0.03' in result.stdout and 'eval_return' in result.stdout
    plot = run_dir / 'lr_plot.png'
    assert plot.exists() and plot.stat().st_size > 10_000
    assert_run_folder(str(run_dir), 2)


@pytest.mark.parametrize('agent_file', ['agents/dqn_cartpole.gin', 'agents/iqn_cartpole.gin'])
def test_the_same_seed_gives_the_same_run_and_another_seed_another(tmp_path, agent_file):
    """--seed fixes everything: initial weights, actions, the environment, replay batches, the bandit.

    Regression: the graph seed used to be set while TensorFlow was still eager (Dopamine's
    agents switch to graph mode in their constructor), so the initial weights, and with them
    every episode, changed from run to run.
    """
    from lrrl import run_folder

    settings = [
        f'--gin_files={agent_file}',
        '--gin_bindings=Runner.training_steps=400',
        '--gin_bindings=Runner.evaluation_steps=100',
        '--gin_bindings=Runner.num_iterations=2',
        '--gin_bindings=DQNAgent.min_replay_history=100',
        '--gin_bindings=RainbowAgent.min_replay_history=100',
    ]
    # LRRL v1 (return feedback): without record_probes its runs have no probe at all.
    v1 = [*settings, '--gin_files=lrrl/bandit_v1.gin', *LRRL_CARTPOLE[1:]]
    default = [*settings, *LRRL_CARTPOLE]  # today's default: the loss feedback, so always a probe
    traces = {}
    # Run b also measures the round probe (TD loss on a replay batch), which must only read.
    probes = ['--gin_bindings=BanditLearningRate.record_probes=True']
    runs = (('a', 5, v1), ('b', 5, v1 + probes), ('c', 6, v1), ('d', 5, default), ('e', 5, default))
    for name, seed, args in runs:
        run_dir = tmp_path / name
        result = run_cli('lrrl.train', f'--base_dir={run_dir}', *args, f'--seed={seed}')
        assert result.returncode == 0, result.stderr[-3000:]
        traces[name] = pd.read_csv(run_dir / 'lr_trace.csv')
        traces[name + '_eval'] = [s['eval_average_return'] for s in run_folder.read_dopamine_log(run_dir).values()]
        traces[name + '_rounds'] = pd.read_csv(run_dir / 'rounds.csv')
    pd.testing.assert_frame_equal(traces['a'], traces['b'])  # bit-exact: that is the point
    assert traces['a_eval'] == traces['b_eval']
    assert not traces['a'][['return', 'arm']].equals(traces['c'][['return', 'arm']])
    # The default's feedback reads the probe, whose batch has its own seeded generator: same seed, same run.
    pd.testing.assert_frame_equal(traces['d'], traces['e'])
    pd.testing.assert_frame_equal(traces['d_rounds'], traces['e_rounds'])
    assert traces['d_rounds']['loss_start'].notna().all()
    # The rounds are the same too; b's also carry the probe.
    rounds_a, rounds_b = traces['a_rounds'], traces['b_rounds']
    pd.testing.assert_frame_equal(rounds_a, rounds_b[rounds_a.columns])
    assert 'loss_start' not in rounds_a and rounds_b['loss_start'].notna().all() and len(rounds_b) >= 3
    assert (rounds_b['start_step'].iloc[1:].to_numpy() == rounds_b['end_step'].iloc[:-1].to_numpy()).all()
