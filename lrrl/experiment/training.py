"""Train one agent in one run folder, or resume it: the library behind ``python -m lrrl.train``.

``run(base_dir, gin_files, gin_bindings, seed)`` checks everything it can
before it creates anything: the flags, the gin configuration
(``lrrl.experiment.checks``) and, when the folder already holds a run, that
the configured controller matches the one saved in its last checkpoint. Then
it holds the folder's lock, writes ``status.json`` as the run goes, trains
with Dopamine's runner and writes ``config.gin``, ``run.json`` and
``operative_config.gin`` (file names and formats: ``lrrl.run_folder``).
Launching the same run again resumes from the last checkpoint; a finished run
does nothing.

Nothing here prints: progress goes to the ``log`` callback (a line of text).
"""

import os
import time

import gin
import tensorflow as tf

from lrrl import atomic
from lrrl import compat
from lrrl import errors
from lrrl import provenance
from lrrl import run_folder
from lrrl.experiment import checks
from lrrl.experiment import runner as runner_lib

# What a full disk or a permission problem raises: Python's own writes give
# OSError, TensorFlow's checkpoint writes give these.
WRITE_ERRORS = (OSError, tf.errors.ResourceExhaustedError, tf.errors.PermissionDeniedError)


def _silent(line):
    del line


def check_run_arguments(base_dir, seed):
    """The flags of a run, before the configuration is parsed."""
    if not base_dir:
        raise errors.ConfigError('--base_dir is required: the folder where the run is written (or resumed from).')
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise errors.ConfigError(f'--seed={seed!r} is not allowed: it must be an integer >= 0.')
    if os.path.exists(base_dir) and not os.path.isdir(base_dir):
        raise errors.ConfigError(f'--base_dir={base_dir} exists and is not a folder.')


def _config_text_for_comparison(text):
    """A config's text with old module names mapped to today's (``compat.LEGACY_MODULES``)."""
    for old, new in compat.LEGACY_MODULES.items():
        text = text.replace(f'import {old} ', f'import {new} ').replace(f'import {old}\n', f'import {new}\n')
    return text


def save_config(base_dir, log=_silent):
    """Writes the run's gin config; keeps an earlier, different one.

    ``config.gin`` holds every binding the run was launched with. A resume
    with other bindings (e.g. more iterations) keeps the earlier file under a
    timestamped name, so the folder says what each part of the run used. A
    file that differs only in module names from before the package's
    restructuring is left as it is.
    """
    path = os.path.join(base_dir, run_folder.CONFIG)
    text = gin.config_str()
    if os.path.exists(path):
        with open(path) as f:
            if _config_text_for_comparison(f.read()) == _config_text_for_comparison(text):
                return path
        kept = os.path.join(base_dir, f'config.{time.strftime("%Y%m%d-%H%M%S")}.gin')
        os.replace(path, kept)
        log(
            'the configuration differs from the one this run folder was launched with; '
            f'the earlier one is kept in {kept}'
        )
    atomic.write_text(path, text)
    return path


def save_operative_config(base_dir):
    """Dopamine's convention: the values the run's objects were built with."""
    return atomic.write_text(os.path.join(base_dir, run_folder.OPERATIVE_CONFIG), gin.operative_config_str())


def _create_run_folder(base_dir):
    try:
        os.makedirs(base_dir, exist_ok=True)
    except OSError as e:
        raise errors.ConfigError(f'--base_dir={base_dir}: the run folder cannot be created ({e.strerror}).') from e
    if not os.access(base_dir, os.W_OK | os.X_OK):
        raise errors.ConfigError(f'--base_dir={base_dir}: the run folder is not writable.')


