r"""Expands a sweep into runs, prints the plan, and runs it locally or on SLURM.

  python -m lrrl.launch --sweep=cartpole_tiny --dry_run
  python -m lrrl.launch --sweep=cartpole_tiny --max_parallel=2
  python -m lrrl.launch --sweep=atari_pong_breakout --executor=slurm \
      --slurm_partition=gpu --slurm_time_min=720 --slurm_cpus_per_task=4 --slurm_gpus_per_task=1

``--sweep`` is a TOML file (a path, or a name in configs/sweeps/ then
configs/experiments/; see lrrl/sweeps.py for the format). Without ``--sweep``,
the command line alone makes the sweep (``--name``, ``--gin_files``, ``--axis``,
``--seeds``). ``--gin_files`` come after the sweep's common files and
``--gin_bindings`` last in every run (e.g. to shorten all of
them: ``--gin_bindings=Runner.num_iterations=2``).

Every run's configuration is checked before anything is launched or created: a
bad binding, an empty axis or two runs sharing a folder stop the command with
exit code 2. Runs whose checkpoints already cover all their iterations are
skipped; the others start or resume from their last checkpoint, so the same
command can be launched again at any time.
"""

import os
import sys

from absl import app
from absl import flags
from absl import logging

from lrrl import local_executor
from lrrl import status
from lrrl import sweeps

# Defines --gin_files and --gin_bindings, which the launcher takes for every run
# (and --base_dir, --seed, which it refuses: see main).
from lrrl import train  # noqa: F401

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

FLAGS = flags.FLAGS


class LaunchError(ValueError):
    """A launch that is not allowed."""


def build_sweep(sweep_file, name, axis_flags, seeds_flag, gin_files):
    """The sweep from a file and/or the command line."""
    axes = [sweeps.parse_axis_flag(text) for text in axis_flags]
    seeds = sweeps.parse_seeds_flag(seeds_flag) if seeds_flag else None
    if sweep_file:
        base = sweeps.load_sweep(sweep_file)
    else:
        if not name:
            raise sweeps.SweepError(
                'give --sweep=FILE, or --name=NAME with --gin_files/--axis for a command-line sweep.'
            )
        base = sweeps.Sweep(name=name)
    return sweeps.combine(base, name=name, seeds=seeds, axes=axes, gin_files=gin_files)


def run_state(run, num_iterations):
    """'finished', 'running' (another process has it), 'resumable' or 'new', and a note."""
    done = status.completed_iterations(run.base_dir)
    if done >= num_iterations:
        return 'finished', f'{done}/{num_iterations} iterations'
    if status.is_locked(run.base_dir):
        return 'running', f'{done}/{num_iterations} iterations, being trained by another process'
    note = f'{done}/{num_iterations} iterations'
    previous = status.read_status(run.base_dir)
    if previous and previous.get('state') == 'failed':
        note += f'; failed before: {previous.get("error")}'
    return ('resumable' if done else 'new'), note


def plan(sweep, runs_root, gin_bindings, out=sys.stdout):
    """Expands and checks the sweep; prints the plan; returns (runs to launch, number skipped)."""
    runs = sweeps.expand(sweep, runs_root, gin_bindings)
    runs, iterations = sweeps.validate_runs(runs)
    states = [run_state(run, n) for run, n in zip(runs, iterations)]
    counts = {s: sum(1 for state, _ in states if state == s) for s in ('finished', 'running', 'resumable', 'new')}
    out.write(
        f'[launch] sweep {sweep.name} ({sweep.source}): {len(runs)} runs in {os.path.join(runs_root, sweep.name)}\n'
        f'[launch] {counts["new"]} new, {counts["resumable"]} resumable, {counts["finished"]} finished (skipped), '
        f'{counts["running"]} running elsewhere (skipped)\n'
    )
    for run, (state, note) in zip(runs, states):
        out.write(f'[launch]   {state:9s} {run.base_dir}  ({note})\n')
    out.flush()
    to_launch = [run for run, (state, _) in zip(runs, states) if state in ('new', 'resumable')]
    return to_launch, len(runs) - len(to_launch)


def launch(argv_flags, out=sys.stdout):
    """Returns the exit code: 0 all done (or submitted), 1 some runs failed."""
    sweep = build_sweep(argv_flags.sweep, argv_flags.name, argv_flags.axis, argv_flags.seeds, argv_flags.gin_files)
    if argv_flags.executor == 'local':
        executor = local_executor.LocalExecutor(
            argv_flags.max_parallel, argv_flags.threads_per_run, argv_flags.gpus, argv_flags.runs_per_gpu, out=out
        )
    else:
        from lrrl import slurm_executor  # pylint: disable=g-import-not-at-top

        executor = slurm_executor.SlurmExecutor(
            os.path.abspath(os.path.join(argv_flags.runs_root, sweep.name, slurm_executor.LOG_FOLDER)),
            partition=argv_flags.slurm_partition,
            time_min=argv_flags.slurm_time_min,
            cpus_per_task=argv_flags.slurm_cpus_per_task,
            gpus_per_task=argv_flags.slurm_gpus_per_task,
            mem_gb=argv_flags.slurm_mem_gb,
            array_parallelism=argv_flags.slurm_array_parallelism,
            max_num_timeout=argv_flags.slurm_max_num_timeout,
            job_name=f'lrrl-{sweep.name}',
            out=out,
        )
    runs, skipped = plan(sweep, argv_flags.runs_root, argv_flags.gin_bindings, out=out)
    if argv_flags.dry_run:
        out.write('[launch] dry run: nothing launched.\n')
        return 0
    if not runs:
        out.write('[launch] nothing to do: every run is finished or running elsewhere.\n')
        return 0
    for run in runs:
        run.write_record()
    if argv_flags.executor == 'local':
        counts = executor.run(runs, skipped=skipped)
    else:
        jobs = executor.submit(runs)
        if not argv_flags.slurm_wait:
            out.write('[launch] launch the same command again at any time: finished runs are skipped.\n')
            return 0
        counts = executor.wait(jobs, runs)
    return 1 if counts['failed'] else 0


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
    for flag, instead in (('base_dir', '--runs_root'), ('seed', '--seeds')):
        if FLAGS[flag].present:
            raise app.UsageError(f'--{flag} is a flag of lrrl.train; lrrl.launch takes {instead}.')
    logging.set_verbosity(logging.WARNING)  # gin and Dopamine log every file they read at INFO
    try:
        code = launch(FLAGS)
    except (sweeps.SweepError, ValueError) as e:
        print(f'lrrl.launch: error: {e}', file=sys.stderr)
        sys.exit(2)
    sys.exit(code)


if __name__ == '__main__':
    app.run(main)
