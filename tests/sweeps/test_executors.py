"""The local executor (parallel, idempotent, resumes only what is missing), TF thread caps, GPU slots, run status."""

import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from helpers import REPO
from helpers import run_cli
from lrrl import errors
from lrrl.sweeps import local
from lrrl import run_folder

# Short CartPole runs: 2 iterations of 300 training and 100 evaluation steps.
SHORT = [
    '--gin_bindings=Runner.num_iterations=2',
    '--gin_bindings=Runner.training_steps=300',
    '--gin_bindings=Runner.evaluation_steps=100',
    '--gin_bindings=DQNAgent.min_replay_history=100',
]

THREADS_PROBE = """
import os
import lrrl
import tensorflow as tf
tf.compat.v1.disable_v2_behavior()
config = tf.compat.v1.ConfigProto(allow_soft_placement=True)  # as Dopamine's Runner builds its session
config.gpu_options.allow_growth = True
session = tf.compat.v1.Session('', config=config)
x = tf.random.normal([300, 300])
session.run(tf.linalg.matmul(x, x))
print('threads', len(os.listdir('/proc/self/task')))
"""


def count_threads(env):
    result = subprocess.run(
        [sys.executable, '-c', THREADS_PROBE], capture_output=True, text=True, env=dict(os.environ, **env), cwd=REPO
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return int(re.search(r'threads (\d+)', result.stdout).group(1))


@pytest.mark.slow
def test_tensorflow_sizes_the_v1_session_thread_pools_from_the_environment():
    # The executors cap each run's threads with these variables: check TF 2.18 honours them.
    one = count_threads(local.thread_environment(1))
    seven = count_threads(local.thread_environment(7))
    assert seven - one == 12  # 6 more intra-op and 6 more inter-op threads


def test_gpu_slots_pack_runs_per_gpu_and_wait_when_full():
    slots = local.GpuSlots(['0', '1'], runs_per_gpu=2)
    assert slots.capacity == 4
    taken = [slots.acquire() for _ in range(4)]
    assert taken == ['0', '1', '0', '1']  # spread before stacking
    assert slots.acquire() is None  # full: the run waits
    slots.release('1')
    assert slots.acquire() == '1'
    assert slots.environment('1') == {'CUDA_VISIBLE_DEVICES': '1'}
    no_gpu = local.GpuSlots()
    assert no_gpu.capacity is None and no_gpu.acquire() == '' and no_gpu.environment('') == {}
    with pytest.raises(ValueError, match='--runs_per_gpu'):
        local.GpuSlots(['0'], runs_per_gpu=0)
    with pytest.raises(ValueError, match='repeats a device'):
        local.GpuSlots(['0', '0'])


def test_run_lock_lets_one_process_train_a_folder(tmp_path):
    with run_folder.run_lock(str(tmp_path)):
        assert run_folder.is_locked(str(tmp_path))
        with pytest.raises(errors.RunBusy, match='is being trained by pid'):
            with run_folder.run_lock(str(tmp_path)):
                pass
    assert not run_folder.is_locked(str(tmp_path))


def test_status_and_completed_iterations(tmp_path):
    base = str(tmp_path)
    assert run_folder.read_status(base) is None and run_folder.completed_iterations(base) == 0
    os.makedirs(tmp_path / 'checkpoints')
    for n in (0, 1, 2):
        (tmp_path / 'checkpoints' / f'sentinel_checkpoint_complete.{n}').write_text('')
    assert run_folder.completed_iterations(base) == 3
    written = run_folder.write_status(base, 'failed', 3, 5, 'boom')
    assert run_folder.read_status(base) == written
    assert written['state'] == 'failed' and written['error'] == 'boom' and written['host']
    with pytest.raises(ValueError, match='state'):
        run_folder.write_status(base, 'done')


def launch(runs_root, *extra):
    result = run_cli(
        'lrrl.launch', '--sweep=cartpole_tiny', f'--runs_root={runs_root}', '--max_parallel=2', *SHORT, *extra
    )
    return result


def run_dirs(runs_root):
    records = glob.glob(os.path.join(runs_root, 'cartpole_tiny', '*', 'seed_*', 'run.json'))
    return sorted(os.path.dirname(p) for p in records)


def snapshot(run_dir):
    """What a rerun must not touch: the trace, the logs and the checkpoints, with their times."""
    files = ['lr_trace.csv'] + sorted(
        os.path.relpath(p, run_dir) for p in glob.glob(os.path.join(run_dir, '*', '*')) if 'metrics' not in p
    )
    return {f: os.stat(os.path.join(run_dir, f)).st_mtime_ns for f in files}


@pytest.mark.slow
def test_local_sweep_runs_two_at_a_time_then_skips_then_redoes_only_the_missing_part(tmp_path):
    runs_root = str(tmp_path / 'runs')
    first = launch(runs_root)
    assert first.returncode == 0, first.stdout + first.stderr[-3000:]
    assert '4 new, 0 resumable, 0 finished' in first.stdout
    running = [int(n) for n in re.findall(r'\| (\d+) running \|', first.stdout)]
    assert max(running) == 2  # --max_parallel=2, and it used both
    assert '4/4 done | 0 running | 0 failed | 0 skipped' in first.stdout
    dirs = run_dirs(runs_root)
    assert [os.path.relpath(d, runs_root) for d in dirs] == [
        os.path.join('cartpole_tiny', m, f'seed_{s}') for m in ('fixed_1e-3', 'lrrl') for s in (0, 1)
    ]
    for run_dir in dirs:
        assert run_folder.read_status(run_dir)['state'] == 'finished'
        trace = pd.read_csv(os.path.join(run_dir, 'lr_trace.csv'))
        assert sorted(trace['iteration'].unique()) == [0, 1]
    before = {d: snapshot(d) for d in dirs}

    # Again: everything is finished, nothing is started, nothing is touched.
    again = launch(runs_root)
    assert again.returncode == 0, again.stderr[-3000:]
    assert '0 new, 0 resumable, 4 finished' in again.stdout and 'nothing to do' in again.stdout
    assert {d: snapshot(d) for d in dirs} == before

    # Lose the last checkpoint of one run: only that run, only its last iteration, is redone.
    damaged = dirs[2]
    last = glob.glob(os.path.join(damaged, 'checkpoints', '*.1')) + glob.glob(
        os.path.join(damaged, 'checkpoints', '*-1.*')
    )
    assert len(last) >= 3  # ckpt.1, sentinel_checkpoint_complete.1, tf_ckpt-1.*
    for path in last:
        os.remove(path)
    assert run_folder.completed_iterations(damaged) == 1
    third = launch(runs_root)
    assert third.returncode == 0, third.stdout + third.stderr[-3000:]
    assert '0 new, 1 resumable, 3 finished' in third.stdout
    assert f'started {damaged}' in third.stdout and third.stdout.count('[launch] started') == 1
    log = open(os.path.join(damaged, 'train.log')).read().split('lrrl.launch (local)')[-1]
    assert 'resuming' in log and 'iteration 2/2' in log and 'iteration 1/2' not in log
    assert run_folder.read_status(damaged)['state'] == 'finished'
    for run_dir in dirs:
        if run_dir != damaged:
            assert snapshot(run_dir) == before[run_dir]
    trace = pd.read_csv(os.path.join(damaged, 'lr_trace.csv'))
    assert sorted(trace['iteration'].unique()) == [0, 1]


@pytest.mark.slow
def test_a_failing_run_is_reported_and_does_not_stop_the_others(tmp_path):
    runs_root = tmp_path / 'runs'
    result = run_cli(
        'lrrl.launch',
        '--name=mixed',
        '--gin_files=agents/dqn_cartpole.gin',
        # Passes the configuration checks but fails when the runner is built.
        '--axis=episode:Runner.max_steps_per_episode=200,None',
        f'--runs_root={runs_root}',
        '--max_parallel=2',
        *SHORT,
    )
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    assert '1/2 done | 0 running | 1 failed | 0 skipped' in result.stdout
    failed = run_folder.read_status(str(runs_root / 'mixed' / 'None' / 'seed_0'))
    assert failed['state'] == 'failed' and 'max_steps_per_episode = None' in failed['error']
    assert 'FAILED' in result.stdout and 'max_steps_per_episode = None' in result.stdout
    assert run_folder.read_status(str(runs_root / 'mixed' / '200' / 'seed_0'))['state'] == 'finished'


@pytest.mark.slow
def test_sigterm_stops_the_launcher_and_its_runs_and_the_next_launch_resumes_them(tmp_path):
    # kill's default signal (a session or a job that ends): before, the launcher
    # died and left its runs training on as orphans that held their folders.
    runs_root = tmp_path / 'runs'
    args = ['--sweep=cartpole_tiny', f'--runs_root={runs_root}', '--seeds=0', '--max_parallel=1']
    long_runs = ['--gin_bindings=Runner.num_iterations=50', *SHORT[1:]]
    launcher = subprocess.Popen(
        [sys.executable, '-m', 'lrrl.launch', *args, *long_runs],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED='1'),
    )
    first = str(runs_root / 'cartpole_tiny' / 'fixed_1e-3' / 'seed_0')
    try:
        deadline = time.monotonic() + 300
        while run_folder.completed_iterations(first) < 1:
            assert launcher.poll() is None and time.monotonic() < deadline, 'the first iteration never finished'
            time.sleep(0.5)
        assert run_folder.is_locked(first)
        launcher.send_signal(signal.SIGTERM)
        stdout, stderr = launcher.communicate(timeout=120)
    finally:
        if launcher.poll() is None:
            launcher.kill()
    assert launcher.returncode == errors.INTERRUPTED_EXIT_CODE, stdout + stderr[-3000:]
    assert 'stopping 1 running run(s)' in stdout
    assert 'lrrl.launch: stopped' in stderr and 'Traceback' not in stderr
    assert not run_folder.is_locked(first)  # its training process is gone, not orphaned
    status = run_folder.read_status(first)
    assert status['state'] == 'failed' and status['error'] == 'interrupted (Ctrl-C or SIGTERM)'
    assert 1 <= status['iteration'] < 50
    log = open(os.path.join(first, 'train.log')).read()
    assert 'lrrl.train: stopped' in log and 'Traceback' not in log

    plan = run_cli('lrrl.launch', *args, *long_runs, '--dry_run')
    assert plan.returncode == 0, plan.stderr[-3000:]
    assert '1 new, 1 resumable, 0 finished' in plan.stdout and '0 running elsewhere' in plan.stdout


