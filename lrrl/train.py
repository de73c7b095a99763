r"""Trains one LRRL (or fixed-rate) Dopamine agent; resumes from the run folder.

  python -m lrrl.train --base_dir=runs/breakout_k5_s0 \
      --gin_files=configs/agents/dqn.gin --gin_files=configs/methods/lrrl_k5.gin \
      --gin_bindings="atari_lib.create_atari_environment.game_name='Breakout'" \
      --seed=0

The configuration is checked before anything is created. The run folder
receives Dopamine's checkpoints/, logs/ and metrics, ``lr_trace.csv``, the gin
configs and ``run.json`` (seed, gin files, bindings; an existing one is kept).
Launching the same command again resumes from the last checkpoint (a finished
run does nothing).
"""

import json
import os
import sys
import time

import lrrl  # noqa: F401  (compatibility fixes before TensorFlow)

from absl import app
from absl import flags
from absl import logging
import gin
import tensorflow as tf

from lrrl import agents
from lrrl import config_checks
from lrrl import gin_files as gin_files_lib
from lrrl import networks  # noqa: F401  (registers the dense IQN networks with gin)
from lrrl import runner as runner_lib
from lrrl import status
from lrrl import sweeps
from lrrl import trace

flags.DEFINE_string('base_dir', None, 'Run folder: checkpoints, logs and results go here.')
flags.DEFINE_multi_string('gin_files', [], 'Gin files, applied in order (e.g. configs/agents/dqn.gin).')
flags.DEFINE_multi_string('gin_bindings', [], "Gin bindings applied after the files (e.g. 'Runner.num_iterations=10').")
flags.DEFINE_integer('seed', 0, 'Seeds Python, numpy, TF, the controller and the environment.')

FLAGS = flags.FLAGS

OPERATIVE_CONFIG = 'operative_config.gin'
CONFIG = 'config.gin'


def parse_config(gin_files, gin_bindings):
    """Parses gin files and bindings; checks them; returns the controller."""
    if not gin_files:
        raise gin_files_lib.UsageError(
            '--gin_files is empty: give at least an agent config, e.g. --gin_files=configs/agents/dqn.gin.'
        )
    gin_files_lib.parse(gin_files, gin_bindings)
    return config_checks.check_config()


def configured_num_iterations():
    """The parsed config's ``Runner.num_iterations`` (Dopamine's default if unbound)."""
    try:
        return gin.query_parameter('Runner.num_iterations')
    except ValueError:
        import inspect  # pylint: disable=g-import-not-at-top
        from dopamine.discrete_domains import run_experiment  # pylint: disable=g-import-not-at-top

        return inspect.signature(run_experiment.Runner.__init__).parameters['num_iterations'].default


def save_config(base_dir):
    """Writes the run's gin config; keeps an earlier, different one.

    ``config.gin`` holds every binding the run was launched with. A resume
    with other bindings (e.g. more iterations) keeps the earlier file under a
    timestamped name, so the folder says what each part of the run used.
    """
    path = os.path.join(base_dir, CONFIG)
    text = gin.config_str()
    if os.path.exists(path):
        with open(path) as f:
            if f.read() == text:
                return path
        kept = os.path.join(base_dir, f'config.{time.strftime("%Y%m%d-%H%M%S")}.gin')
        os.replace(path, kept)
        print(
            '[lrrl] the configuration differs from the one this run folder was launched with; '
            f'the earlier one is kept in {kept}'
        )
    trace.atomic_write_text(path, text)
    return path


def save_run_settings(base_dir, gin_files, gin_bindings, seed):
    """Writes ``run.json`` (seed, gin files and bindings as given) unless the folder has one."""
    path = os.path.join(base_dir, sweeps.RUN_FILE)
    if not os.path.exists(path):
        settings = {'seed': seed, 'gin_files': list(gin_files), 'gin_bindings': list(gin_bindings)}
        trace.atomic_write_text(path, json.dumps(settings, indent=2) + '\n')
    return path


def save_operative_config(base_dir):
    """Dopamine's convention: the values the run's objects were built with."""
    path = os.path.join(base_dir, OPERATIVE_CONFIG)
    trace.atomic_write_text(path, gin.operative_config_str())
    return path


