"""A full disk: a clear error naming the file, then a clean resume once there is room."""

import json
import os
import shutil
import subprocess

import pandas as pd
import pytest

from helpers import run_cli

COMMAND = [
    '--gin_files=agents/dqn_cartpole.gin',
    '--gin_bindings=Runner.num_iterations=2',
    '--gin_bindings=Runner.training_steps=300',
    '--gin_bindings=Runner.evaluation_steps=50',
    '--gin_bindings=DQNAgent.min_replay_history=100',
]


@pytest.fixture
def tiny_disk(tmp_path):
    """A 1 MB tmpfs: too small for the first checkpoint (needs root and mount)."""
    mount_point = tmp_path / 'tiny_disk'
    mount_point.mkdir()
    result = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', str(mount_point)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f'cannot mount a small tmpfs here (needs root): {result.stderr.decode().strip()}')
    yield mount_point
    subprocess.run(['umount', str(mount_point)], check=False)


@pytest.mark.slow
def test_a_full_disk_stops_the_run_naming_the_file_and_the_run_resumes_elsewhere(tmp_path, tiny_disk):
    run_dir = tiny_disk / 'run'
    result = run_cli('lrrl.train', f'--base_dir={run_dir}', *COMMAND)
    assert result.returncode == 5, result.stderr[-3000:]
    assert 'No space left on device' in result.stderr and str(run_dir / 'checkpoints') in result.stderr
    status = json.loads((run_dir / 'status.json').read_text())  # whole, not truncated
    assert status['state'] == 'failed' and 'No space left on device' in status['error']
    assert not any(name.startswith('sentinel') for name in os.listdir(run_dir / 'checkpoints'))
    # Moved to a disk with room, the same command finishes the run from what is there.
    moved = tmp_path / 'moved'
    shutil.copytree(run_dir, moved)
    resumed = run_cli('lrrl.train', f'--base_dir={moved}', *COMMAND)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    trace = pd.read_csv(moved / 'lr_trace.csv')
    assert sorted(trace['iteration'].unique()) == [0, 1]
    assert list(trace['episode']) == list(range(len(trace)))
    assert json.loads((moved / 'status.json').read_text())['state'] == 'finished'
