r"""What LRRL costs, measured side by side: python -m lrrl.bench

  python -m lrrl.bench --out=results/bench/README.md
  python -m lrrl.bench --agent=iqn --skip=bandit,scaling --out=results/bench/iqn.md
  python -m lrrl.bench --env=minatar --agent=dqn,iqn --skip=scaling --out=results/bench/minatar.md
  python -m lrrl.bench --env=mujoco --agent=ppo --skip=memory,scaling --out=results/bench/ppo.md
  python -m lrrl.bench --env=cartpole --agent=jax_dqn,jax_iqn,jax_rainbow --skip=bandit,scaling \
      --out=results/bench/jax_cartpole.md

Throughput A/B against stock Dopamine, bandit cost, memory and startup,
concurrent runs and the environment alone (``lrrl/benchmarks/throughput.py``
says how each is measured). Writes the Markdown report to ``--out`` and the
raw numbers beside it as JSON; with ``--env=minatar --reference_scores_out``,
also MinAtar's random-policy reference scores (docs/minatar.md).
"""

import lrrl  # noqa: F401  (compatibility fixes before TensorFlow)

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

flags.DEFINE_list(
    'agent',
    ['dqn'],
    f'Dopamine agents, one or more of {", ".join(variants.AGENTS)} (TF DQN and Implicit Quantile; JAX DQN, '
    'Implicit Quantile, Rainbow and PPO), measured in turn.',
)
flags.DEFINE_enum(
    'env',
    None,
    list(variants.ENVIRONMENTS),
    'Atari (configs/agents/<agent>.gin), MinAtar (configs/agents/<agent>_minatar.gin), CartPole '
    '(configs/agents/<agent>_cartpole.gin) or MuJoCo (PPO: configs/agents/ppo_mujoco.gin). Default: atari for the '
    'replay agents, mujoco for PPO.',
)
flags.DEFINE_string(
    'game',
    None,
    'Game or MuJoCo task for the throughput, memory and scaling measurements '
    '(default: Pong on Atari, breakout on MinAtar, CartPole on cartpole, HalfCheetah on MuJoCo).',
)
flags.DEFINE_list(
    'environment_games',
    None,
    'Games the environment-alone part steps (default: every MinAtar game on MinAtar, --game elsewhere).',
)
flags.DEFINE_integer(
    'environment_episodes',
    None,
    'Random-policy episodes per game in the environment-alone part (default: 200 on MinAtar, 10 elsewhere).',
)
flags.DEFINE_string(
    'reference_scores_out',
    None,
    'MinAtar only: write the random-policy scores of the '
    'environment-alone part here as reference scores (lrrl/data/minatar_reference_scores.csv).',
)
flags.DEFINE_integer('block_steps', 2000, 'Training steps per A/B block (whole episodes, at least this many).')
flags.DEFINE_integer('rounds', 5, 'A/B rounds: each variant runs one block per round.')
flags.DEFINE_bool(
    'stock_copy',
    True,
    "Also time a second copy of stock Dopamine (an A/A control: the bench's own resolution); "
    '--nostock_copy saves that variant\'s share of the throughput part.',
)
flags.DEFINE_integer('warmup_steps', 2000, 'Training steps per variant before measuring (replay fills, graphs warm).')
flags.DEFINE_integer(
    'min_replay_history', 1000, 'Replay agents: warm-up before gradient updates start (Atari default 20000).'
)
flags.DEFINE_integer(
    'epsilon_decay_period',
    None,
    "Replay agents: bind the agents' epsilon decay to this many agent steps "
    '(e.g. 1000: the measured blocks then act greedily, as most of a run does).',
)
flags.DEFINE_integer('replay_capacity', 100000, 'Replay agents: replay capacity for the throughput and scaling runs.')
flags.DEFINE_list('memory_capacities', ['1000000', '10000'], 'Replay capacities for the memory measurement.')
flags.DEFINE_integer('memory_steps', 3000, 'Training steps in each memory/startup process.')
flags.DEFINE_list('bandit_arms', ['2', '5', '10', '50', '100'], 'K values for the bandit cost.')
flags.DEFINE_integer('max_concurrent', 0, 'Largest N for the scaling measurement (0: the number of cores).')
flags.DEFINE_integer('scaling_steps', 3000, 'Training steps each concurrent process times (after warm-up).')
flags.DEFINE_list(
    'skip', [], f'Parts to skip: {", ".join(throughput.PARTS)} (PPO: {",".join(throughput.REPLAY_PARTS)} must be).'
)
flags.DEFINE_string('out', None, 'Write the report (Markdown) here, e.g. results/bench/README.md.')
flags.DEFINE_string('worker', None, 'Internal: run one measurement process (memory or scaling).')
flags.DEFINE_string('variant', 'lrrl', 'Internal: stock, fixed or lrrl.')
flags.DEFINE_integer('capacity', 10000, 'Internal: replay capacity of a worker.')
flags.DEFINE_integer('threads', 0, 'Internal: TF intra/inter-op threads of a worker (0: TF default).')

FLAGS = flags.FLAGS


def log(line):
    print(f'[bench] {line}', flush=True)


def settings_from_flags():
    """``BenchSettings`` from the flags, checked, with each environment's defaults."""
    return throughput.bench_settings(
        agents=FLAGS.agent,
        env=FLAGS.env,
        game=FLAGS.game,
        environment_games=FLAGS.environment_games,
        environment_episodes=FLAGS.environment_episodes,
        block_steps=FLAGS.block_steps,
        rounds=FLAGS.rounds,
        stock_copy=FLAGS.stock_copy,
        warmup_steps=FLAGS.warmup_steps,
        min_replay_history=FLAGS.min_replay_history,
        epsilon_decay_period=FLAGS.epsilon_decay_period,
        replay_capacity=FLAGS.replay_capacity,
        memory_steps=FLAGS.memory_steps,
        scaling_steps=FLAGS.scaling_steps,
    )


@cli.command
def main(argv):
    del argv
    # TensorFlow, JAX, Gym and the environments load as the settings are checked and the runners built.
    with compat.quiet_stderr():
        settings = settings_from_flags()
        if FLAGS.worker:
            print(json.dumps(throughput.run_worker(FLAGS.worker, settings, FLAGS.variant, FLAGS.capacity)))
            return 0
        if FLAGS.reference_scores_out:
            throughput.check_reference_scores_out(settings, FLAGS.skip)
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
    if FLAGS.reference_scores_out:
        throughput.write_reference_scores(FLAGS.reference_scores_out, results, settings)
        log(f'wrote {FLAGS.reference_scores_out}')
    if FLAGS.out:
        os.makedirs(os.path.dirname(os.path.abspath(FLAGS.out)), exist_ok=True)
        atomic.write_text(FLAGS.out, text + '\n')
        with_json = os.path.splitext(FLAGS.out)[0] + '.json'
        atomic.write_text(with_json, json.dumps(results, indent=1, default=str) + '\n')
        log(f'wrote {FLAGS.out} and {with_json}')
    return 0


if __name__ == '__main__':
    cli.run(main)
