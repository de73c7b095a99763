r"""The claims page: each claim of LRRL's paper, its verdict at this scale and the evidence.

  python -m lrrl.claims [--runs_root=results/runs] [--out=results/claims] [--noreports] [--noarchive]
                       [--report_sweeps=claim2_minatar_dqn_10seeds]
                       [--seeds=0-4] [--claims_dir=configs/claims]
  python -m lrrl.claims --plan [--plan_seeds=10]

Reads the claim files (``configs/claims/*.toml``: each claim's setups, sweeps, cells,
parts and rule; ``campaign.toml``: the shared rules) and the runs of their sweeps
(configs/experiments/claim*.toml, run with python -m lrrl.launch): their run folders
under ``--runs_root`` and, for finished runs whose folders are gone, their records in
``<out>/archive``. First it archives every finished run folder there
(``lrrl.run_archive``; the archive is committed, so the page and the campaign carry
over to another machine; relaunch a sweep with ``--archive_root=results/claims/archive``
to train only what it lacks), then it writes ``CLAIMS.md`` and, per claim sweep, the
full report of ``lrrl.report`` into ``--out`` (``lrrl/analysis/claims/``; the rules:
docs/claims.md). Claims whose sweeps have not run are listed as not run yet, and
claims whose sweeps have runs left to finish (those planned by the sweep files, or by
``--seeds`` for a campaign launched on other seeds) as running, with provisional numbers.

``--plan`` writes nothing: it prints, from the runs found, how many seeds per cell each
comparison needs to detect an effect of the size the paper reports, and what
``--plan_seeds`` seeds would detect.
"""

import os

from absl import flags

from lrrl import cli
from lrrl import errors
from lrrl.analysis.claims import claim_files
from lrrl.analysis.claims import page
from lrrl.analysis.claims import power
from lrrl.analysis.claims import runs
from lrrl.sweeps import plan
from lrrl.sweeps import spec

flags.DEFINE_string('runs_root', os.path.join('results', 'runs'), "The folder holding the sweeps' run folders.")
flags.DEFINE_string('out', os.path.join('results', 'claims'), 'The folder for CLAIMS.md and the per-claim reports.')
flags.DEFINE_string('claims_dir', claim_files.CLAIMS_DIR, 'The folder of campaign.toml and the claim*.toml files.')
flags.DEFINE_bool(
    'archive', True, 'Archive finished runs in <out>/archive and read the records of those whose folders are gone.'
)
flags.DEFINE_integer('bootstrap_reps', 2000, "Bootstrap replicates for the reports' rliable aggregates.")
flags.DEFINE_integer('bootstrap_seed', 0, 'Seed of the bootstrap, so the reports are reproducible.')
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
flags.DEFINE_list(
    'report_sweeps',
    None,
    "Rewrite the full reports of only these claim sweeps (comma-separated names), e.g. after a rerun; "
    'the page is always rebuilt from every sweep. Default: every claim sweep (minutes each).',
)
flags.DEFINE_bool('plan', False, 'Print the seeds each comparison needs (from the runs found); write nothing.')
flags.DEFINE_integer('plan_seeds', None, "Seeds per cell the plan sizes (default: campaign.toml's planned_seeds).")
FLAGS = flags.FLAGS


def log(line):
    print(f'[lrrl.claims] {line}', flush=True)


@cli.command
def main(argv):
    del argv
    campaign = claim_files.load_campaign(spec.axis_labels, FLAGS.claims_dir)
    archive_root = os.path.join(FLAGS.out, page.ARCHIVE_DIR) if FLAGS.archive else None
    if not os.path.isdir(FLAGS.runs_root) and not (archive_root and os.path.isdir(archive_root)):
        raise errors.ConfigError(
            f'--runs_root={FLAGS.runs_root} is not a folder and there is no archive of finished runs '
            f'({archive_root or "--noarchive"}): run the claim sweeps first.'
        )
    if FLAGS.bootstrap_reps < 1:
        raise errors.ConfigError(f'--bootstrap_reps={FLAGS.bootstrap_reps} is not allowed: it must be >= 1.')
    if FLAGS.final_iterations < 1:
        raise errors.ConfigError(f'--final_iterations={FLAGS.final_iterations} is not allowed: it must be >= 1.')
    if FLAGS.plan_seeds is not None and FLAGS.plan_seeds < 2:
        raise errors.ConfigError(f'--plan_seeds={FLAGS.plan_seeds} is not allowed: it must be >= 2.')
    if FLAGS.report_sweeps is not None:
        unknown = sorted(set(FLAGS.report_sweeps) - set(page.report_sweeps(campaign)))
        if unknown or not FLAGS.report_sweeps:
            raise errors.ConfigError(
                f'--report_sweeps={",".join(FLAGS.report_sweeps)} is not allowed: '
                f'{", ".join(unknown) or "no sweep"} is not a claim sweep; '
                f'allowed: {", ".join(sorted(page.report_sweeps(campaign)))}.'
            )
        if not FLAGS.reports:
            raise errors.ConfigError('--report_sweeps is not allowed with --noreports: it names reports to write.')
    seeds = spec.parse_seeds_flag(FLAGS.seeds) if FLAGS.seeds else None
    planned = plan.planned_runs(campaign.sweeps, FLAGS.runs_root, seeds)
    store = runs.RunStore(FLAGS.runs_root, archive_root, planned=planned)
    if FLAGS.plan:
        rows = power.plan(store, campaign, FLAGS.final_iterations, FLAGS.plan_seeds)
        print(power.plan_text(rows, campaign, FLAGS.plan_seeds))
        return
    if archive_root:
        written = store.archive_finished(campaign.sweeps)
        log(f'archived {written} finished runs of {len(campaign.sweeps)} sweeps in {archive_root}')
    written = page.write_claims(
        store,
        campaign,
        FLAGS.out,
        FLAGS.bootstrap_reps,
        FLAGS.bootstrap_seed,
        FLAGS.final_iterations,
        with_reports=FLAGS.reports,
        log=log,
        report_only=FLAGS.report_sweeps,
    )
    log(f'wrote {len(written)} files; the page: {os.path.join(FLAGS.out, "CLAIMS.md")}')


if __name__ == '__main__':
    cli.run(main)
