"""Kill -9 at random points, relaunch the same command: nothing lost, nothing repeated."""

import glob
import json
import os
import random
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from helpers import REPO

ITERATIONS = 10
COMMAND = [
    '--gin_files=agents/dqn_cartpole.gin',
    '--gin_files=methods/lrrl_k5.gin',
    '--gin_bindings=BanditLearningRate.rates = (1e-4, 1e-3, 1e-2)',
    f'--gin_bindings=Runner.num_iterations = {ITERATIONS}',
    '--gin_bindings=Runner.training_steps = 400',
    '--gin_bindings=Runner.evaluation_steps = 50',
    '--gin_bindings=DQNAgent.min_replay_history = 100',
    # Rounds carry the probe: its batch and generator are in the checkpoint too.
    '--gin_bindings=BanditLearningRate.record_probes = True',
    '--gin_bindings=lrrl.create_agent.probe_batch_size = 64',
    '--seed=3',
]


def launch(run_dir):
    return subprocess.Popen(
        [sys.executable, '-m', 'lrrl.train', f'--base_dir={run_dir}', *COMMAND],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def last_checkpoint(run_dir):
    """The newest checkpointed iteration (-1 before the first); Dopamine deletes old ones."""
    sentinels = glob.glob(os.path.join(run_dir, 'checkpoints', 'sentinel_checkpoint_complete.*'))
    return max((int(path.rsplit('.', 1)[1]) for path in sentinels), default=-1)


@pytest.mark.slow
def test_random_kills_then_relaunch_continue_without_gaps_or_duplicates(tmp_path):
    run_dir = str(tmp_path / 'run')
    rng = random.Random(0)
    kills = 0
    # Kill at random moments, counted in iterations rather than seconds so that a fast machine
    # does not finish the run first: one or two checkpoints after the (re)launch, then a short
    # random delay, so that some kills land mid-iteration and some right as a checkpoint is written.
    while kills < 3:
        process = launch(run_dir)
        target = last_checkpoint(run_dir) + rng.randint(1, 2)
        deadline = time.time() + 240
        while last_checkpoint(run_dir) < target and process.poll() is None and time.time() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.3))
        if process.poll() is not None:
            break
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        kills += 1
        status = json.load(open(os.path.join(run_dir, 'status.json')))
        if status['state'] == 'finished':  # killed after its last checkpoint, on its way out
            assert status['iteration'] == ITERATIONS
            break
        assert status['state'] == 'running'  # a killed process cannot say more; the relaunch will
    final = launch(run_dir)
    _, stderr = final.communicate(timeout=600)
    assert final.returncode == 0, stderr[-3000:]
    assert kills >= 2

    from lrrl import run_folder

    trace = pd.read_csv(os.path.join(run_dir, 'lr_trace.csv'))
    assert sorted(trace['iteration'].unique()) == list(range(ITERATIONS))
    assert list(trace['episode']) == list(range(len(trace)))  # no gap, no duplicate
    assert trace['agent_step'].is_monotonic_increasing and trace['agent_step'].is_unique
    logs = run_folder.read_dopamine_log(run_dir)
    assert sorted(logs) == list(range(ITERATIONS))
    for iteration in range(ITERATIONS):
        # The trace and Dopamine's log agree on every iteration's episodes.
        rows = trace[trace['iteration'] == iteration]
        assert list(rows['learning_rate']) == logs[iteration]['train_episode_learning_rates']
        assert list(rows['return']) == pytest.approx(logs[iteration]['train_episode_returns'])
    assert json.load(open(os.path.join(run_dir, 'status.json')))['state'] == 'finished'
    # The bandit's rounds: every round once, each beginning where the previous one ended.
    rounds = pd.read_csv(os.path.join(run_dir, 'rounds.csv'))
    assert list(rounds['round']) == list(range(len(rounds))) and len(rounds) > 20
    assert (rounds['start_step'].iloc[1:].to_numpy() == rounds['end_step'].iloc[:-1].to_numpy()).all()
    assert rounds['loss_start'].notna().all() and rounds['iteration'].is_monotonic_increasing


@pytest.mark.slow
def test_killing_the_whole_local_launch_then_relaunching_finishes_every_run_once(tmp_path):
    """kill -9 of the launcher and its training processes (a lost node), then the same launch."""
    root = tmp_path / 'runs'
    sweep = [
        sys.executable,
        '-m',
        'lrrl.launch',
        '--name=killed',
        '--gin_files=agents/dqn_cartpole.gin',
        '--axis=rate:FixedLearningRate.rate=1e-3,1e-2',
        '--seeds=0',
        f'--runs_root={root}',
        '--max_parallel=2',
        '--gin_bindings=Runner.num_iterations=4',
        '--gin_bindings=Runner.training_steps=400',
        '--gin_bindings=Runner.evaluation_steps=50',
        '--gin_bindings=DQNAgent.min_replay_history=100',
    ]
    launcher = subprocess.Popen(
        sweep, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.time() + 300
    run_dirs = []
    while launcher.poll() is None and time.time() < deadline:
        run_dirs = sorted(glob.glob(str(root / 'killed' / '*' / 'seed_0')))
        if len(run_dirs) == 2 and sum(last_checkpoint(d) + 1 for d in run_dirs) >= 2:
            break
        time.sleep(0.1)
    assert launcher.poll() is None, 'the sweep finished before it could be killed'
    os.killpg(launcher.pid, signal.SIGKILL)
    launcher.wait()
    assert len(run_dirs) == 2
    assert min(last_checkpoint(d) + 1 for d in run_dirs) < 4
    relaunch = subprocess.run(sweep, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert relaunch.returncode == 0, relaunch.stdout[-2000:] + relaunch.stderr[-2000:]
    for run_dir in run_dirs:
        trace = pd.read_csv(os.path.join(run_dir, 'lr_trace.csv'))
        assert sorted(trace['iteration'].unique()) == [0, 1, 2, 3]
        assert list(trace['episode']) == list(range(len(trace)))
        assert trace['agent_step'].is_unique
        assert json.load(open(os.path.join(run_dir, 'status.json')))['state'] == 'finished'
