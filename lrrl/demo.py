r"""The embedded default: LRRL-DQN on CartPole, a few minutes on a laptop CPU.

  python -m lrrl.demo [--base_dir=runs/demo] [--seed=0] [--gin_bindings=...]

Trains LRRL-DQN on CartPole over the candidate set of
``configs/lrrl/demo_cartpole.gin``, prints the return per iteration and the
share of each rate over time, and writes ``lr_plot.png`` into the run folder.
Running it again resumes (or, when finished, just reports).
"""

import lrrl  # noqa: F401  (compatibility fixes before TensorFlow)

from absl import flags

from lrrl import cli
from lrrl import compat
from lrrl import gin_files
from lrrl.analysis import summary

with compat.quiet_stderr():
    from lrrl.experiment import training

for _name in ('base_dir', 'seed', 'gin_files', 'gin_bindings'):
    flags.declare_key_flag(_name)
FLAGS = flags.FLAGS
DEFAULT_BASE_DIR = 'runs/demo'

GIN_FILES = ('agents/dqn_cartpole.gin', 'lrrl/demo_cartpole.gin')


def log(line):
    print(f'[lrrl] {line}', flush=True)


@cli.command
def main(argv):
    del argv
    base_dir = FLAGS.base_dir or DEFAULT_BASE_DIR
    log(f'demo: LRRL-DQN on CartPole, gin files {", ".join(GIN_FILES)}')
    files = [gin_files.resolve(f) for f in GIN_FILES] + list(FLAGS.gin_files)
    training.run(base_dir, files, FLAGS.gin_bindings, FLAGS.seed, log=log)
    table = summary.iteration_table(base_dir)
    print(
        f'\nPer iteration: mean training return, episodes, share of {table.attrs["share_of"]} per learning rate, '
        'evaluation return'
    )
    print(summary.format_table(table))
    log(f'plot: {summary.plot_run(base_dir)}')


if __name__ == '__main__':
    cli.run(main)
