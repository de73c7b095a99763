r"""The demo's claim over seeds: LRRL against each of its rates alone.

  python -m lrrl.launch --sweep=demo_check --max_parallel=1
  python -m lrrl.demo_check [--runs=results/runs/demo_check] [--collapsing_rate=0.03] [--out=FILE.md]

Prints (and with ``--out`` writes) per method and seed the share of the
second half's training steps on the collapsing rate and the training return
(``lrrl/analysis/demo_check.py``).
"""

import os

from absl import flags

from lrrl import atomic
from lrrl import cli
from lrrl import errors
from lrrl import tables
from lrrl.analysis import demo_check

flags.DEFINE_string('runs', os.path.join('results', 'runs', 'demo_check'), 'The sweep folder: <method>/seed_<n>.')
flags.DEFINE_float('collapsing_rate', 0.03, 'The rate that collapses the policy when used alone.')
flags.DEFINE_string('out', None, 'Also write the table as Markdown to this file.')
FLAGS = flags.FLAGS


@cli.command
def main(argv):
    del argv
    if not os.path.isdir(FLAGS.runs):
        raise errors.ConfigError(f'--runs={FLAGS.runs} is not a folder: run the demo_check sweep first.')
    table = demo_check.demo_table(FLAGS.runs, FLAGS.collapsing_rate)
    if table.empty:
        raise errors.ConfigError(f'--runs={FLAGS.runs} holds no run folder (<method>/seed_<n>).')
    header = list(table.columns)
    rows = [
        ['-' if isinstance(v, float) and v != v else f'{v:.3g}' if isinstance(v, float) else v for v in r]
        for r in table.itertuples(index=False)
    ]
    text = tables.markdown_table(header, rows)
    missing = demo_check.unfinished(FLAGS.runs)
    if missing:
        text += f'\nNot finished (left out): {", ".join(missing)}.\n'
    print(text)
    if FLAGS.out:
        atomic.write_text(FLAGS.out, text)


if __name__ == '__main__':
    cli.run(main)
