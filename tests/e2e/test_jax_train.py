"""The JAX DQN, IQN and Rainbow agents end to end: LRRL trains, survives kill -9, resumes, and reports."""

import glob
import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from helpers import REPO
from helpers import run_cli

ITERATIONS = 4
CONFIGURABLES = {'dqn': 'JaxDQNAgent', 'iqn': 'JaxImplicitQuantileAgent', 'rainbow': 'JaxRainbowAgent'}
RATES = {'cartpole': '(1e-4, 1e-3, 1e-2)', 'minatar': '%MINATAR_K5'}


def command(agent, env, run_dir):
    configurable = CONFIGURABLES[agent]
    args = [
        f'--base_dir={run_dir}',
        f'--gin_files=agents/jax_{agent}_{env}.gin',
        '--gin_files=methods/lrrl_k5.gin',
        f'--gin_bindings=BanditLearningRate.rates = {RATES[env]}',
        f'--gin_bindings=Runner.num_iterations = {ITERATIONS}',
        '--gin_bindings=Runner.training_steps = 300',
        '--gin_bindings=Runner.evaluation_steps = 0',
        f'--gin_bindings={configurable}.min_replay_history = 100',
        '--gin_bindings=ReplayBuffer.batch_size = 16',
        '--seed=2',
    ]
    if agent == 'iqn':
        args += [f'--gin_bindings={configurable}.{n} = 8' for n in ('num_tau_samples', 'num_tau_prime_samples')]
    return [sys.executable, '-m', 'lrrl.train', *args]


def checkpoints(run_dir):
    return len(glob.glob(os.path.join(run_dir, 'checkpoints', 'sentinel_checkpoint_complete.*')))


@pytest.mark.parametrize('env', ['cartpole', 'minatar'])
@pytest.mark.parametrize('agent', ['dqn', 'iqn', 'rainbow'])
def test_lrrl_on_a_jax_agent_trains_survives_kill_9_resumes_and_reports(tmp_path, agent, env):
    runs = tmp_path / 'runs'
    run_dir = str(runs / f'jax_{agent}' / env / 'seed_2')
    process = subprocess.Popen(
        command(agent, env, run_dir), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    deadline = time.time() + 300
    while checkpoints(run_dir) == 0 and process.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, process.stderr.read()[-3000:]
    os.kill(process.pid, signal.SIGKILL)  # after its first checkpoint, in its second iteration
    process.wait()
    killed_at = checkpoints(run_dir)
    assert 1 <= killed_at < ITERATIONS
    assert json.loads(open(os.path.join(run_dir, 'status.json')).read())['state'] == 'running'

    relaunch = subprocess.run(command(agent, env, run_dir), cwd=REPO, capture_output=True, text=True, timeout=600)
    assert relaunch.returncode == 0, relaunch.stderr[-3000:]
    assert f'resuming {run_dir} at iteration {killed_at + 1}/{ITERATIONS}' in relaunch.stdout
    status = json.loads(open(os.path.join(run_dir, 'status.json')).read())
    assert (status['state'], status['iteration']) == ('finished', ITERATIONS)

    from lrrl import run_folder

    trace = pd.read_csv(os.path.join(run_dir, run_folder.TRACE_FILE))
    assert sorted(trace['iteration'].unique()) == list(range(ITERATIONS))
    assert list(trace['episode']) == list(range(len(trace)))  # no gap, no duplicate
    assert trace['agent_step'].is_monotonic_increasing and trace['agent_step'].is_unique
    assert trace['learning_rate'].nunique() > 1
    logs = run_folder.read_dopamine_log(run_dir)
    assert sorted(logs) == list(range(ITERATIONS))
    for iteration in range(ITERATIONS):
        rows = trace[trace['iteration'] == iteration]
        assert list(rows['learning_rate']) == logs[iteration]['train_episode_learning_rates']
    rounds = run_folder.read_rounds(run_dir)
    assert rounds is not None and rounds['iteration'].is_monotonic_increasing

    summary = run_cli('lrrl.run_summary', f'--run_dir={run_dir}')
    assert summary.returncode == 0, summary.stderr[-3000:]
    report = run_cli('lrrl.report', f'--runs={runs}', f'--out={tmp_path / "report"}', '--noplots')
    assert report.returncode == 0, report.stderr[-3000:]
    table = pd.read_csv(tmp_path / 'report' / 'runs.csv')
    assert table.loc[0, 'agent'] == f'jax_{"implicit_quantile" if agent == "iqn" else agent}'
    assert bool(table.loc[0, 'finished'])
