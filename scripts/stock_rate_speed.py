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
import gc
import os
import statistics
import tempfile

import lrrl  # noqa: F401  (compatibility fixes before TensorFlow)
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
    runners = []
    for i, rate in enumerate(rates):
        with tf.Graph().as_default():
            runners.append(
                variants.build_runner(
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
            )
    for runner in runners:
        variants.train_steps(runner, args.warmup_steps)
    steps, cpu, ratios = [0] * len(rates), [0.0] * len(rates), [[] for _ in rates]
    order = list(range(len(rates)))
    for r in range(args.rounds):
        rate_now = [0.0] * len(rates)
        for i in order if r % 2 == 0 else order[::-1]:
            gc.collect()
            done, _, _, seconds = variants.train_steps(runners[i], args.block_steps)
            steps[i] += done
            cpu[i] += seconds
            rate_now[i] = done / seconds
        for i in order:
            ratios[i].append(rate_now[i] / rate_now[0])
    print(f'stock {variants.agent_label(args.agent)} on {args.env} {game}, {args.rounds} rounds of >= {args.block_steps} steps')
    for i, rate in enumerate(rates):
        print(
            f'runner {i} (rate {rate:g}): {steps[i] / cpu[i]:.1f} agent steps per CPU-second; '
            f'CPU ratio to runner 0 per round: median {statistics.median(ratios[i]):.3f} '
            f'({min(ratios[i]):.3f}-{max(ratios[i]):.3f})'
        )
    for runner in runners:
        variants.close(runner)


if __name__ == '__main__':
    main()
