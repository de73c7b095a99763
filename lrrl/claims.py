r"""The claims page: each claim of LRRL's paper, its verdict at this scale and the evidence.

  python -m lrrl.claims [--runs_root=results/runs] [--out=results/claims] [--noreports] [--noarchive]
                       [--seeds=0-4]

Reads the runs of the campaign's sweeps (configs/experiments/claim*.toml, run with
python -m lrrl.launch): their run folders under ``--runs_root`` and, for finished
runs whose folders are gone, their records in ``<out>/archive``. First it archives
every finished run folder there (``lrrl.run_archive``; the archive is committed, so
the page and the campaign carry over to another machine; relaunch a sweep with
``--archive_root=results/claims/archive`` to train only what it lacks), then it writes
``CLAIMS.md`` and, per claim sweep, the full report of ``lrrl.report`` into ``--out``
(``lrrl/analysis/claims.py``; the rules: docs/claims.md). Claims whose sweeps have
not run are listed as not run yet, and claims whose sweeps have runs left to
finish (those planned by the sweep files, or by ``--seeds`` for a campaign
launched on other seeds) as running, with provisional numbers.
"""

import os

from absl import flags

from lrrl import cli
from lrrl import errors
from lrrl.analysis import claims
from lrrl.sweeps import plan
from lrrl.sweeps import spec

flags.DEFINE_string('runs_root', os.path.join('results', 'runs'), "The folder holding the sweeps' run folders.")
flags.DEFINE_string('out', os.path.join('results', 'claims'), 'The folder for CLAIMS.md and the per-claim reports.')
flags.DEFINE_bool(
    'archive', True, 'Archive finished runs in <out>/archive and read the records of those whose folders are gone.'
)
flags.DEFINE_integer('bootstrap_reps', 2000, 'Bootstrap replicates for every interval.')
flags.DEFINE_integer('bootstrap_seed', 0, 'Seed of the bootstrap, so the intervals are reproducible.')
flags.DEFINE_integer(
    'final_iterations', 10, 'The final return is the mean training return over this many last iterations.'
)
flags.DEFINE_string(
    'seeds',
    None,
    "The seeds the campaign was launched on, e.g. '0-4' or '0,1' (replaces every sweep file's seeds, "
    'as lrrl.launch --seeds): a claim gets its verdict once these runs have finished.',
)
flags.DEFINE_bool('reports', True, "Also write each claim sweep's full report (tables and plots).")
FLAGS = flags.FLAGS


def log(line):
    print(f'[lrrl.claims] {line}', flush=True)


@cli.command
def main(argv):
    del argv
    archive_root = os.path.join(FLAGS.out, claims.ARCHIVE_DIR) if FLAGS.archive else None
    if not os.path.isdir(FLAGS.runs_root) and not (archive_root and os.path.isdir(archive_root)):
        raise errors.ConfigError(
            f'--runs_root={FLAGS.runs_root} is not a folder and there is no archive of finished runs '
            f'({archive_root or "--noarchive"}): run the claim sweeps first.'
        )
    if FLAGS.bootstrap_reps < 1:
        raise errors.ConfigError(f'--bootstrap_reps={FLAGS.bootstrap_reps} is not allowed: it must be >= 1.')
    if FLAGS.final_iterations < 1:
        raise errors.ConfigError(f'--final_iterations={FLAGS.final_iterations} is not allowed: it must be >= 1.')
    seeds = spec.parse_seeds_flag(FLAGS.seeds) if FLAGS.seeds else None
    planned = plan.planned_runs(claims.SWEEPS, FLAGS.runs_root, seeds)
    campaign = claims.Campaign(FLAGS.runs_root, archive_root, planned=planned)
    if archive_root:
        campaign.archive_finished(claims.SWEEPS, log=log)
    written = claims.write_claims(
        campaign,
        FLAGS.out,
        FLAGS.bootstrap_reps,
        FLAGS.bootstrap_seed,
        FLAGS.final_iterations,
        with_reports=FLAGS.reports,
        log=log,
    )
    log(f'wrote {len(written)} files; the page: {os.path.join(FLAGS.out, "CLAIMS.md")}')


if __name__ == '__main__':
    cli.run(main)
