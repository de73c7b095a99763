"""Runs a sweep's runs on this machine: at most N training processes at once.

Each run is ``python -m lrrl.train`` in its own process (its own TensorFlow and
gin state), with its output appended to ``<run>/train.log``. Each process gets
``TF_NUM_INTRAOP_THREADS``/``TF_NUM_INTEROP_THREADS`` so that N parallel runs
share the cores instead of each starting one thread per core; TF 2.18 sizes the
thread pools of Dopamine's ``tf.compat.v1.Session`` from them (checked in
``tests/test_executors.py``). With GPUs, each run sees one GPU through
``CUDA_VISIBLE_DEVICES``; several runs may share it (Dopamine's session sets
``allow_growth``, so each takes only the memory it needs).

A failed run is reported (and its ``status.json`` says why) and the others go
on. A progress line goes to ``log`` whenever a run starts or ends. Stopping the
launcher (Ctrl-C, or SIGTERM through ``lrrl.cli``) stops the runs it started.
"""

import os
import subprocess
import sys
import time

from lrrl import errors
from lrrl import run_folder
from lrrl import validation
from lrrl.sweeps import executor

LOG_FILE = 'train.log'
# How long a stopped run gets to record its interruption before it is killed.
STOP_TIMEOUT_SECONDS = 60


def available_cpus():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def thread_environment(threads):
    """Environment variables that cap a training process's TF thread pools."""
    validation.check_int('--threads_per_run', threads, 1)
    return {'TF_NUM_INTRAOP_THREADS': str(threads), 'TF_NUM_INTEROP_THREADS': str(threads)}


def train_command(run):
    command = [sys.executable, '-m', 'lrrl.train', f'--base_dir={run.base_dir}', f'--seed={run.seed}']
    command += [f'--gin_files={path}' for path in run.gin_files]
    command += [f'--gin_bindings={binding}' for binding in run.gin_bindings]
    return command


class GpuSlots:
    """Hands out GPUs so that each carries at most ``runs_per_gpu`` runs.

    ``gpus`` are the device ids to use (e.g. ['0', '1']); with none, runs get
    no GPU assignment (and no limit from here).
    """

    def __init__(self, gpus=(), runs_per_gpu=1):
        validation.check_int('--runs_per_gpu', runs_per_gpu, 1)
        if len(set(gpus)) != len(gpus):
            raise errors.ConfigError(f'--gpus={",".join(gpus)} is not allowed: it repeats a device.')
        self.gpus = [str(g) for g in gpus]
        self.runs_per_gpu = runs_per_gpu
        self._load = {gpu: 0 for gpu in self.gpus}

    @property
    def capacity(self):
        """How many runs may hold a GPU at once (None: no GPUs, no limit)."""
        return len(self.gpus) * self.runs_per_gpu if self.gpus else None

    def acquire(self):
        """The least loaded GPU with room (lowest id on ties); None if all are full.

        Without GPUs, returns '' (meaning: leave CUDA_VISIBLE_DEVICES alone).
        """
        if not self.gpus:
            return ''
        gpu = min(self.gpus, key=lambda g: (self._load[g], self.gpus.index(g)))
        if self._load[gpu] >= self.runs_per_gpu:
            return None
        self._load[gpu] += 1
        return gpu

    def release(self, gpu):
        if gpu:
            self._load[gpu] -= 1

    def environment(self, gpu):
        return {'CUDA_VISIBLE_DEVICES': gpu} if gpu else {}


