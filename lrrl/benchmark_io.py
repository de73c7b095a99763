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

import gin

from lrrl import trace

CONFIG_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'configs')


class UsageError(ValueError):
    """A command-line or configuration value that is not allowed."""


def parse_gin(gin_files, gin_bindings):
    """Parses gin files (as given, or relative to configs/) and bindings."""
    resolved = []
    for path in gin_files:
        found = [p for p in (path, os.path.join(CONFIG_DIR, path)) if os.path.isfile(p)]
        if not found:
            raise UsageError(f'--gin_files={path}: no such file (looked in the current folder and in {CONFIG_DIR}).')
        resolved.append(os.path.abspath(found[0]))
    gin.clear_config()
    # For the files' own include statements.
    gin.add_config_file_search_path(CONFIG_DIR)
    try:
        gin.parse_config_files_and_bindings(resolved, list(gin_bindings), skip_unknown=False)
    except (ValueError, KeyError, SyntaxError) as e:
        raise UsageError(f'Bad gin configuration: {e}') from e


def check_outputs(output_dir, names, overwrite):
    """Raises UsageError if any of ``names`` exists in ``output_dir`` and not ``overwrite``."""
    existing = [name for name in names if os.path.exists(os.path.join(output_dir, name))]
    if existing and not overwrite:
        raise UsageError(
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
