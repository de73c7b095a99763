r"""What LRRL costs, measured side by side: python -m lrrl.bench

  python -m lrrl.bench --out=results/bench/README.md
  python -m lrrl.bench --agent=iqn --skip=bandit,scaling --out=results/bench/iqn.md
  python -m lrrl.bench --agent=ppo --skip=memory,scaling --out=results/bench/ppo.md

Throughput A/B against stock Dopamine, bandit cost, memory and startup, and
concurrent runs (``lrrl/benchmarks/throughput.py`` says how each is measured).
Writes the Markdown report to ``--out`` and the raw numbers beside it as JSON.
"""

import lrrl  # noqa: F401  (compatibility fixes before TensorFlow)

import dataclasses
import json
import os
import sys

from absl import flags

from lrrl import atomic
from lrrl import cli
from lrrl import compat

with compat.quiet_stderr():
    from lrrl.benchmarks import throughput
    from lrrl.benchmarks import variants

flags.DEFINE_enum(
    'agent',
    'dqn',
    list(variants.AGENT_SETUPS),
    'Dopamine agent: DQN, Implicit Quantile (configs/agents/<agent>.gin) or PPO (agents/ppo_mujoco.gin).',
)
flags.DEFINE_string(
    'game', 'Pong', 'Atari game for the throughput, memory and scaling measurements (PPO: MuJoCo task, HalfCheetah).'
)
flags.DEFINE_integer('block_steps', 2000, 'Training steps per A/B block (whole episodes, at least this many).')
flags.DEFINE_integer('rounds', 5, 'A/B rounds: each variant runs one block per round.')
flags.DEFINE_integer('warmup_steps', 2000, 'Training steps per variant before measuring (replay fills, graphs warm).')
flags.DEFINE_integer('min_replay_history', 1000, 'Replay warm-up before gradient updates start (Atari default 20000).')
flags.DEFINE_integer('replay_capacity', 100000, 'Replay capacity for the throughput and scaling runs.')
flags.DEFINE_list('memory_capacities', ['1000000', '10000'], 'Replay capacities for the memory measurement.')
flags.DEFINE_integer('memory_steps', 3000, 'Training steps in each memory/startup process.')
flags.DEFINE_list('bandit_arms', ['2', '5', '10', '50', '100'], 'K values for the bandit cost.')
flags.DEFINE_integer('max_concurrent', 0, 'Largest N for the scaling measurement (0: the number of cores).')
flags.DEFINE_integer('scaling_steps', 3000, 'Training steps each concurrent process times (after warm-up).')
flags.DEFINE_list('skip', [], f'Parts to skip: {", ".join(throughput.PARTS)}.')
flags.DEFINE_string('out', None, 'Write the report (Markdown) here, e.g. results/bench/README.md.')
flags.DEFINE_string('worker', None, 'Internal: run one measurement process (memory or scaling).')
flags.DEFINE_string('variant', 'lrrl', 'Internal: stock, fixed or lrrl.')
flags.DEFINE_integer('capacity', 10000, 'Internal: replay capacity of a worker.')
flags.DEFINE_integer('threads', 0, 'Internal: TF intra/inter-op threads of a worker (0: TF default).')

FLAGS = flags.FLAGS


def log(line):
    print(f'[bench] {line}', flush=True)


def settings_from_flags():
    """``BenchSettings`` from the flags of the same names (PPO's default task: HalfCheetah)."""
    settings = throughput.BenchSettings(
        **{f.name: FLAGS[f.name].value for f in dataclasses.fields(throughput.BenchSettings)}
    )
    if settings.agent == 'ppo' and not FLAGS['game'].present:
        settings.game = 'HalfCheetah'
    return settings


@cli.command
def main(argv):
    del argv
    settings = settings_from_flags()
    if FLAGS.worker:
        print(json.dumps(throughput.run_worker(FLAGS.worker, settings, FLAGS.variant, FLAGS.capacity)))
        return 0
    results = throughput.run(
        settings,
        skip=FLAGS.skip,
        bandit_arms=FLAGS.bandit_arms,
        memory_capacities=FLAGS.memory_capacities,
        max_concurrent=FLAGS.max_concurrent,
        command='python -m lrrl.bench ' + ' '.join(sys.argv[1:]),
        log=log,
    )
    text = throughput.report(results, settings)
    print('\n' + text)
    if FLAGS.out:
        os.makedirs(os.path.dirname(os.path.abspath(FLAGS.out)), exist_ok=True)
        atomic.write_text(FLAGS.out, text + '\n')
        with_json = os.path.splitext(FLAGS.out)[0] + '.json'
        atomic.write_text(with_json, json.dumps(results, indent=1, default=str) + '\n')
        log(f'wrote {FLAGS.out} and {with_json}')
    return 0


if __name__ == '__main__':
    cli.run(main)
