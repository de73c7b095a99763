"""One run folder back as a table and a plot.

  python -m lrrl.run_summary --run_dir=runs/demo

Prints, per iteration, the mean training return, the number of episodes, the
share of steps (or episodes) on each rate and the evaluation return, and writes
``lr_plot.png`` (returns over the rate in use; the arm probabilities over time)
into the run folder.
"""

from absl import flags

from lrrl import cli
from lrrl import errors
from lrrl.analysis import summary

flags.DEFINE_string('run_dir', None, 'The run folder (what lrrl.train wrote with --base_dir).')

FLAGS = flags.FLAGS


@cli.command
def main(argv):
    del argv
    if not FLAGS.run_dir:
        raise errors.ConfigError('--run_dir is required: the run folder to summarise.')
    print(summary.format_table(summary.iteration_table(FLAGS.run_dir)))
    print(f'plot: {summary.plot_run(FLAGS.run_dir)}')


if __name__ == '__main__':
    cli.run(main)
