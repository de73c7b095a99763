r"""The claims page: each claim of LRRL's paper, its verdict at this scale and the evidence.

  python -m lrrl.claims [--runs_root=results/runs] [--out=results/claims] [--noreports]

Reads the run folders of the campaign's sweeps (configs/experiments/claim*.toml,
run with python -m lrrl.launch) under ``--runs_root`` and writes ``CLAIMS.md`` and,
per claim sweep, the full report of ``lrrl.report`` into ``--out``
(``lrrl/analysis/claims.py``; the rules: docs/claims.md). Claims whose sweeps
have not run are listed as not run yet.
"""

import os

from absl import flags

from lrrl import cli
from lrrl import errors
from lrrl.analysis import claims

flags.DEFINE_string('runs_root', os.path.join('results', 'runs'), "The folder holding the sweeps' run folders.")
flags.DEFINE_string('out', os.path.join('results', 'claims'), 'The folder for CLAIMS.md and the per-claim reports.')
flags.DEFINE_integer('bootstrap_reps', 2000, 'Bootstrap replicates for every interval.')
flags.DEFINE_integer('bootstrap_seed', 0, 'Seed of the bootstrap, so the intervals are reproducible.')
flags.DEFINE_integer(
    'final_iterations', 10, 'The final return is the mean training return over this many last iterations.'
)
flags.DEFINE_bool('reports', True, "Also write each claim sweep's full report (tables and plots).")
FLAGS = flags.FLAGS


@cli.command
def main(argv):
    del argv
    if not os.path.isdir(FLAGS.runs_root):
        raise errors.ConfigError(f'--runs_root={FLAGS.runs_root} is not a folder: run the claim sweeps first.')
    if FLAGS.bootstrap_reps < 1:
        raise errors.ConfigError(f'--bootstrap_reps={FLAGS.bootstrap_reps} is not allowed: it must be >= 1.')
    if FLAGS.final_iterations < 1:
        raise errors.ConfigError(f'--final_iterations={FLAGS.final_iterations} is not allowed: it must be >= 1.')
    written = claims.write_claims(
        FLAGS.runs_root,
        FLAGS.out,
        FLAGS.bootstrap_reps,
        FLAGS.bootstrap_seed,
        FLAGS.final_iterations,
        with_reports=FLAGS.reports,
        log=lambda line: print(f'[lrrl.claims] {line}', flush=True),
    )
    print(f'[lrrl.claims] wrote {len(written)} files; the page: {os.path.join(FLAGS.out, "CLAIMS.md")}')


if __name__ == '__main__':
    cli.run(main)
