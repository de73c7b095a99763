r"""The stationary benchmark: LRRL against each fixed rate on six test functions.

  python -m lrrl.stationary [--output_dir=results/stationary] \
      [--gin_files=stationary/functions.gin] [--gin_bindings=...] [--overwrite]

What it runs and writes: ``lrrl/benchmarks/stationary.py``. Existing result
files are not replaced without ``--overwrite``.
"""

from lrrl import cli

cli.numpy_benchmark_flags('stationary/functions.gin')

from lrrl.benchmarks import stationary  # noqa: E402  (after the BLAS thread settings)

main = cli.numpy_benchmark_main(stationary.StationaryBenchmark, stationary.OUTPUT_FILES, 'functions_config.gin')

if __name__ == '__main__':
    cli.run(main)
