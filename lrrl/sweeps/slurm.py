"""Sends a sweep's runs to SLURM as one job array, through submitit.

Each array task calls ``lrrl.experiment.training.run`` on one run folder, in the task's own
Python process. Resuming is the training code's own: a task that starts on a
folder with checkpoints continues from the last one; on a finished folder it
does nothing.

Requeues (what submitit does, from its source, 1.5.4):

* Time limit: submitit asks SLURM to send ``SIGUSR2`` ``signal_delay_s``
  seconds before the limit (``#SBATCH --signal=USR2@90``). Its handler calls
  ``TrainJob.checkpoint`` (which resubmits the same call: the Dopamine
  checkpoints hold the state), runs ``scontrol requeue`` on the task and exits;
  a timed-out task is requeued at most ``max_num_timeout`` times.
* Preemption or ``scontrol requeue`` by an admin: SLURM sends ``SIGTERM``
  (submitit only logs it) and ``SIGKILL`` after the cluster's ``KillWait``,
  then starts the task again; submitit reloads the same pickled call, and the
  run resumes from its last complete checkpoint (the iteration under way is
  redone). The sbatch script has ``--requeue`` so this works where the
  cluster's default is ``JobRequeue=0``.

submitit's own logs (the task's stdout and stderr) go to
``<runs_root>/<sweep>/slurm/<job>_<task>_0_log.{out,err}``.
"""

import os
import subprocess
import time

import submitit

from lrrl import errors
from lrrl import run_folder
from lrrl import validation
from lrrl.sweeps import executor
from lrrl.sweeps import local

LOG_FOLDER = 'slurm'


class TrainJob(submitit.helpers.Checkpointable):
    """One array task: trains (or resumes) one run folder.

    Checkpointable: on a time-out signal submitit requeues the same call, which
    resumes from the run's last Dopamine checkpoint.
    """

    def __call__(self, base_dir, gin_files, gin_bindings, seed, threads):
        # Before TensorFlow is imported in this process.
        for key, value in local.thread_environment(threads).items():
            os.environ.setdefault(key, value)
        from lrrl.experiment import training  # pylint: disable=g-import-not-at-top

        def log(line):
            # The task's stdout is its SLURM log file.
            print(f'[lrrl] {line}', flush=True)

        log(f'SLURM job {os.environ.get("SLURM_JOB_ID")} on {os.uname().nodename}: {base_dir}')
        training.run(base_dir, gin_files, gin_bindings, seed, log=log)
        return run_folder.read_status(base_dir)


class SlurmExecutor(executor.Executor):
    """Submits runs as one SLURM job array; waits for it only if asked.

    Args:
      log_folder: where submitit writes its pickles and the tasks' logs.
      partition, time_min, cpus_per_task, gpus_per_task, mem_gb: per task.
      array_parallelism: at most this many tasks of the array run at once.
      max_num_timeout: how many times a task that hits its time limit is requeued.
      job_name: the array's name in squeue.
      wait: ``launch`` waits until the array has left the queue.
      log: called with each progress line.
    """

    def __init__(
        self,
        log_folder,
        partition=None,
        time_min=60,
        cpus_per_task=1,
        gpus_per_task=0,
        mem_gb=None,
        array_parallelism=256,
        max_num_timeout=3,
        job_name='lrrl',
        wait=False,
        log=executor.silent,
    ):
        for flag, value, minimum in (
            ('--slurm_time_min', time_min, 1),
            ('--slurm_cpus_per_task', cpus_per_task, 1),
            ('--slurm_gpus_per_task', gpus_per_task, 0),
            ('--slurm_array_parallelism', array_parallelism, 1),
            ('--slurm_max_num_timeout', max_num_timeout, 0),
        ):
            validation.check_int(flag, value, minimum)
        if mem_gb is not None and not mem_gb > 0:
            raise errors.ConfigError(f'--slurm_mem_gb={mem_gb!r} is not allowed: it must be > 0.')
        self.log_folder = log_folder
        self.cpus_per_task = cpus_per_task
        self.wait_for_jobs = wait
        self.log = log
        self.executor = submitit.SlurmExecutor(folder=log_folder, max_num_timeout=max_num_timeout)
        parameters = {
            'job_name': job_name,
            'time': time_min,
            'cpus_per_task': cpus_per_task,
            'array_parallelism': array_parallelism,
            # Requeue on preemption or node failure even where the cluster's default is not to.
            'additional_parameters': {'requeue': True},
        }
        if partition:
            parameters['partition'] = partition
        if gpus_per_task:
            parameters['gpus_per_task'] = gpus_per_task
        if mem_gb is not None:
            parameters['mem'] = f'{int(mem_gb * 1024)}MB'
        self.executor.update_parameters(**parameters)

    def launch(self, runs, skipped=0):
        """Submits the runs; with ``wait``, returns counts once they have left the queue."""
        jobs = self.submit(runs)
        if not self.wait_for_jobs:
            self.log('launch the same command again at any time: finished runs are skipped.')
            return {'done': 0, 'failed': 0, 'skipped': skipped, 'submitted': len(jobs)}
        counts = self.wait(jobs, runs)
        counts['skipped'] = skipped
        return counts

    def submit(self, runs):
        """Submits one array with a task per run; returns submitit's jobs."""
        if not runs:
            return []
        for run in runs:
            os.makedirs(run.base_dir, exist_ok=True)
        jobs = self.executor.map_array(
            TrainJob(),
            [run.base_dir for run in runs],
            [list(run.gin_files) for run in runs],
            [list(run.gin_bindings) for run in runs],
            [run.seed for run in runs],
            [self.cpus_per_task] * len(runs),
        )
        array_id = jobs[0].job_id.split('_')[0]
        self.log(
            f'submitted job array {array_id} ({len(runs)} tasks); logs in {self.log_folder}; '
            f'follow with: squeue -j {array_id}'
        )
        for job, run in zip(jobs, runs):
            self.log(f'  {job.job_id} -> {run.base_dir}')
        return jobs

    def wait(self, jobs, runs, poll_s=5):
        """Waits until the array has left the queue; returns counts from the runs' status.json.

        Uses ``squeue`` rather than ``sacct`` (which needs SLURM's accounting database).
        """
        if not jobs:
            return {'done': 0, 'failed': 0}
        array_id = jobs[0].job_id.split('_')[0]
        while True:
            result = subprocess.run(['squeue', '-h', '-j', array_id, '-o', '%i %T'], capture_output=True, text=True)
            if result.returncode == 0 and not result.stdout.strip():
                break
            # squeue forgets a finished job after MinJobAge and then says the id is invalid;
            # any other error (the controller busy or restarting) is tried again.
            if result.returncode != 0 and 'Invalid job id' in result.stderr:
                break
            time.sleep(poll_s)
        counts = {'done': 0, 'failed': 0}
        for run in runs:
            state = (run_folder.read_status(run.base_dir) or {}).get('state')
            if state == 'finished':
                counts['done'] += 1
                self._finished(run)
            else:
                counts['failed'] += 1
                error = (run_folder.read_status(run.base_dir) or {}).get('error')
                self.log(f'FAILED {run.base_dir}: state {state}, {error}')
        self.log(f'job array {array_id}: {counts["done"]} finished, {counts["failed"]} not finished')
        return counts
