"""What the numpy benchmarks' command lines share: gin parsing and result files.

Used by the commands ``lrrl.stationary``, ``lrrl.maclaurin_benchmark`` and
``lrrl.bandit_testbed``. No TensorFlow.

A benchmark names every file it will write up front; ``check_outputs`` refuses
to start when one of them already exists (unless the user passes
``--overwrite``), before anything is computed or created, so a rerun never
silently replaces results someone produced. Every file is written atomically
(temporary file + rename).
"""

import os
import time

import gin

from lrrl import atomic
from lrrl import errors
from lrrl import gin_files


def run_benchmark(
    benchmark_class,
    gin_file_list,
    gin_bindings,
    output_dir,
    output_files,
    config_name,
    overwrite=False,
    log=None,
    progress=None,
):
    """Parses gin, builds ``benchmark_class()``, runs it and writes its files; returns the results.

    Everything that can be refused (the gin configuration, the benchmark's
    parameters, an output file that exists without ``overwrite``) is refused
    before anything is computed or written. ``config_name`` receives the gin
    config the benchmark ran with. ``progress``, if given, is passed to
    ``benchmark.run(log=...)``.
    """
    log = log or (lambda line: None)
    gin_files.parse(gin_file_list, gin_bindings)
    benchmark = benchmark_class()
    check_outputs(output_dir, output_files, overwrite)
    config = gin.config_str()
    begin = time.time()
    results = benchmark.run() if progress is None else benchmark.run(log=progress)
    paths = results.write(output_dir)
    paths.append(write_text(output_dir, config_name, config))
    log(f'{time.time() - begin:.0f} s; wrote {", ".join(os.path.basename(p) for p in paths)} in {output_dir}')
    return results


def check_outputs(output_dir, names, overwrite):
    """Raises ConfigError if any of ``names`` exists in ``output_dir`` and not ``overwrite``."""
    existing = [name for name in names if os.path.exists(os.path.join(output_dir, name))]
    if existing and not overwrite:
        raise errors.ConfigError(
            f'{output_dir} already holds {", ".join(existing)}; pass --overwrite to replace them, or choose '
            'another --output_dir.'
        )


def write_text(output_dir, name, text):
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, name)
    return atomic.write_text(path, text)


def save_figure(figure, output_dir, name):
    """Saves a matplotlib figure as PNG, atomically."""
    os.makedirs(output_dir, exist_ok=True)
    return atomic.save_figure(figure, os.path.join(output_dir, name), dpi=110, bbox_inches='tight')
