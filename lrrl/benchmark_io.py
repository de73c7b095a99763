"""What the numpy benchmarks' command lines share: gin parsing and result files.

Used by ``lrrl.stationary`` and ``lrrl.maclaurin_benchmark``. No TensorFlow.

A benchmark names every file it will write up front; ``check_outputs`` refuses
to start when one of them already exists (unless the user passes
``--overwrite``), before anything is computed or created, so a rerun never
silently replaces results someone produced. Every file is written atomically
(temporary file + rename).
"""

import math
import os
import sys
import time

from absl import app
from absl import flags
import gin

from lrrl import gin_files
from lrrl import trace


def run_command(command, benchmark_class, default_gin_file, output_files, config_name):
    """The command line of a numpy benchmark: ``python -m <command> [--gin_files …] [--output_dir …]``.

    Parses gin, builds ``benchmark_class()`` and checks that none of
    ``output_files`` (plus ``config_name``, the gin config it ran with) would be
    replaced, all before computing anything; then runs, writes, and prints the table.
    """
    flags.DEFINE_string('output_dir', 'results/stationary', 'Folder for the tables and plots.')
    flags.DEFINE_multi_string('gin_files', [default_gin_file], 'Gin files (as given, or relative to configs/).')
    flags.DEFINE_multi_string('gin_bindings', [], f'Gin bindings, e.g. {benchmark_class.__name__}.steps=1000.')
    flags.DEFINE_bool('overwrite', False, 'Replace the output files if they exist.')
    FLAGS = flags.FLAGS

    def main(argv):
        if len(argv) > 1:
            print(f'{command}: error: unexpected arguments {argv[1:]}', file=sys.stderr)
            sys.exit(2)
        try:
            gin_files.parse(FLAGS.gin_files, FLAGS.gin_bindings)
            benchmark = benchmark_class()
            check_outputs(FLAGS.output_dir, output_files, FLAGS.overwrite)
        except ValueError as e:
            print(f'{command}: error: {e}', file=sys.stderr)
            sys.exit(2)
        config = gin.config_str()
        begin = time.time()
        results = benchmark.run()
        paths = results.write(FLAGS.output_dir)
        paths.append(write_text(FLAGS.output_dir, config_name, config))
        print(results.markdown())
        print(f'[{command}] {time.time() - begin:.0f} s; wrote {", ".join(os.path.basename(p) for p in paths)}')

    app.run(main)


def check_outputs(output_dir, names, overwrite):
    """Raises UsageError if any of ``names`` exists in ``output_dir`` and not ``overwrite``."""
    existing = [name for name in names if os.path.exists(os.path.join(output_dir, name))]
    if existing and not overwrite:
        raise gin_files.UsageError(
            f'{output_dir} already holds {", ".join(existing)}; pass --overwrite to replace them, or choose '
            'another --output_dir.'
        )


def write_text(output_dir, name, text):
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, name)
    trace.atomic_write_text(path, text)
    return path


def save_figure(figure, output_dir, name):
    """Saves a matplotlib figure as PNG, atomically."""
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, name)
    tmp = f'{path}.tmp.{os.getpid()}'
    figure.savefig(tmp, format='png', dpi=110, bbox_inches='tight')
    os.replace(tmp, path)
    return path


def significant(value, digits=3):
    """``value`` rounded to ``digits`` significant digits (inf and nan unchanged)."""
    if not math.isfinite(value) or value == 0:
        return value
    return round(value, digits - 1 - int(math.floor(math.log10(abs(value)))))


def mean_std(mean, std, digits=3):
    """'mean ± std' to ``digits`` significant digits ('n/a' when there is no mean)."""
    if not math.isfinite(mean):
        return 'n/a'
    return f'{significant(mean, digits):.{digits}g} ± {significant(std, digits):.{digits}g}'


def markdown_table(header, rows):
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    lines += ['| ' + ' | '.join(str(cell) for cell in row) + ' |' for row in rows]
    return '\n'.join(lines) + '\n'
