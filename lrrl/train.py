r"""Trains one LRRL (or fixed-rate, scheduled, RLR) Dopamine agent; resumes from its run folder.

  python -m lrrl.train --base_dir=runs/breakout_k5_s0 \
      --gin_files=configs/agents/dqn.gin --gin_files=configs/methods/lrrl_k5.gin \
      --gin_bindings="atari_lib.create_atari_environment.game_name='Breakout'" \
      --seed=0

The configuration is checked before anything is created; launching the same
command again resumes from the last checkpoint (a finished run does nothing).
The run folder's files: ``lrrl/run_folder.py``; exit codes: ``lrrl/errors.py``.
"""

import lrrl  # noqa: F401  (compatibility fixes before TensorFlow)

from absl import flags

from lrrl import cli
from lrrl import compat

with compat.quiet_stderr():
    from lrrl.experiment import training


for _name in ('base_dir', 'seed', 'gin_files', 'gin_bindings'):
    flags.declare_key_flag(_name)
FLAGS = flags.FLAGS


def log(line):
    print(f'[lrrl] {line}', flush=True)


@cli.command
def main(argv):
    del argv
    training.run(FLAGS.base_dir, FLAGS.gin_files, FLAGS.gin_bindings, FLAGS.seed, log=log)


if __name__ == '__main__':
    cli.run(main)