def run(base_dir, gin_files, gin_bindings=(), seed=0):
    """Checks the configuration, then trains (or resumes) in ``base_dir``.

    Returns the runner, after training.
    """
    if not base_dir:
        raise gin_files_lib.UsageError('--base_dir is required: the folder where the run is written (or resumed from).')
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise gin_files_lib.UsageError(f'--seed={seed!r} is not allowed: it must be an integer >= 0.')
    if os.path.exists(base_dir) and not os.path.isdir(base_dir):
        raise gin_files_lib.UsageError(f'--base_dir={base_dir} exists and is not a folder.')
    controller = parse_config(list(gin_files), list(gin_bindings))
    base_dir = os.path.abspath(base_dir)
    try:
        os.makedirs(base_dir, exist_ok=True)
    except OSError as e:
        raise gin_files_lib.UsageError(
            f'--base_dir={base_dir}: the run folder cannot be created ({e.strerror}).'
        ) from e
    if not os.access(base_dir, os.W_OK | os.X_OK):
        raise gin_files_lib.UsageError(f'--base_dir={base_dir}: the run folder is not writable.')
    # One process per run folder: a second launch stops here (status.RunBusy).
    with status.run_lock(base_dir):
        num_iterations = configured_num_iterations()
        iteration = status.completed_iterations(base_dir)
        status.write_status(base_dir, 'running', iteration, num_iterations)
        try:
            runner = _train(base_dir, controller, seed, gin_files, gin_bindings)
        except BaseException as e:
            # Interrupted runs (Ctrl-C, a SLURM requeue's SystemExit) too: the
            # next launch resumes them from the last checkpoint.
            error = f'{type(e).__name__}: {short_error(e)}'
            details = {}
            if isinstance(e, agents.Divergence):
                details = {'diverged_at_step': e.step, 'learning_rate': e.learning_rate}
            try:
                status.write_status(
                    base_dir, 'failed', status.completed_iterations(base_dir), num_iterations, error, **details
                )
            except OSError:
                pass  # e.g. the disk is full: the earlier status.json stays whole, the error is raised below
            raise
        status.write_status(base_dir, 'finished', runner.num_iterations, runner.num_iterations)
    return runner


def _train(base_dir, controller, seed, gin_files, gin_bindings):
    resuming = os.path.isdir(os.path.join(base_dir, 'checkpoints'))
    runner = runner_lib.create_runner(base_dir, seed=seed, learning_rate_controller=controller)
    runner.on_checkpoint = lambda iteration: status.write_status(
        base_dir, 'running', iteration + 1, runner.num_iterations
    )
    save_config(base_dir)
    save_run_settings(base_dir, gin_files, gin_bindings, seed)
    if runner.start_iteration >= runner.num_iterations:
        print(f'[lrrl] {base_dir} is complete ({runner.num_iterations} iterations); nothing to do.')
    else:
        if resuming:
            print(f'[lrrl] resuming {base_dir} at iteration {runner.start_iteration + 1}/{runner.num_iterations}')
        else:
            print(f'[lrrl] starting {base_dir}: {runner.num_iterations} iterations')
        runner.run_experiment()
    save_operative_config(base_dir)
    print(
        f'[lrrl] results in {base_dir}: lr_trace.csv (rate and return per training episode), '
        f'logs/ (Dopamine iteration statistics), checkpoints/, {CONFIG} and {OPERATIVE_CONFIG}'
    )
    return runner


# What a full disk or a permission problem raises: Python's own writes give
# OSError, TensorFlow's checkpoint writes give these.
WRITE_ERRORS = (OSError, tf.errors.ResourceExhaustedError, tf.errors.PermissionDeniedError)


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


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
    logging.set_verbosity(logging.WARNING)
    try:
        run(FLAGS.base_dir, FLAGS.gin_files, FLAGS.gin_bindings, FLAGS.seed)
    except (gin_files_lib.UsageError, config_checks.ConfigError) as e:
        print(f'lrrl.train: error: {e}', file=sys.stderr)
        sys.exit(2)
    except status.RunBusy as e:
        print(f'lrrl.train: {e}', file=sys.stderr)
        sys.exit(3)
    except agents.Divergence as e:
        print(f'lrrl.train: error: {e}', file=sys.stderr)
        sys.exit(4)
    except WRITE_ERRORS as e:
        # Disk full, permissions, a vanished folder: say which file; the last
        # complete checkpoint is untouched (it counts only once Dopamine writes its sentinel).
        print(
            f'lrrl.train: error: a file of the run {FLAGS.base_dir} could not be written: {short_error(e)}',
            file=sys.stderr,
        )
        sys.exit(5)


if __name__ == '__main__':
    app.run(main)
