"""``status.json`` of a run folder, and the lock that keeps one process per run.

``status.json`` says what the run is doing, for a person or a launcher:

    {"state": "running" | "finished" | "failed", "iteration": 3, "num_iterations": 50,
     "error": "...", "updated": "2026-11-22T04:30:00+00:00", "host": "node12", "pid": 4242}

``iteration`` counts the iterations that have a checkpoint. It is written
atomically when the run starts, after every checkpoint and when the run ends;
``failed`` carries the error (an interrupted run, e.g. killed for a SLURM
requeue, is ``failed`` until it resumes). ``lrrl.train.run`` writes it, so
runs launched by hand have one too.

``run_lock`` holds an exclusive ``flock`` on ``<run>/.lock`` while a process
trains in the folder, so a second launch of the same run (another launcher,
a duplicated SLURM task) stops at once instead of writing over the first.
The lock is released by the kernel when the process dies, however it dies.
"""

import contextlib
import datetime
import fcntl
import glob
import json
import os
import re
import socket

from lrrl import trace

STATUS_FILE = 'status.json'
LOCK_FILE = '.lock'
STATES = ('running', 'finished', 'failed')
SENTINEL = re.compile(r'sentinel_checkpoint_complete\.(\d+)$')


class RunBusy(RuntimeError):
    """Another process is training in this run folder."""


def read_status(base_dir):
    """The run's status.json as a dict, or None if it has none (or half of one)."""
    try:
        with open(os.path.join(base_dir, STATUS_FILE)) as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def write_status(base_dir, state, iteration=None, num_iterations=None, error=None, **details):
    """Writes status.json atomically; ``details`` (plain data) are added as fields."""
    if state not in STATES:
        raise ValueError(f'state {state!r} is not allowed: it must be one of {STATES}.')
    status = {
        'state': state,
        'iteration': iteration,
        'num_iterations': num_iterations,
        'error': error,
        'updated': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
        'host': socket.gethostname(),
        'pid': os.getpid(),
        **details,
    }
    trace.atomic_write_text(os.path.join(base_dir, STATUS_FILE), json.dumps(status, indent=2) + '\n')
    return status


def completed_iterations(base_dir):
    """How many iterations have a complete Dopamine checkpoint (0 if none).

    Dopamine writes ``sentinel_checkpoint_complete.N`` after checkpoint N and
    resumes from the highest such N, at iteration N + 1.
    """
    numbers = [
        int(m.group(1))
        for m in (SENTINEL.search(p) for p in glob.glob(os.path.join(base_dir, 'checkpoints', 'sentinel_*')))
        if m
    ]
    return max(numbers) + 1 if numbers else 0


@contextlib.contextmanager
def run_lock(base_dir):
    """Holds ``<base_dir>/.lock`` exclusively; RunBusy if another process has it."""
    path = os.path.join(base_dir, LOCK_FILE)
    with open(path, 'a+') as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or 'another process'
            raise RunBusy(f'{base_dir} is being trained by {holder}; not starting a second process on it.') from None
        f.seek(0)
        f.truncate()
        f.write(f'pid {os.getpid()} on {socket.gethostname()}\n')
        f.flush()
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def is_locked(base_dir):
    """Whether a process holds the run's lock right now."""
    path = os.path.join(base_dir, LOCK_FILE)
    if not os.path.exists(path):
        return False
    with open(path) as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
    return False
