"""A sweep as a plan: which runs are new, resumable, finished or running elsewhere.

``build_sweep`` makes the sweep from a file and/or command-line axes and seeds;
``plan`` expands it, checks every run's configuration (nothing is created when
one is bad) and says what each run folder holds, so launching the same sweep
again only trains what is missing. With an archive (``lrrl.run_archive``), a run
whose folder is missing or empty but whose record there is finished, with the
same settings, is not trained again: a campaign carries over to a new machine.
"""

import os

from lrrl import run_archive
from lrrl import run_folder
from lrrl.sweeps import executor
from lrrl.sweeps import spec

STATES = ('finished', 'archived', 'running', 'resumable', 'new')


def build_sweep(sweep_file, name, axis_flags, seeds_flag, gin_files):
    """The sweep from a file and/or the command line."""
    axes = [spec.parse_axis_flag(text) for text in axis_flags]
    seeds = spec.parse_seeds_flag(seeds_flag) if seeds_flag else None
    if sweep_file:
        base = spec.load_sweep(sweep_file)
    else:
        if not name:
            raise spec.SweepError('give --sweep=FILE, or --name=NAME with --gin_files/--axis for a command-line sweep.')
        base = spec.Sweep(name=name)
    return spec.combine(base, name=name, seeds=seeds, axes=axes, gin_files=gin_files)


def planned_runs(sweep_names, runs_root, seeds=None):
    """``{sweep: {run key: labels}}``: the runs each sweep file plans (keys as ``lrrl.run_archive``'s).

    ``seeds``: seeds replacing every file's own (as ``lrrl.launch --seeds``), or None.
    """
    planned = {}
    for name in sweep_names:
        runs = spec.expand(spec.combine(spec.load_sweep(name), seeds=seeds), runs_root)
        planned[name] = {run_archive.run_key(runs_root, run.base_dir): dict(run.labels) for run in runs}
    return planned


def run_state(run, num_iterations, archived=None):
    """'finished', 'archived', 'running' (another process has it), 'resumable' or 'new', and a note.

    ``archived``: the archive's record of a finished run in this run's folder, or None.
    """
    done = run_folder.completed_iterations(run.base_dir)
    if done >= num_iterations:
        return 'finished', f'{done}/{num_iterations} iterations'
    if run_folder.is_locked(run.base_dir):
        return 'running', f'{done}/{num_iterations} iterations, being trained by another process'
    note = f'{done}/{num_iterations} iterations'
    if archived is not None and not done:
        if (
            run_archive.same_run(run.record(), archived)
            and archived['settings'].get('num_iterations') == num_iterations
        ):
            return 'archived', f'{num_iterations}/{num_iterations} iterations in its archived record'
        note += '; the archive holds this folder with other settings (trained anew, its record replaced later)'
    previous = run_folder.read_status(run.base_dir)
    if previous and previous.get('state') == 'failed':
        note += f'; failed before: {previous.get("error")}'
    return ('resumable' if done else 'new'), note


def plan(sweep, runs_root, gin_bindings, log=executor.silent, archive_root=None):
    """Expands and checks the sweep; logs the plan; returns (runs to launch, number skipped).

    ``archive_root``: the archive of finished runs (``lrrl.run_archive``) to skip runs by, or None.
    """
    runs = spec.expand(sweep, runs_root, gin_bindings)
    runs, iterations = spec.validate_runs(runs)
    archived = [
        run_archive.finished_record(archive_root, run_archive.run_key(runs_root, run.base_dir))
        if archive_root
        else None
        for run in runs
    ]
    states = [run_state(run, n, a) for run, n, a in zip(runs, iterations, archived)]
    counts = {s: sum(1 for state, _ in states if state == s) for s in STATES}
    log(f'sweep {sweep.name} ({sweep.source}): {len(runs)} runs in {os.path.join(runs_root, sweep.name)}')
    log(
        f'{counts["new"]} new, {counts["resumable"]} resumable, {counts["finished"]} finished (skipped), '
        + (f'{counts["archived"]} finished in the archive {archive_root} (skipped), ' if archive_root else '')
        + f'{counts["running"]} running elsewhere (skipped)'
    )
    for run, (state, note) in zip(runs, states):
        log(f'  {state:9s} {run.base_dir}  ({note})')
    to_launch = [run for run, (state, _) in zip(runs, states) if state in ('new', 'resumable')]
    return to_launch, len(runs) - len(to_launch)
