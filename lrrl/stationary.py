r"""The stationary benchmark: LRRL against each fixed rate on six test functions.

  python -m lrrl.stationary [--output_dir=results/stationary] \
      [--gin_files=stationary/functions.gin] [--gin_bindings=...] [--overwrite]

What it runs and writes: ``lrrl/benchmarks/stationary.py``. Existing result
files are not replaced without ``--overwrite``.
"""

from absl import flags

from lrrl import cli

cli.numpy_benchmark_flags('stationary/functions.gin')

from lrrl.benchmarks import outputs  # noqa: E402  (after the BLAS thread settings)
from lrrl.benchmarks import stationary  # noqa: E402

FLAGS = flags.FLAGS


@cli.command
def main(argv):
    del argv
    results = outputs.run_benchmark(
        stationary.StationaryBenchmark,
        FLAGS.gin_files,
        FLAGS.gin_bindings,
        FLAGS.output_dir,
        stationary.OUTPUT_FILES,
        'functions_config.gin',
        overwrite=FLAGS.overwrite,
        log=lambda line: print(f'[lrrl.stationary] {line}', flush=True),
    )
    print(results.markdown())


if __name__ == '__main__':
    cli.run(main)
