r"""Do two agents of one sweep train alike, within a margin fixed in advance? python -m lrrl.fidelity

  python -m lrrl.fidelity --runs=runs/fidelity_cartpole_jax_tf --seeds=0-9 --out=results/jax/fidelity_cartpole.md
  # on a clone without the run folders: their archived records (lrrl.launch --archive_root)
  python -m lrrl.fidelity --runs=runs/fidelity_cartpole_jax_tf --archive_root=results/jax/archive --seeds=0-9 ...

Reads the finished runs under ``--runs`` and compares the cells ``--candidate``
and ``--reference`` of the axis ``--axis`` (its launcher label) on the final
return and the AUC: the difference of means, its Welch t-interval at
``--confidence``, and the verdict against ``--margin``
(``lrrl/benchmarks/fidelity.py``). Writes the Markdown table to ``--out`` and the
numbers beside it as JSON. ``--seeds`` names the rule's seeds: only those are
read, and the command refuses while a cell lacks any of them, so a look is
taken on the seeds the rule fixed, and an earlier look still regenerates after a
later one's runs are archived. The defaults (cells, margin, confidence) are the
rule of ``configs/experiments/fidelity_cartpole_jax_tf.toml`` at its first look,
read with ``--seeds=0-9``; its amended second look reads ``--seeds=0-174
--confidence=0.975``."""

import json
import os
import shlex
import sys

from absl import flags

from lrrl import atomic
from lrrl import cli
from lrrl import errors
from lrrl.analysis import loading
from lrrl.benchmarks import fidelity
from lrrl.sweeps import spec

flags.DEFINE_multi_string('runs', [], 'Folder(s) holding the sweep\'s run folders.')
flags.DEFINE_string(
    'archive_root',
    None,
    "Also read the archived records of --sweep's runs here (lrrl.launch --archive_root) for runs whose "
    'folders under --runs are gone.',
)
flags.DEFINE_string('sweep', 'fidelity_cartpole_jax_tf', 'The sweep whose archived records --archive_root holds.')
flags.DEFINE_string('out', None, 'Write the Markdown table here (and the numbers as JSON beside it).')
flags.DEFINE_string('axis', 'agent', 'The sweep axis whose cells are compared.')
flags.DEFINE_string('reference', 'tf_dqn', 'The reference cell (its label on --axis).')
flags.DEFINE_string('candidate', 'jax_dqn_huber', 'The cell compared with it.')
flags.DEFINE_float('margin', 25.0, 'The equivalence margin, in the score\'s units, fixed before the runs.')
flags.DEFINE_float('confidence', 0.95, 'Confidence of the interval of the difference (two one-sided tests).')
flags.DEFINE_integer(
    'final_iterations', 10, 'The final return is the mean training return over this many last iterations.'
)
flags.DEFINE_string(
    'seeds',
    None,
    "The rule's seeds, e.g. 0-9 or 0-174 (inclusive): read only these, and refuse while a cell lacks a finished "
    'run of any of them. Unset: every finished run.',
)
flags.DEFINE_string('scale', None, 'What the runs are, for the table (e.g. "CartPole-v0, 40 x 1,000 training steps").')

FLAGS = flags.FLAGS


@cli.command
def main(argv):
    del argv
    if not FLAGS.runs:
        raise errors.ConfigError('--runs is required: the folder of the sweep\'s run folders.')
    if not FLAGS.margin > 0:
        raise errors.ConfigError(f'--margin={FLAGS.margin} is not allowed: it must be > 0.')
    if not 0 < FLAGS.confidence < 1:
        raise errors.ConfigError(f'--confidence={FLAGS.confidence} is not allowed: it must be in (0, 1).')
    seeds = spec.parse_seeds_flag(FLAGS.seeds) if FLAGS.seeds is not None else None
    if FLAGS.archive_root and not os.path.isdir(FLAGS.archive_root):
        raise errors.ConfigError(f'--archive_root={FLAGS.archive_root}: no such folder.')
    archived, runs = (), FLAGS.runs
    if FLAGS.archive_root:
        # The records name their runs under the folder that holds the sweep's folder (runs/<sweep>/...).
        runs_root = os.path.dirname(os.path.normpath(FLAGS.runs[0]))
        archived = loading.archived_runs(FLAGS.archive_root, runs_root, FLAGS.sweep)
        if not archived:
            raise errors.ConfigError(f'--archive_root={FLAGS.archive_root} holds no record of --sweep={FLAGS.sweep}.')
        runs = [r for r in FLAGS.runs if os.path.isdir(r)]
    try:
        result = fidelity.compare(
            runs,
            FLAGS.axis,
            FLAGS.reference,
            FLAGS.candidate,
            FLAGS.margin,
            FLAGS.confidence,
            FLAGS.final_iterations,
            archived,
            seeds,
        )
    except ValueError as e:
        raise errors.ConfigError(str(e)) from None
    command = 'python -m lrrl.fidelity ' + shlex.join(sys.argv[1:])
    text = fidelity.report_text(result, command, FLAGS.scale or 'see the sweep file')
    print(text)
    if FLAGS.out:
        os.makedirs(os.path.dirname(os.path.abspath(FLAGS.out)), exist_ok=True)
        atomic.write_text(FLAGS.out, text)
        atomic.write_text(os.path.splitext(FLAGS.out)[0] + '.json', json.dumps(result, indent=1) + '\n')
    return 0


if __name__ == '__main__':
    cli.run(main)
