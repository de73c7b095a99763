r"""From run folders to the paper's tables and plots.

  python -m lrrl.report --runs=runs/table1 [--runs=more_runs ...] --out=results/table1

Finds every run folder under each ``--runs`` (a sweep or runs launched by hand)
and writes the tables (Markdown, CSV, LaTeX) and plots to ``--out``; what each
file holds: ``lrrl/analysis/report.py`` and docs/analysis.md. No run folder
under ``--runs`` is an error (exit 2) and nothing is written.
"""

import os

from absl import flags

from lrrl import cli
from lrrl.analysis import report

flags.DEFINE_multi_string('runs', [], 'Folder(s) holding run folders (searched recursively).')
flags.DEFINE_string('out', None, 'Folder for the tables and plots (created if needed).')
flags.DEFINE_integer(
    'bootstrap_reps', 2000, 'Bootstrap replicates for every interval (rliable: 2,000 for profiles, 50,000 by default).'
)
flags.DEFINE_integer('bootstrap_seed', 0, 'Seed of the bootstrap, so the intervals are reproducible.')
flags.DEFINE_bool('plots', True, 'Write the PNG plots.')
flags.DEFINE_integer(
    'final_iterations', 10, 'The final return is the mean training return over this many last iterations.'
)
flags.DEFINE_list(
    'aggregate_scores',
    ['final_return', 'auc', 'max_average_return'],
    'Scores aggregated across games with rliable (IQM, mean, probability of improvement, profiles).',
)

FLAGS = flags.FLAGS


@cli.command
def main(argv):
    del argv
    written, built = report.write_report(
        FLAGS.runs,
        FLAGS.out,
        FLAGS.bootstrap_reps,
        FLAGS.bootstrap_seed,
        FLAGS.plots,
        final_iterations=FLAGS.final_iterations,
        aggregate_scores=FLAGS.aggregate_scores,
    )
    for note in built['notes']:
        print(f'[lrrl.report] {note}')
    print(
        f'[lrrl.report] wrote {len(written)} files to {FLAGS.out}: ' + ', '.join(os.path.basename(p) for p in written)
    )


if __name__ == '__main__':
    cli.run(main)
