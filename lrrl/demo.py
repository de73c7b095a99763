r"""The embedded default: LRRL-DQN on CartPole, a few minutes on a laptop CPU.

  python -m lrrl.demo [--base_dir=runs/demo] [--seed=0] [--gin_bindings=...]

The candidate set is {1e-4, 1e-3, 0.05}; 0.05 makes DQN collapse when used
alone (configs/lrrl/demo_cartpole.gin). Prints the return per iteration and
the share of each rate over time, and writes ``lr_plot.png`` into the run
folder. Running it again resumes (or, when finished, just reports).
"""

import sys

import lrrl  # noqa: F401  (compatibility fixes before TensorFlow)

from absl import app
from absl import flags
from absl import logging

from lrrl import config_checks
from lrrl import gin_files
from lrrl import run_summary
from lrrl import train

# The demo takes lrrl.train's flags (--base_dir, --seed, --gin_bindings) with
# its own default run folder; its gin files are fixed.
FLAGS = flags.FLAGS
FLAGS.set_default('base_dir', 'runs/demo')

GIN_FILES = ('agents/dqn_cartpole.gin', 'lrrl/demo_cartpole.gin')


def main(argv):
    del argv
    logging.set_verbosity(logging.WARNING)
    print(f'[lrrl] demo: LRRL-DQN on CartPole, gin files {", ".join(GIN_FILES)}')
    try:
        train.run(FLAGS.base_dir, [gin_files.resolve(f) for f in GIN_FILES], FLAGS.gin_bindings, FLAGS.seed)
    except (gin_files.UsageError, config_checks.ConfigError) as e:
        print(f'lrrl.demo: error: {e}', file=sys.stderr)
        sys.exit(2)
    table = run_summary.iteration_table(FLAGS.base_dir)
    print('\nPer iteration: mean training return, episodes, share of episodes per learning rate, evaluation return')
    print(run_summary.format_table(table))
    print(f'\n[lrrl] plot: {run_summary.plot_run(FLAGS.base_dir)}')


if __name__ == '__main__':
    app.run(main)
