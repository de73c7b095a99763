r"""Expands a sweep into runs, prints the plan, and runs it locally or on SLURM.

  python -m lrrl.launch --sweep=cartpole_tiny --dry_run
  python -m lrrl.launch --sweep=cartpole_tiny --max_parallel=2
  python -m lrrl.launch --sweep=atari_pong_breakout --executor=slurm \
      --slurm_partition=gpu --slurm_time_min=720 --slurm_cpus_per_task=4 --slurm_gpus_per_task=1

``--sweep`` is a TOML file (a path, or a name in configs/sweeps/ then
configs/experiments/; format: ``lrrl/sweeps/spec.py``). Without ``--sweep``,
the command line alone makes the sweep (``--name``, ``--gin_files``, ``--axis``,
``--seeds``). ``--gin_files`` come after the sweep's common files and
``--gin_bindings`` last in every run (e.g. to shorten all of them:
``--gin_bindings=Runner.num_iterations=2``).

Every run's configuration is checked before anything is launched or created
(exit 2). Finished runs are skipped and the others start or resume from their
last checkpoint, so the same command can be launched again at any time. Exit 1
when some runs failed.

``--archive_root`` names an archive of finished runs' records (``lrrl.run_archive``;
the claims campaign keeps one in git, ``results/claims/archive``): a run whose
folder is missing or empty and whose archived record is finished with the same
settings is skipped too, so a campaign resumes on a machine without its run folders.
With it, the launch also writes each run's record there as the run finishes (and,
when it starts, the records of finished runs of the sweep that have none), so the
archive keeps every finished run even if the launch or the machine stops later.
"""

import os

from absl import flags

from lrrl import cli
from lrrl import errors
from lrrl import run_archive
from lrrl import run_folder
from lrrl.sweeps import plan as plan_lib

flags.DEFINE_string('sweep', None, 'Sweep file (TOML): a path, or a name in configs/sweeps/ or configs/experiments/.')
flags.DEFINE_string('name', None, "The sweep's folder name (default: the file's name; required without --sweep).")
flags.DEFINE_multi_string(
    'axis',
    [],
    'An axis NAME:BINDING=V1,V2,... crossed with the others (labels = values), e.g. '
    '--axis=game:atari_lib.create_atari_environment.game_name=Pong,Breakout. Replaces a file axis of the same name.',
)
flags.DEFINE_string('seeds', None, "Seeds, e.g. '0,1,2' or '0-4' (replaces the file's seeds).")
flags.DEFINE_string('runs_root', os.path.join('results', 'runs'), 'Runs go to <runs_root>/<sweep>/<labels>/seed_<n>.')
flags.DEFINE_string(
    'archive_root',
    None,
    "An archive of finished runs' records (e.g. results/claims/archive): runs finished there are skipped, "
    'and each run that finishes is recorded there.',
)
flags.DEFINE_enum('executor', 'local', ['local', 'slurm'], 'Where the runs train.')
flags.DEFINE_boolean('dry_run', False, 'Print the plan and stop.')
# Local executor.
flags.DEFINE_integer('max_parallel', None, 'Local: runs at once (default: one per available core).')
flags.DEFINE_integer('threads_per_run', None, 'TF intra-/inter-op threads per run (default: cores // max_parallel).')
flags.DEFINE_list('gpus', [], "Local: GPU ids to spread runs over, e.g. '0,1' (default: none).")
flags.DEFINE_integer('runs_per_gpu', 1, 'Local: runs sharing one GPU (each with allow_growth).')
# SLURM executor.
flags.DEFINE_string('slurm_partition', None, 'SLURM partition (default: the cluster default).')
flags.DEFINE_integer('slurm_time_min', 60, 'SLURM time limit per task, minutes; a task that reaches it is requeued.')
flags.DEFINE_integer('slurm_cpus_per_task', 1, 'CPUs per task (also its TF thread count).')
flags.DEFINE_integer('slurm_gpus_per_task', 0, 'GPUs per task.')
flags.DEFINE_float('slurm_mem_gb', None, 'Memory per task, GB (default: the cluster default).')
flags.DEFINE_integer('slurm_array_parallelism', 256, 'At most this many tasks of the array run at once.')
flags.DEFINE_integer('slurm_max_num_timeout', 3, 'How many times a timed-out task is requeued.')
flags.DEFINE_boolean('slurm_wait', False, 'Wait until the array has left the queue and report the runs.')
for _name in ('gin_files', 'gin_bindings'):
    flags.declare_key_flag(_name)
