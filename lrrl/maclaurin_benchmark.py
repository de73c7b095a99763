r"""MaclaurinNet under three rate controllers: fixed Adam 1e-3, RLR, and LRRL.

  python -m lrrl.maclaurin_benchmark [--output_dir=results/stationary] \
      [--gin_files=stationary/maclaurin.gin] [--gin_bindings=...] [--overwrite]

Fixed Adam at 1e-3, the RLR scheduler and LRRL over RLR's grid train
MaclaurinNet on the same seeds; ``lrrl/benchmarks/maclaurin.py`` says how and
lists the files written (none replaced unless ``--overwrite``).
"""

from lrrl import cli

cli.numpy_benchmark_flags('stationary/maclaurin.gin')

from lrrl.benchmarks import maclaurin  # noqa: E402  (after the BLAS thread settings)

main = cli.numpy_benchmark_main(maclaurin.MaclaurinBenchmark, maclaurin.OUTPUT_FILES, 'maclaurin_config.gin')

if __name__ == '__main__':
    cli.run(main)
