"""What every command shares: gin flags, the argv check, quiet output, errors to exit codes.

A command module defines its flags and a ``main(argv)`` decorated with
``@cli.command``, and ends with ``cli.run(main)``:

- flags that do not parse, and extra arguments, are bad input (exit 2), like
  every ``errors.ConfigError``; each ``errors.LrrlError`` is printed as one line
  ``lrrl.<command>: error: <message>`` and exits with its code (``lrrl.errors``);
- SIGTERM (``kill``'s default; a job or a session that ends) stops a command as
  Ctrl-C does, with the same cleanup: ``lrrl.train`` records the run as
  interrupted, ``lrrl.launch`` stops the runs it started (rather than leaving
  them training on as orphans); both exit with ``errors.INTERRUPTED_EXIT_CODE``;
- output is quiet: the command prints its own progress, and the frameworks'
  start-up noise (TensorFlow's C++ and Python logs, Gym's banner, deprecation
  warnings) is hidden. ``LRRL_VERBOSE=1`` in the environment, or
  ``--verbosity=0`` (absl's flag: 0 = INFO, 1 = DEBUG), shows it all.
  Warnings from lrrl itself, and every error, are always shown.

The flags several commands share are defined here, once (absl flags are
process-wide): ``--gin_files``, ``--gin_bindings``, ``--base_dir`` and
``--seed``. A command lists the ones it takes with ``flags.declare_key_flag``,
which also puts them in its ``--help``.
"""

import contextlib
import functools
import logging as python_logging
import os
import signal
import sys
import threading
import warnings

from absl import app
from absl import flags
from absl import logging

from lrrl import compat
from lrrl import errors

flags.DEFINE_multi_string(
    'gin_files', [], 'Gin files, applied in order; a path, or relative to configs/ (e.g. agents/dqn.gin).'
)
flags.DEFINE_multi_string('gin_bindings', [], "Gin bindings applied after the files (e.g. 'Runner.num_iterations=10').")
flags.DEFINE_string('base_dir', None, 'Run folder: checkpoints, logs and results go here (resumed if it exists).')
flags.DEFINE_integer('seed', 0, 'Seeds Python, numpy, TF, the controller and the environment.')

FLAGS = flags.FLAGS


def command_name():
    """'lrrl.train' for ``python -m lrrl.train``."""
    main = sys.modules.get('__main__')
    spec = getattr(main, '__spec__', None)
    return spec.name if spec is not None and spec.name else os.path.basename(sys.argv[0] or 'lrrl')


def verbose():
    """Whether the user asked for the frameworks' own output."""
    return compat.verbose() or ('verbosity' in FLAGS and FLAGS['verbosity'].present)


def quiet_frameworks():
    """Hides the frameworks' start-up noise unless ``verbose()`` (see the module doc)."""
    if verbose():
        return
    logging.set_verbosity(logging.WARNING)
    # TensorFlow's Python logger writes deprecation notices at WARNING through
    # its own logger; they are about TF's internals, not about the run.
    python_logging.getLogger('tensorflow').setLevel(python_logging.ERROR)
    for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
        warnings.filterwarnings('ignore', category=category)
    # Gym/Gymnasium's notices about the environment versions Dopamine uses
    # (CartPole-v0, the unmaintained gym package).
    warnings.filterwarnings('ignore', module=r'gym(nasium)?(\.|$)')
    # Dopamine warns that its legacy Logger is deprecated; lrrl keeps it on
    # because resuming needs it (docs/reliability.md).
    logging.get_absl_logger().addFilter(_DopamineLoggerNotice())


class _DopamineLoggerNotice(python_logging.Filter):
    # Dopamine's legacy Logger; its JAX replay buffer (PPO) ignoring a priority
    # it is given; orbax, which saves that buffer, on its own legacy API.
    NOTICES = (
        'Logger is being deprecated',
        'to `UniformDistribution.add`, ignoring',
        'No registered CheckpointArgs found for handler type',
        'Configured `CheckpointManager` using deprecated legacy API',
    )

    def filter(self, record):
        message = record.getMessage()
        return not any(notice in message for notice in self.NOTICES)


def _raise_interrupt(signum, frame):
    del signum, frame
    raise KeyboardInterrupt


@contextlib.contextmanager
def _sigterm_as_ctrl_c():
    """SIGTERM raises ``KeyboardInterrupt`` while the command runs (main thread only, as Python's signals)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def command(main):
    """Wraps a command's ``main(argv)``: argv check, quiet output, errors -> one line and an exit code."""

    @functools.wraps(main)
    def wrapped(argv):
        name = command_name()
        try:
            if len(argv) > 1:
                raise errors.ConfigError(f'Unexpected arguments: {argv[1:]} (every option is a --flag=value).')
            quiet_frameworks()
            with _sigterm_as_ctrl_c():
                code = main(argv)
        except errors.LrrlError as e:
            print(f'{name}: error: {e}', file=sys.stderr)
            sys.exit(e.exit_code)
        except KeyboardInterrupt:
            print(f'{name}: stopped (Ctrl-C or SIGTERM); the same command again resumes.', file=sys.stderr)
            sys.exit(errors.INTERRUPTED_EXIT_CODE)
        sys.exit(code or 0)

    return wrapped


def _parse_flags(argv):
    """absl's flag parsing, with a bad flag an exit 2 like any other bad input."""
    try:
        return FLAGS(argv)
    except flags.Error as e:
        print(f'{command_name()}: error: {e}', file=sys.stderr)
        print(f'Pass --helpfull to see the flags of {command_name()}.', file=sys.stderr)
        sys.exit(errors.ConfigError.exit_code)


def numpy_benchmark_flags(default_gin_file, default_output_dir='results/stationary'):
    """The flags of a numpy benchmark command: its gin file, output folder and --overwrite.

    Call it before the benchmark module is imported: it also keeps BLAS
    single-threaded (the matrices are tiny, so threads only add overhead and
    contend on a shared machine), which takes effect before numpy is imported.
    """
    os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    FLAGS.set_default('gin_files', [default_gin_file])
    if 'output_dir' not in FLAGS:  # Two benchmark commands imported in one process (tests) share them.
        flags.DEFINE_string('output_dir', default_output_dir, 'Folder for the tables and plots.')
        flags.DEFINE_bool('overwrite', False, 'Replace the output files if they exist.')
    else:
        FLAGS.set_default('output_dir', default_output_dir)


def numpy_benchmark_main(benchmark_class, output_files, config_name):
    """The ``main`` of a numpy benchmark command (``lrrl.stationary``, ``lrrl.maclaurin_benchmark``, ...).

    Runs ``lrrl.benchmarks.outputs.run_benchmark`` with the command's flags
    (see ``numpy_benchmark_flags``) and prints the result table.
    """
    from lrrl.benchmarks import outputs  # pylint: disable=g-import-not-at-top  (after the BLAS settings)

    @command
    def main(argv):
        del argv
        name = command_name()
        results = outputs.run_benchmark(
            benchmark_class,
            FLAGS.gin_files,
            FLAGS.gin_bindings,
            FLAGS.output_dir,
            output_files,
            config_name,
            overwrite=FLAGS.overwrite,
            log=lambda line: print(f'[{name}] {line}', flush=True),
        )
        print(results.markdown())

    return main


def run(main):
    """``app.run`` for a ``@command`` main."""
    app.run(main, flags_parser=_parse_flags)