FLAGS = flags.FLAGS


def log(line):
    print(f'[launch] {line}', flush=True)


def archiver(runs_root, archive_root):
    """``archive(run_dir)``: writes a finished run's record; a failure is logged, the launch goes on."""

    def archive(run_dir):
        try:
            path = run_archive.archive_run(run_dir, runs_root, archive_root)
        except (OSError, run_folder.UnreadableRunError) as e:
            log(f'WARNING: {run_dir} finished but was not archived: {e}')
            return
        if path:
            log(f'archived {path}')

    return archive


def make_executor(sweep_name):
    if FLAGS.executor == 'local':
        from lrrl.sweeps import local  # pylint: disable=g-import-not-at-top

        return local.LocalExecutor(FLAGS.max_parallel, FLAGS.threads_per_run, FLAGS.gpus, FLAGS.runs_per_gpu, log=log)
    from lrrl.sweeps import slurm  # pylint: disable=g-import-not-at-top  (submitit only here)

    return slurm.SlurmExecutor(
        os.path.abspath(os.path.join(FLAGS.runs_root, sweep_name, slurm.LOG_FOLDER)),
        partition=FLAGS.slurm_partition,
        time_min=FLAGS.slurm_time_min,
        cpus_per_task=FLAGS.slurm_cpus_per_task,
        gpus_per_task=FLAGS.slurm_gpus_per_task,
        mem_gb=FLAGS.slurm_mem_gb,
        array_parallelism=FLAGS.slurm_array_parallelism,
        max_num_timeout=FLAGS.slurm_max_num_timeout,
        job_name=f'lrrl-{sweep_name}',
        wait=FLAGS.slurm_wait,
        log=log,
    )


@cli.command
def main(argv):
    del argv
    for flag, instead in (('base_dir', '--runs_root'), ('seed', '--seeds')):
        if FLAGS[flag].present:
            raise errors.ConfigError(f'--{flag} is a flag of lrrl.train; lrrl.launch takes {instead}.')
    if FLAGS.archive_root is not None and not os.path.isdir(FLAGS.archive_root):
        raise errors.ConfigError(f'--archive_root={FLAGS.archive_root} is not a folder.')
    sweep = plan_lib.build_sweep(FLAGS.sweep, FLAGS.name, FLAGS.axis, FLAGS.seeds, FLAGS.gin_files)
    executor = make_executor(sweep.name)
    runs, skipped = plan_lib.plan(sweep, FLAGS.runs_root, FLAGS.gin_bindings, log=log, archive_root=FLAGS.archive_root)
    if FLAGS.dry_run:
        log('dry run: nothing launched.')
        return 0
    if FLAGS.archive_root:
        executor.on_run_finished = archiver(FLAGS.runs_root, FLAGS.archive_root)
        # Runs finished by an earlier launch (or by SLURM after a launch that did not wait).
        for run_dir in run_archive.unarchived_finished(
            os.path.join(FLAGS.runs_root, sweep.name), FLAGS.runs_root, FLAGS.archive_root
        ):
            executor.on_run_finished(run_dir)
    if not runs:
        log('nothing to do: every run is finished or running elsewhere.')
        return 0
    for run in runs:
        run.write_record()
    counts = executor.launch(runs, skipped=skipped)
    return 1 if counts['failed'] else 0


if __name__ == '__main__':
    cli.run(main)
