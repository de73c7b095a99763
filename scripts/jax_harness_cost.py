"""What the harness itself adds to a JAX agent's step, measured directly rather than side by side.

``python -m lrrl.bench`` times whole blocks of training of stock Dopamine and the harness
in turn; on a shared machine its per-round ratios spread by ±10-30%. This script times the
harness's own additions with identical inputs, in one process:

- Dopamine's jitted ``train`` called with stock Dopamine's optimizer and state, and with the
  harness's (the rate injected into the optax state): the same replay batch, alternately,
  20 blocks of ``--calls`` calls each, CPU time per call;
- the harness's per-step hooks (``advance_learning_rate_if_due``, ``write_pending_rate``);
- what the runner and the agent do at the end of a training episode (the trace row, the
  controller's feedback), with LRRL over K(5);
- the default bandit's round probe (the TD loss on a replay batch), once per round.

  PYTHONPATH=. taskset -c 1 python scripts/jax_harness_cost.py --agent=jax_dqn --env=minatar
  PYTHONPATH=. taskset -c 1 python scripts/jax_harness_cost.py --agent=jax_rainbow --env=cartpole --calls=60
"""

import argparse
import tempfile
import time
import timeit

import numpy as np

import lrrl  # noqa: F401  (compatibility fixes before TensorFlow)
from lrrl.benchmarks import variants


def train_arguments(agent, elements):
    """The arguments of the agent's Dopamine ``train`` for a batch (JAX DQN, IQN or Rainbow)."""
    import jax.numpy as jnp

    common = (
        agent.network_def,
        agent.online_params,
        agent.target_network_params,
        agent.optimizer,
        agent.optimizer_state,
        elements['state'],
        elements['action'],
        elements['next_state'],
        elements['reward'],
        elements['terminal'],
    )
    if hasattr(agent, '_support'):  # Rainbow
        return common + (jnp.ones(elements['state'].shape[0]), agent._support, agent.cumulative_gamma)
    if hasattr(agent, 'num_tau_samples'):  # IQN
        return common + (
            agent.num_tau_samples,
            agent.num_tau_prime_samples,
            agent.num_quantile_samples,
            agent.cumulative_gamma,
            agent.double_dqn,
            agent.kappa,
            agent._rng,
        )
    return common + (agent.cumulative_gamma, agent._loss_type)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--agent', default='jax_dqn', choices=variants.JAX_AGENTS)
    parser.add_argument('--env', default='minatar', choices=('minatar', 'cartpole'))
    parser.add_argument('--calls', type=int, default=300, help='train calls per timed block')
    flags = parser.parse_args()
    import importlib

    import jax

    # Dopamine's module-level jitted train of the agent (its optimizer is a static argument).
    train = importlib.import_module(variants.stock_agent_class(flags.agent).__module__).train
    game = variants.DEFAULT_GAMES[flags.env]
    with tempfile.TemporaryDirectory() as base_dir:
        runners = {
            variant: variants.build_runner(
                variant, flags.agent, f'{base_dir}/{variant}', game, 10000, 1000, flags.env
            )
            for variant in variants.VARIANTS
        }
        for runner in runners.values():
            variants.train_steps(runner, 1500)
        stock = runners['stock']._agent
        stock._sample_from_replay_buffer()
        elements = stock.replay_elements
        seconds = {'stock': [], 'fixed': []}
        for block in range(20):
            for variant in ('stock', 'fixed') if block % 2 == 0 else ('fixed', 'stock'):
                arguments = train_arguments(runners[variant]._agent, elements)
                jax.block_until_ready(train(*arguments))
                start = time.process_time()
                for _ in range(flags.calls):
                    out = train(*arguments)
                jax.block_until_ready(out)
                seconds[variant].append((time.process_time() - start) / flags.calls)
        ratio = np.median(np.asarray(seconds['fixed']) / np.asarray(seconds['stock']))
        print(
            f'{flags.agent} on {game}: Dopamine train call, CPU per call: stock '
            f'{np.median(seconds["stock"]) * 1e6:.0f} us, harness {np.median(seconds["fixed"]) * 1e6:.0f} us; '
            f'harness/stock per block pair, median: {ratio:.4f}'
        )
        agent = runners['lrrl']._agent
        hooks = timeit.Timer(
            lambda: (agent.advance_learning_rate_if_due(), agent.write_pending_rate()), timer=time.process_time
        ).timeit(number=100000)
        print(f'per training step (CPU): the rate hooks {hooks / 100000 * 1e6:.2f} us')
        runner = runners['lrrl']
        episode = timeit.Timer(lambda: runner._record_training_episode(10, 1.0), timer=time.process_time)
        episode = min(episode.repeat(repeat=5, number=400)) / 400
        print(f'per training episode (LRRL over K(5), CPU, best of 5): trace row and feedback {episode * 1e6:.1f} us')
        probe = agent._round_probe
        if probe is not None:
            # The default bandit scores a round on the TD loss of a replay batch (lrrl/experiment/rate_control.py,
            # RoundProbe): a new batch and its loss when a round begins, the loss again when it ends.
            redraw = min(timeit.Timer(probe.redraw, timer=time.process_time).repeat(repeat=5, number=10)) / 10
            measure = min(timeit.Timer(probe.measure, timer=time.process_time).repeat(repeat=5, number=10)) / 10
            controller = agent.learning_rate_controller
            print(
                f'per bandit round (every {controller.steps_per_round} agent steps at the agent file\'s run length, '
                f'CPU, best of 5): the round probe on {probe.size} transitions, {redraw * 1e3:.1f} ms to draw and '
                f'measure, {measure * 1e3:.1f} ms to measure again'
            )
        steps, _, episodes, cpu = variants.train_steps(runners['stock'], 2000)
        print(
            f'stock, for scale: {cpu / steps * 1e6:.0f} us of CPU per agent step, '
            f'{steps / max(episodes, 1):.0f} steps per episode'
        )
        for runner in runners.values():
            variants.close(runner)


if __name__ == '__main__':
    main()
