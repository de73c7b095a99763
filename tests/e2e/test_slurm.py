"""A sweep sent to a real SLURM (one-node cluster on localhost) as one job array, with a requeue mid-run.

The ``slurm_cluster`` fixture (tests/conftest.py) installs slurm-wlm and munge
where they are missing and starts munged, slurmctld and slurmd for the session.
"""

import glob
import os
import re
import subprocess
import time

import pandas as pd
import pytest

from helpers import run_cli
from lrrl import run_folder

# 3 runs (an axis of 3 fixed rates), 12 CartPole iterations each: long enough to requeue one
# of them after its first checkpoint with many iterations left, so that SLURM's SIGKILL
# (KillWait = 2 s after the requeue's SIGTERM, which submitit only logs) lands before the
# run could finish on its own, also on a fast idle machine (an iteration takes ~0.4 s there;
# 6 iterations were not enough).
ITERATIONS = 12
SWEEP = [
    '--name=slurm_tiny',
    '--gin_files=agents/dqn_cartpole.gin',
    '--axis=rate:FixedLearningRate.rate=1e-4,1e-3,1e-2',
    '--seeds=0',
    f'--gin_bindings=Runner.num_iterations={ITERATIONS}',
    '--gin_bindings=Runner.training_steps=600',
    '--gin_bindings=Runner.evaluation_steps=100',
    '--gin_bindings=DQNAgent.min_replay_history=100',
]


def wait_for(predicate, what, timeout=600, poll=0.5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f'timed out waiting for {what}')


def queue_is_empty(array_id):
    result = subprocess.run(['squeue', '-h', '-j', array_id], capture_output=True, text=True)
    return result.returncode == 0 and not result.stdout.strip() or 'Invalid job id' in result.stderr


def mid_run(run_dir):
    current = run_folder.read_status(run_dir)
    return current and current['state'] == 'running' and 1 <= current['iteration'] <= 2


def job_info(task):
    return subprocess.run(['scontrol', 'show', 'job', task], capture_output=True, text=True).stdout


@pytest.mark.slow
def test_sweep_as_one_job_array_whose_requeued_and_preempted_tasks_resume_from_checkpoints(slurm_cluster, tmp_path):
    runs_root = tmp_path / 'runs'
    submitted = run_cli(
        'lrrl.launch', *SWEEP, f'--runs_root={runs_root}', '--executor=slurm', '--slurm_time_min=30', timeout=300
    )
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr[-3000:]
    assert '3 new' in submitted.stdout
    tasks = dict(re.findall(r'\[launch\]   (\d+_\d+) -> (\S+)', submitted.stdout))
    assert len(tasks) == 3
    array_ids = {task.split('_')[0] for task in tasks}
    assert len(array_ids) == 1  # one job array for the sweep
    array_id = array_ids.pop()

    # Mid-run, once each has a checkpoint: task 0 is requeued by an admin (SLURM kills and restarts
    # it); task 1 gets submitit's preemption signal (SIGUSR2, as before a time limit), on which
    # submitit checkpoints the call and requeues the task itself.
    (task, run_dir), (signalled, signalled_dir) = sorted(tasks.items())[:2]
    interrupts = {
        run_dir: ['scontrol', 'requeue', task],
        signalled_dir: ['scancel', '--signal=USR2', signalled],
    }

    def interrupt_those_mid_run():
        for folder in [f for f in interrupts if mid_run(f)]:
            result = subprocess.run(interrupts.pop(folder), capture_output=True, text=True)
            assert result.returncode == 0, result.stderr
        return not interrupts

    wait_for(interrupt_those_mid_run, 'both runs to pass their first checkpoint')
    for name in (task, signalled):
        # SLURM makes a requeued job eligible only ~2 minutes later (its BeginTime); bring that
        # forward so the test does not sit idle. The task still goes through a full requeue.
        wait_for(lambda: 'JobState=PENDING' in job_info(name), f'{name} to be pending again')
        subprocess.run(['scontrol', 'update', f'JobId={name}', 'StartTime=now'], capture_output=True, text=True)
    wait_for(lambda: queue_is_empty(array_id), f'job array {array_id} to finish', poll=2)

    for run_dir in tasks.values():
        current = run_folder.read_status(run_dir)
        assert current['state'] == 'finished', current
        trace = pd.read_csv(os.path.join(run_dir, 'lr_trace.csv'))
        assert sorted(trace['iteration'].unique()) == list(range(ITERATIONS))
        assert list(trace['episode']) == list(range(len(trace)))
        assert os.path.exists(os.path.join(run_dir, 'checkpoints', f'sentinel_checkpoint_complete.{ITERATIONS - 1}'))

    # Each interrupted task ran twice (submitit appends to its log): the second time it resumed
    # from the checkpoint and did not train the iterations it had already checkpointed.
    for name in (task, signalled):
        log = open(os.path.join(runs_root, 'slurm_tiny', 'slurm', f'{name}_0_log.out')).read()
        starts = log.split('[lrrl] SLURM job')
        assert len(starts) == 3, log[-3000:]  # text before, first start, start after the requeue
        before, after = starts[1], starts[2]
        done_before = [int(i) for i in re.findall(rf'\[lrrl\] iteration (\d+)/{ITERATIONS}', before)]
        done_after = [int(i) for i in re.findall(rf'\[lrrl\] iteration (\d+)/{ITERATIONS}', after)]
        resuming = re.search(rf'resuming .* at iteration (\d+)/{ITERATIONS}', after)
        assert resuming, after[-3000:]
        resumed_at = int(resuming.group(1))
        assert resumed_at >= 2 and set(range(1, resumed_at)) <= set(done_before)
        assert done_after == list(range(resumed_at, ITERATIONS + 1))
    errors = open(os.path.join(runs_root, 'slurm_tiny', 'slurm', f'{signalled}_0_log.err')).read()
    assert 'Calling checkpoint method' in errors and f'Requeued job {signalled}' in errors

    # Launching the same sweep again submits nothing.
    again = run_cli('lrrl.launch', *SWEEP, f'--runs_root={runs_root}', '--executor=slurm', timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    assert '3 finished' in again.stdout and 'nothing to do' in again.stdout and 'submitted' not in again.stdout
    assert len(glob.glob(os.path.join(runs_root, 'slurm_tiny', 'slurm', '*_submission.sh'))) <= 1
