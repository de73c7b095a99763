r"""How much does a bandit round's feedback tell about the arm it played? A table and a plot.

  python -m lrrl.feedback_information --sweeps=information_cartpole_dqn,information_acrobot_dqn \
      --archive_root=results/information/archive --out=results/information
  python -m lrrl.feedback_information --runs=results/runs/my_sweep --out=/tmp/information

Reads the runs' round records (``rounds.csv`` of run folders under ``--runs``,
or the archived records of ``--sweeps`` under ``--archive_root``), computes
every feedback signal of every round and, per sweep and setting (the
launcher's labels, e.g. the round length), how much each signal depends on the
arm: ``lrrl/analysis/arm_information.py`` says what each number is, and
docs/information.md how to read them. Measured on ``UniformBandit`` runs, the
arm is independent of the network, so the dependence is what any bandit could
use. Writes information.md, information.csv and information.png to ``--out``.
"""

import os

from absl import flags

from lrrl import atomic
from lrrl import cli
from lrrl import errors
from lrrl import run_archive
from lrrl.analysis import arm_information
from lrrl.analysis import loading

flags.DEFINE_multi_string('runs', [], 'Folder(s) holding run folders (searched recursively).')
flags.DEFINE_string('archive_root', None, 'An archive of run records (lrrl.run_archive), read with --sweeps.')
flags.DEFINE_list('sweeps', [], 'Sweeps to read from --archive_root (default: every sweep there).')
flags.DEFINE_string('out', None, 'Folder for information.md, .csv and .png (created if needed).')
flags.DEFINE_integer('permutations', 2000, 'Shuffles of the arms for the randomisation test.')
flags.DEFINE_integer('bootstrap_reps', 2000, 'Bootstrap replicates over runs for the interval of the gap.')
flags.DEFINE_integer('bootstrap_seed', 0, 'Seed of the shuffles and the bootstrap.')
FLAGS = flags.FLAGS


def _records():
    records = []
    for root in FLAGS.runs:
        records += [loading.read_run(d) for d in loading.find_run_folders(root)]
    if FLAGS.archive_root:
        if not os.path.isdir(FLAGS.archive_root):
            raise errors.ConfigError(f'--archive_root={FLAGS.archive_root} is not a folder.')
        sweeps = FLAGS.sweeps or sorted(
            d for d in os.listdir(FLAGS.archive_root) if os.path.isdir(os.path.join(FLAGS.archive_root, d))
        )
        found = {os.path.abspath(r.settings['run_dir']) for r in records}
        for sweep in sweeps:
            if not run_archive.find_records(FLAGS.archive_root, sweep):
                raise errors.ConfigError(f'--sweeps: {sweep} has no records under --archive_root={FLAGS.archive_root}.')
            records += [
                r
                for r in loading.archived_runs(FLAGS.archive_root, 'runs', sweep)
                if os.path.abspath(r.settings['run_dir']) not in found
            ]
    elif FLAGS.sweeps:
        raise errors.ConfigError('--sweeps reads an archive: give --archive_root too.')
    return records


@cli.command
def main(argv):
    del argv
    if not FLAGS.out:
        raise errors.ConfigError('--out is required: the folder for information.md, .csv and .png.')
    if not FLAGS.runs and not FLAGS.archive_root:
        raise errors.ConfigError('give --runs (run folders) or --archive_root (archived records) to read rounds from.')
    runs = arm_information.runs_from_records(_records())
    if not runs:
        raise errors.ConfigError('no run has round records (rounds.csv): only bandit runs made since lrrl records them do.')
    print(f'[lrrl.feedback_information] {len(runs)} runs with round records; measuring ...', flush=True)
    table = arm_information.signal_table(runs, FLAGS.permutations, FLAGS.bootstrap_reps, FLAGS.bootstrap_seed)
    os.makedirs(FLAGS.out, exist_ok=True)
    command = 'python -m lrrl.feedback_information ' + ' '.join(
        [f'--runs={r}' for r in FLAGS.runs]
        + ([f'--archive_root={FLAGS.archive_root}'] if FLAGS.archive_root else [])
        + ([f'--sweeps={",".join(FLAGS.sweeps)}'] if FLAGS.sweeps else [])
        + [f'--out={FLAGS.out}']
    )
    text = (
        '# How much a round\'s feedback tells about its arm\n\n'
        f'Produced by `{command}` from {len(runs)} runs (docs/information.md explains every column). '
        'Per sweep, setting and signal: eta² = the share of the signal\'s variance the arm explains; p = '
        'randomisation test of arm ⟂ signal (arms shuffled within runs, '
        f'{FLAGS.permutations:,} shuffles); gap = best minus worst arm mean, in units of the signal\'s spread within '
        'a run, with a 95% bootstrap interval over runs, beside the null gap that noise alone reaches (95th percentile over the shuffles); rounds to tell = rounds per arm before that gap is two '
        'standard errors (8 / gap²), beside the rounds per arm one run has; arm columns = each arm\'s mean in the '
        'same units with a 95% t-interval over runs (the guard: minus the share of rounds flagged).\n\n'
        + arm_information.markdown(table)
    )
    written = [
        atomic.write_text(os.path.join(FLAGS.out, 'information.md'), text),
        atomic.write_text(os.path.join(FLAGS.out, 'information.csv'), table.to_csv(index=False)),
    ]
    from lrrl.analysis import plots  # pylint: disable=g-import-not-at-top

    written.append(plots.save(arm_information.plot(table), os.path.join(FLAGS.out, 'information.png')))
    print(f'[lrrl.feedback_information] wrote {", ".join(written)}')


if __name__ == '__main__':
    cli.run(main)
