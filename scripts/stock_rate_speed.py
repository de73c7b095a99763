"""Does the learning rate alone change how fast stock Dopamine trains? Stock runners at several rates, side by side.

``python -m lrrl.bench`` compares stock Dopamine with the harness at a fixed rate (the same trajectory
to the bit: the harness's own cost) and with LRRL (other rates, so other weights, policies and
episodes). This script separates the second effect from the harness: it builds stock Dopamine runners
that differ only in their (fixed) rate and times them in turn, in blocks of training steps, forward
and reverse order in alternate rounds, a full garbage collection before each block (outside the
timing), and prints each runner's agent steps per CPU-second and its median per-round CPU ratio to
the first. No harness code trains here: a ratio away from 1 is what other rates do to Dopamine's
own agent.

  PYTHONPATH=. taskset -c 1 python scripts/stock_rate_speed.py --agent=jax_dqn --env=minatar \
      --rates=1e-3,6.25e-5,1e-3 --rounds=12
"""

import argparse
import os
import tempfile

import numpy as np

import lrrl  # noqa: F401  (compatibility fixes before TensorFlow)
from lrrl.benchmarks import throughput
from lrrl.benchmarks import variants


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--agent', default='jax_dqn', choices=sorted(variants.AGENT_SETUPS))
    parser.add_argument('--env', default='minatar', choices=('minatar', 'cartpole', 'atari'))
    parser.add_argument('--rates', default='1e-3,6.25e-5,1e-3', help='One stock runner per rate (repeat one for an A/A).')
    parser.add_argument('--rounds', type=int, default=12)
    parser.add_argument('--block_steps', type=int, default=4000)
    parser.add_argument('--warmup_steps', type=int, default=2000)
    args = parser.parse_args()
    import tensorflow as tf

    rates = [float(r) for r in args.rates.split(',')]
    if len(rates) < 2 or min(rates) <= 0:
        parser.error(f'--rates={args.rates} is not allowed: give two or more positive rates.')
    game = variants.DEFAULT_GAMES[args.env]
    base = tempfile.mkdtemp()
    runners = {}
    for i, rate in enumerate(rates):
        with tf.Graph().as_default():
            runners[f'runner {i} (rate {rate:g})'] = variants.build_runner(
                'stock',
                args.agent,
                os.path.join(base, str(i)),
                game,
                10000,
                1000,
                args.env,
                1000 if args.env != 'cartpole' else None,
                extra_bindings=[f'FixedLearningRate.rate = {rate!r}'],
            )
    for runner in runners.values():
        variants.train_steps(runner, args.warmup_steps)
    # The bench's own timing loop: forward and reverse rounds, a collection before each block.
    timed = throughput.time_blocks(runners, args.rounds, args.block_steps)
    cpu = timed['steps_per_cpu_second']
    first = np.asarray(cpu[next(iter(runners))])
    print(f'stock {variants.agent_label(args.agent)} on {args.env} {game}, {args.rounds} rounds of >= {args.block_steps} steps')
    for name in runners:
        steps = np.asarray(timed['block_steps'][name], dtype=float)
        ratios = np.asarray(cpu[name]) / first
        print(
            f'{name}: {steps.sum() / (steps / np.asarray(cpu[name])).sum():.1f} agent steps per CPU-second; '
            f'CPU ratio to runner 0 per round: median {np.median(ratios):.3f} ({ratios.min():.3f}-{ratios.max():.3f})'
        )
    for runner in runners.values():
        variants.close(runner)


if __name__ == '__main__':
    main()