class LocalExecutor(executor.Executor):
    """Runs ``runs`` in subprocesses, ``max_parallel`` at a time, and waits for them.

    Args:
      max_parallel: runs at once (default: one per available core).
      threads_per_run: TF threads of each run (default: cores // max_parallel, at least 1).
      gpus, runs_per_gpu: see ``GpuSlots``.
      log: called with each progress line.
    """

    def __init__(self, max_parallel=None, threads_per_run=None, gpus=(), runs_per_gpu=1, log=executor.silent):
        cpus = available_cpus()
        self.max_parallel = validation.check_int('--max_parallel', max_parallel or cpus, 1)
        self.threads_per_run = threads_per_run or max(1, cpus // self.max_parallel)
        thread_environment(self.threads_per_run)  # checks it
        self.gpu_slots = GpuSlots(gpus, runs_per_gpu)
        self.log = log

    def _progress(self, counts, total):
        self.log(
            f'{counts["done"]}/{total} done | {counts["running"]} running | '
            f'{counts["failed"]} failed | {counts["skipped"]} skipped'
        )

    def _start(self, run, gpu):
        os.makedirs(run.base_dir, exist_ok=True)
        env = dict(os.environ, PYTHONUNBUFFERED='1')
        env.update(thread_environment(self.threads_per_run))
        env.update(self.gpu_slots.environment(gpu))
        log = open(os.path.join(run.base_dir, LOG_FILE), 'a')  # pylint: disable=consider-using-with
        log.write(f'\n===== {time.strftime("%Y-%m-%d %H:%M:%S")} lrrl.launch (local)\n')
        log.flush()
        process = subprocess.Popen(train_command(run), stdout=log, stderr=subprocess.STDOUT, env=env)
        return process, log

    def _finish(self, run, returncode):
        """'done', 'skipped' (another process has the run) or 'failed'."""
        if returncode == 0:
            return 'done'
        if returncode == errors.RunBusy.exit_code:
            return 'skipped'
        current = run_folder.read_status(run.base_dir)
        if current is None or current.get('state') != 'failed':
            # Died without saying why (killed, crashed in C++): say it for it.
            run_folder.write_status(
                run.base_dir,
                'failed',
                run_folder.completed_iterations(run.base_dir),
                (current or {}).get('num_iterations'),
                f'the training process exited with code {returncode}; see {LOG_FILE}',
            )
        return 'failed'

    def launch(self, runs, skipped=0):
        """Runs them all; returns counts of done, failed and skipped runs."""
        pending = list(runs)
        total = len(runs) + skipped
        counts = {'done': 0, 'running': 0, 'failed': 0, 'skipped': skipped}
        running = []  # (run, process, log, gpu)
        failed = []
        self._progress(counts, total)
        try:
            while pending or running:
                while pending and len(running) < self.max_parallel:
                    gpu = self.gpu_slots.acquire()
                    if gpu is None:
                        break
                    run = pending.pop(0)
                    process, log = self._start(run, gpu)
                    running.append((run, process, log, gpu))
                    counts['running'] += 1
                    self.log(f'started {run.base_dir}' + (f' on GPU {gpu}' if gpu else ''))
                    self._progress(counts, total)
                time.sleep(0.2)
                for entry in list(running):
                    run, process, log, gpu = entry
                    if process.poll() is None:
                        continue
                    running.remove(entry)
                    log.close()
                    self.gpu_slots.release(gpu)
                    outcome = self._finish(run, process.returncode)
                    counts['running'] -= 1
                    counts[outcome] += 1
                    if outcome == 'failed':
                        failed.append(run)
                    self.log(f'{outcome} {run.base_dir}')
                    if outcome == 'done':
                        self._finished(run)
                    self._progress(counts, total)
        except KeyboardInterrupt:
            # Ctrl-C, or SIGTERM (lrrl.cli): stop the runs started here rather than
            # leave them training as orphans; each records the interruption and
            # resumes from its last checkpoint on the next launch.
            self.log(f'stopping {len(running)} running run(s); the same launch command resumes them')
            for run, process, log, gpu in running:
                process.terminate()
            for run, process, log, gpu in running:
                try:
                    process.wait(timeout=STOP_TIMEOUT_SECONDS)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                log.close()
            raise
        for run in failed:
            error = (run_folder.read_status(run.base_dir) or {}).get('error')
            self.log(f'FAILED {run.base_dir}: {error} (log: {os.path.join(run.base_dir, LOG_FILE)})')
        return counts