@pytest.mark.slow
def test_a_launch_with_an_archive_records_each_run_as_it_finishes(tmp_path):
    runs_root, archive = tmp_path / 'runs', tmp_path / 'archive'
    archive.mkdir()
    args = ['--sweep=cartpole_tiny', f'--runs_root={runs_root}', f'--archive_root={archive}', '--seeds=0', *SHORT]
    first = run_cli('lrrl.launch', *args, '--max_parallel=2')
    assert first.returncode == 0, first.stdout + first.stderr[-3000:]
    records = sorted(archive.rglob('seed_*.json'))
    assert [r.relative_to(archive).as_posix() for r in records] == [
        'cartpole_tiny/fixed_1e-3/seed_0.json',
        'cartpole_tiny/lrrl/seed_0.json',
    ]
    assert first.stdout.count('[launch] archived ') == 2
    # Each record is written when its run is done, before the launch ends.
    lines = first.stdout.splitlines()
    for record in records:
        archived_at = next(i for i, l in enumerate(lines) if l.endswith(str(record)))
        run = os.path.join(runs_root, 'cartpole_tiny', record.parent.name, 'seed_0')
        assert lines.index(f'[launch] done {run}') < archived_at
    written = json.loads(records[1].read_text())
    assert written['run'] == 'cartpole_tiny/lrrl/seed_0' and written['settings']['finished']
    assert len(written['iterations']['rows']) == 2

    # A finished run without a record (finished by an earlier launch): recorded by the next one.
    records[0].unlink()
    again = run_cli('lrrl.launch', *args)
    assert again.returncode == 0 and 'nothing to do' in again.stdout, again.stderr[-3000:]
    assert again.stdout.count('[launch] archived ') == 1 and records[0].exists()

    # On a machine without the run folders, the archive alone says they are done.
    shutil.rmtree(runs_root)
    fresh = run_cli('lrrl.launch', *args)
    assert fresh.returncode == 0, fresh.stderr[-3000:]
    assert '0 new, 0 resumable, 0 finished (skipped), 2 finished in the archive' in fresh.stdout
    assert 'nothing to do' in fresh.stdout and not runs_root.exists()