def run(base_dir, gin_files, gin_bindings=(), seed=0, log=_silent):
    """Checks the configuration, then trains (or resumes) in ``base_dir``; returns the runner.

    Raises (each an ``errors.LrrlError`` with its exit code):
      ConfigError: bad flags or configuration, or one that does not match the
        run folder; nothing was created or changed.
      RunBusy: another process is training in ``base_dir``.
      Divergence: the weights became non-finite (``status.json`` says where).
      RunWriteError: a file of the run could not be written.
    """
    check_run_arguments(base_dir, seed)
    controller = checks.parse_config(list(gin_files), list(gin_bindings))
    base_dir = os.path.abspath(base_dir)
    if os.path.isdir(base_dir):
        checks.check_resume(base_dir, controller)
    _create_run_folder(base_dir)
    try:
        with run_folder.run_lock(base_dir):
            return _run_locked(base_dir, controller, seed, gin_files, gin_bindings, log)
    except WRITE_ERRORS as e:
        # Disk full, permissions, a vanished folder: say which file; the last
        # complete checkpoint is untouched (it counts only once Dopamine writes its sentinel).
        raise errors.RunWriteError(f'a file of the run {base_dir} could not be written: {short_error(e)}') from e


def _run_locked(base_dir, controller, seed, gin_files, gin_bindings, log):
    num_iterations = checks.configured_num_iterations()
    run_folder.write_status(base_dir, 'running', run_folder.completed_iterations(base_dir), num_iterations)
    try:
        runner = _train(base_dir, controller, seed, gin_files, gin_bindings, log)
    except BaseException as e:
        # Interrupted runs (Ctrl-C, a SLURM requeue's SystemExit) too: the
        # next launch resumes them from the last checkpoint.
        details = {}
        if isinstance(e, errors.Divergence):
            details = {'diverged_at_step': e.step, 'learning_rate': e.learning_rate}
        try:
            run_folder.write_status(
                base_dir,
                'failed',
                run_folder.completed_iterations(base_dir),
                num_iterations,
                'interrupted (Ctrl-C or SIGTERM)'
                if isinstance(e, KeyboardInterrupt)
                else f'{type(e).__name__}: {short_error(e)}',
                **details,
            )
        except OSError:
            pass  # e.g. the disk is full: the earlier status.json stays whole, the error is raised below
        raise
    run_folder.write_status(base_dir, 'finished', runner.num_iterations, runner.num_iterations)
    return runner


def _train(base_dir, controller, seed, gin_files, gin_bindings, log):
    resuming = os.path.isdir(os.path.join(base_dir, run_folder.CHECKPOINTS))
    with compat.quiet_stderr():  # TensorFlow's notices while it builds the graph
        runner = runner_lib.create_runner(base_dir, seed=seed, learning_rate_controller=controller)
    runner.on_checkpoint = lambda iteration: run_folder.write_status(
        base_dir, 'running', iteration + 1, runner.num_iterations
    )
    runner.on_iteration = log
    save_config(base_dir, log)
    run_folder.write_run_settings(
        base_dir,
        {'seed': seed, 'gin_files': list(gin_files), 'gin_bindings': list(gin_bindings)},
        keep_existing=True,
    )
    if runner.start_iteration >= runner.num_iterations:
        log(f'{base_dir} is complete ({runner.num_iterations} iterations); nothing to do.')
    else:
        if resuming:
            log(f'resuming {base_dir} at iteration {runner.start_iteration + 1}/{runner.num_iterations}')
        else:
            log(f'starting {base_dir}: {runner.num_iterations} iterations')
        run_folder.add_provenance(base_dir, provenance.session_entry(gin.config_str(), runner.start_iteration))
        runner.run_experiment()
    save_operative_config(base_dir)
    log(
        f'results in {base_dir}: {run_folder.TRACE_FILE} (rate and return per training episode), '
        f'logs/ (Dopamine iteration statistics), checkpoints/, {run_folder.CONFIG} and {run_folder.OPERATIVE_CONFIG}'
    )
    return runner


def short_error(error):
    """The line of an error message that says what went wrong (and where).

    Drops gin's "In call to configurable" trailer and TensorFlow's "Graph
    execution error:" header.
    """
    text = getattr(error, 'message', None) or str(error)
    lines = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith(('In call to configurable', 'Graph execution error'))
    ]
    for line in lines:
        if any(s in line for s in ('No space left', 'Permission denied', 'Read-only file system')):
            return line
    return lines[0] if lines else type(error).__name__
