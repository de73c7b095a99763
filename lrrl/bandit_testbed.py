r"""The bandit testbed: every bandit configuration on tasks whose best rate is known.

  python -m lrrl.bandit_testbed [--output_dir=results/testbed] \
      [--gin_files=stationary/testbed.gin] [--gin_bindings=...] [--overwrite]
  python -m lrrl.bandit_testbed --select   # choose LRRL's default on seeds 0-9

What it runs and writes: ``lrrl/benchmarks/bandit_testbed.py``. Existing result
files are not replaced without ``--overwrite``.
"""

from absl import flags

from lrrl import cli

cli.numpy_benchmark_flags('stationary/testbed.gin', 'results/testbed')
flags.DEFINE_bool(
    'select',
    False,
    'Run the selection of the default (DefaultSelection: the candidates on seeds 0-9) instead of the testbed.',
)

from lrrl.benchmarks import bandit_testbed  # noqa: E402  (after the BLAS thread settings)
from lrrl.benchmarks import outputs  # noqa: E402

FLAGS = flags.FLAGS


def log(line):
    print(f'[lrrl.bandit_testbed] {line}', flush=True)


@cli.command
def main(argv):
    del argv
    if FLAGS.select:
        benchmark = bandit_testbed.DefaultSelection
        files, config = bandit_testbed.SELECTION_OUTPUT_FILES, 'selection_config.gin'
    else:
        benchmark = bandit_testbed.BanditTestbed
        files, config = bandit_testbed.OUTPUT_FILES, 'testbed_config.gin'
    results = outputs.run_benchmark(
        benchmark,
        FLAGS.gin_files,
        FLAGS.gin_bindings,
        FLAGS.output_dir,
        files,
        config,
        overwrite=FLAGS.overwrite,
        log=log,
        progress=log,
    )
    print(results.markdown())


if __name__ == '__main__':
    cli.run(main)
