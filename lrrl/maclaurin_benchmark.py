r"""MaclaurinNet under three rate controllers: fixed Adam 1e-3, RLR, and LRRL.

  python -m lrrl.maclaurin_benchmark [--output_dir=results/stationary] \
      [--gin_files=stationary/maclaurin.gin] [--gin_bindings=...] [--overwrite]

What it runs and writes: ``lrrl/benchmarks/maclaurin.py``. Existing result
files are not replaced without ``--overwrite``.
"""

from absl import flags

from lrrl import cli

cli.numpy_benchmark_flags('stationary/maclaurin.gin')

from lrrl.benchmarks import outputs  # noqa: E402  (after the BLAS thread settings)
from lrrl.benchmarks import maclaurin  # noqa: E402

FLAGS = flags.FLAGS


@cli.command
def main(argv):
    del argv
    results = outputs.run_benchmark(
        maclaurin.MaclaurinBenchmark,
        FLAGS.gin_files,
        FLAGS.gin_bindings,
        FLAGS.output_dir,
        maclaurin.OUTPUT_FILES,
        'maclaurin_config.gin',
        overwrite=FLAGS.overwrite,
        log=lambda line: print(f'[lrrl.maclaurin_benchmark] {line}', flush=True),
    )
    print(results.markdown())


if __name__ == '__main__':
    cli.run(main)
