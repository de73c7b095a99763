"""What LRRL costs, measured side by side: the library behind ``python -m lrrl.bench``.

Four measurements:

1. Throughput, A/B: stock Dopamine TF DQN or IQN (Dopamine's own agent class in
   Dopamine's ``Runner``; or its JAX PPO on a MuJoCo task), the harness with a fixed rate (``LRRLRunner`` +
   ``FixedLearningRate``: harness overhead alone) and the harness with LRRL
   over K(5) (adds the bandit), identical settings (``lrrl.benchmarks.variants``),
   on a real Atari game on this machine. The three live in one process, each
   in its own TF graph, and run blocks of training steps in turn,
   ``settings.rounds`` times, so that machine noise hits all three alike; a
   ratio is taken per round.
2. Bandit cost: one ``Exp3Bandit`` update + draw for K = 2 … 100 arms, in µs,
   against the wall time of one training episode from (1).
3. Memory and startup: a fresh process per variant and replay capacity builds
   the runner and trains ``settings.memory_steps`` steps; it reports its peak
   resident memory and the time from launch to its first training step.
4. Scaling: 1 … N concurrent processes each training the LRRL agent; the
   aggregate agent steps per second against N × one process.

No timing is asserted anywhere: the benchmark reports, the tests check
correctness. Progress lines go to ``log``.
"""

import dataclasses
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import timeit
import json

import numpy as np

from lrrl.benchmarks import variants
from lrrl.control import bandits

PARTS = ('throughput', 'bandit', 'memory', 'scaling')


@dataclasses.dataclass
class BenchSettings:
    """What to measure, and how long (the flags of ``python -m lrrl.bench``)."""

    agent: str = 'dqn'
    game: str = 'Pong'
    block_steps: int = 2000
    rounds: int = 5
    warmup_steps: int = 2000
    min_replay_history: int = 1000
    replay_capacity: int = 100000
    memory_steps: int = 3000
    scaling_steps: int = 3000


def _silent(line):
    del line


LAUNCH_TIME_ENV = 'LRRL_BENCH_LAUNCH_TIME'


def measure_throughput(base_dir, settings, log=_silent):
    import tensorflow as tf

    names = variants.variants_of(settings.agent)
    runners = {}
    for variant in names:
        graph = tf.Graph()
        with graph.as_default():
            runners[variant] = variants.build_runner(
                variant,
                settings.agent,
                os.path.join(base_dir, variant),
                settings.game,
                settings.replay_capacity,
                settings.min_replay_history,
            )
    for variant, runner in runners.items():
        variants.train_steps(runner, settings.warmup_steps)
        log(f'warmed up {variant}')
    rates = {v: [] for v in names}
    # Steps per second of this process's CPU time: on a shared machine, the
    # time other processes hold the core is not counted against a variant.
    cpu_rates = {v: [] for v in names}
    episode_seconds = []
    for r in range(settings.rounds):
        order = names if r % 2 == 0 else names[::-1]
        for variant in order:
            cpu_start = time.process_time()
            steps, seconds, episodes = variants.train_steps(runners[variant], settings.block_steps)
            cpu_rates[variant].append(steps / (time.process_time() - cpu_start))
            rates[variant].append(steps / seconds)
            if variant == 'lrrl':
                episode_seconds.append(seconds / max(episodes, 1))
        log(f'round {r + 1}/{settings.rounds}: ' + ', '.join(f'{v} {rates[v][-1]:.1f} steps/s' for v in names))
    stock = runners['stock']._agent
    update_period = stock.update_period
    for runner in runners.values():
        if hasattr(runner._agent, '_sess'):
            runner._agent._sess.close()
    result = {
        'steps_per_second': rates,
        'steps_per_cpu_second': cpu_rates,
        'episode_seconds': episode_seconds,
        'update_period': update_period,
    }
    if settings.agent == 'ppo':
        result['minibatches_per_update'] = stock.num_epochs * stock.update_period // stock.batch_size
    return result


def measure_bandit(arms, log=_silent):
    costs = {}
    for k in arms:
        bandit = bandits.Exp3Bandit(num_arms=k, seed=0)
        rng = np.random.default_rng(0)
        feedback = iter(rng.normal(size=1_000_000).tolist())

        def one_round(bandit=bandit, feedback=feedback):
            bandit.select_arm()
            bandit.update(next(feedback))

        timer = timeit.Timer(one_round)
        number, _ = timer.autorange()
        best = min(timer.repeat(repeat=5, number=number)) / number
        costs[k] = best * 1e6
        log(f'bandit K={k}: {costs[k]:.1f} us per update')
    return costs


def _worker_command(kind, variant, capacity, steps, settings, threads=0):
    return [
        sys.executable,
        '-m',
        'lrrl.bench',
        f'--worker={kind}',
        f'--variant={variant}',
        f'--capacity={capacity}',
        f'--agent={settings.agent}',
        f'--game={settings.game}',
        f'--min_replay_history={settings.min_replay_history}',
        f'--memory_steps={steps}',
        f'--threads={threads}',
    ]


def _run_worker(command, env=None):
    env = dict(env or os.environ, **{LAUNCH_TIME_ENV: repr(time.time())})
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _worker_result(process):
    out, err = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f'bench worker failed ({process.args}):\n{err[-3000:]}')
    return json.loads(out.strip().splitlines()[-1])


def measure_memory(capacities, settings, log=_silent):
    results = []
    for capacity in capacities:
        for variant in ('stock', 'lrrl'):
            result = _worker_result(
                _run_worker(_worker_command('memory', variant, capacity, settings.memory_steps, settings))
            )
            results.append(result)
            log(
                f'memory {variant} capacity {capacity}: peak RSS {result["peak_rss_mb"]:.0f} MB, '
                f'first training step after {result["startup_seconds"]:.1f} s'
            )
    return results


def measure_scaling(max_concurrent, settings, log=_silent):
    """N = 1 … max_concurrent processes, each with the same share of the cores.

    Every process gets cores // max_concurrent TF threads (intra-op; one
    inter-op), what it would get in a full machine, so "one run" and "N runs"
    compare like with like.
    """
    threads = max(1, (os.cpu_count() or 1) // max_concurrent)
    env = dict(os.environ, TF_NUM_INTRAOP_THREADS=str(threads), TF_NUM_INTEROP_THREADS='1')
    results = {}
    for n in range(1, max_concurrent + 1):
        processes = [
            _run_worker(
                _worker_command('scaling', 'lrrl', settings.replay_capacity, settings.scaling_steps, settings, threads),
                env,
            )
            for _ in range(n)
        ]
        rates = [_worker_result(p)['steps_per_second'] for p in processes]
        results[n] = {'threads': threads, 'steps_per_second': rates}
        log(f'{n} concurrent: {sum(rates):.1f} steps/s in total ({threads} TF threads each)')
    return results


def peak_rss_mb():
    """This process's peak resident memory.

    VmHWM from /proc, not getrusage's ru_maxrss: Linux carries ru_maxrss over
    from the parent through fork and exec, so a small worker started by a big
    benchmark process would report the parent's peak.
    """
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_worker(kind, settings, variant, capacity):
    """One measurement process: build, (warm up,) train; returns its result (the command prints it as JSON)."""
    import tensorflow as tf

    launched = float(os.environ.get(LAUNCH_TIME_ENV, time.time()))
    with tempfile.TemporaryDirectory() as base_dir:
        runner = variants.build_runner(
            variant, settings.agent, base_dir, settings.game, capacity, settings.min_replay_history
        )
        first_step = {}
        agent = runner._agent
        original_begin = agent.begin_episode

        def begin_episode(observation):
            first_step.setdefault('time', time.time())
            return original_begin(observation)

        agent.begin_episode = begin_episode
        if kind == 'scaling':
            variants.train_steps(runner, settings.min_replay_history + 500)
        steps, seconds, _ = variants.train_steps(runner, settings.memory_steps)
        del tf
        result = {
            'variant': variant,
            'capacity': capacity,
            'steps_per_second': steps / seconds,
            'startup_seconds': first_step['time'] - launched,
            'peak_rss_mb': peak_rss_mb(),
        }
    return result


def _spread(values):
    values = np.asarray(values, dtype=float)
    return float(np.median(values)), float(values.min()), float(values.max())


def machine_description():
    import tensorflow as tf

    cpu = platform.processor() or 'unknown CPU'
    try:
        with open('/proc/cpuinfo') as f:
            names = [line.split(':', 1)[1].strip() for line in f if line.startswith('model name')]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    memory_gb = os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30
    gpus = tf.config.list_physical_devices('GPU')
    return (
        f'{cpu}, {os.cpu_count()} cores, {memory_gb:.0f} GiB RAM, {len(gpus)} GPU(s); '
        f'Python {platform.python_version()}, TensorFlow {tf.__version__}, {platform.platform()}'
    )


def training_device():
    """Where TensorFlow places the agents' graphs: the first GPU if there is one."""
    import tensorflow as tf

    return 'GPU' if tf.config.list_physical_devices('GPU') else 'CPU'


def report(results, settings):
    """The Markdown report: the machine, the command, the tables."""
    lines = [
        f'# Benchmark: what LRRL costs ({settings.agent.upper()} agent)',
        '',
        f'Machine: {results["machine"]}.',
        f'Command: `{results["command"]}` ({results["date"]}).',
        '',
    ]
    if 'throughput' in results:
        t = results['throughput']
        stock = np.asarray(t['steps_per_second']['stock'])
        if settings.agent == 'ppo':
            warm_up = f'warm-up {settings.warmup_steps} steps per variant'
            updates = (
                f'a PPO update ({t["minibatches_per_update"]} minibatch steps) every {t["update_period"]} '
                'environment steps'
            )
            updates_column = 'PPO updates/s'
            update_digits = 3
        else:
            warm_up = f'replay warm-up {settings.min_replay_history} steps'
            updates = f'a gradient update every {t["update_period"]} agent steps'
            updates_column = 'gradient updates/s'
            update_digits = 1
        lines += [
            f'## Throughput, A/B ({settings.agent.upper()}, {settings.game}, {results["device"]}, {settings.rounds} rounds of '
            f'>= {settings.block_steps} training steps per variant, {warm_up}, {updates})',
            '',
            f'| variant | agent steps/s (median, min–max) | {updates_column} '
            '| ratio to stock per round (median, min–max) | ratio to stock per round, CPU time (median, min–max) |',
            '|---|---|---|---|---|',
        ]
        cpu_rates = t.get('steps_per_cpu_second')
        labels = {
            'stock': f'stock Dopamine {settings.agent.upper()}',
            'fixed': 'harness, fixed rate',
            'lrrl': 'harness, LRRL over K(5)',
            'lrrl_preprocessing': 'harness, LRRL over K(5), with PPO preprocessing',
        }
        for variant in variants.variants_of(settings.agent):
            label = labels[variant]
            rates = np.asarray(t['steps_per_second'][variant])
            median, low, high = _spread(rates)
            ratio = _spread(rates / stock)
            cpu = 'n/a'
            if cpu_rates:
                cpu_ratio = _spread(np.asarray(cpu_rates[variant]) / np.asarray(cpu_rates['stock']))
                cpu = f'{cpu_ratio[0]:.3f} ({cpu_ratio[1]:.3f}–{cpu_ratio[2]:.3f})'
            lines.append(
                f'| {label} | {median:.1f} ({low:.1f}–{high:.1f}) | {median / t["update_period"]:.{update_digits}f} | '
                f'{ratio[0]:.3f} ({ratio[1]:.3f}–{ratio[2]:.3f}) | {cpu} |'
            )
        lines += [
            '',
            'A ratio is taken per round (the variants run one block each, in alternating order); the CPU-time '
            "ratio counts only this process's CPU time, so it is not moved by other processes on a shared machine.",
        ]
        if settings.agent == 'ppo':
            lines += [
                '',
                'Stock and the fixed-rate harness start from the same weights and the same environment seed and '
                'follow the same trajectory (tests/benchmarks/test_bench.py): their ratio is the harness alone. '
                'The LRRL variants train at other rates, so their policies, and the MuJoCo contacts simulated, '
                'differ too; the preprocessing variant adds observation and reward statistics per step.',
            ]
        lines.append('')
    if 'bandit' in results:
        episode = float(np.median(results['throughput']['episode_seconds'])) if 'throughput' in results else None
        lines += ['## Bandit cost per update (Exp3Bandit.update + select_arm, best of 5)', '']
        lines += ['| K arms | µs per update | share of one training episode |', '|---|---|---|']
        for k, cost in results['bandit'].items():
            share = f'{cost * 1e-6 / episode:.2e}' if episode else 'n/a'
            lines.append(f'| {k} | {cost:.1f} | {share} |')
        if episode:
            lines.append(f'\nOne {settings.game} training episode took {episode:.2f} s (median, LRRL variant above).')
        lines.append('')
    if 'memory' in results:
        lines += [
            f'## Peak memory and startup ({settings.game}, one fresh process each, {settings.memory_steps} training steps)',
            '',
            '| replay capacity | variant | peak RSS (MB) | launch to first training step (s) |',
            '|---|---|---|---|',
        ]
        for r in results['memory']:
            lines.append(f'| {r["capacity"]} | {r["variant"]} | {r["peak_rss_mb"]:.0f} | {r["startup_seconds"]:.1f} |')
        lines += [
            '',
            'Dopamine allocates the replay arrays up front but the pages are touched as the '
            f'buffer fills, so after {settings.memory_steps} steps a 1M-capacity buffer holds only those steps.',
            '',
        ]
    if 'scaling' in results:
        one = float(np.mean(results['scaling'][1]['steps_per_second']))
        lines += [
            f'## Concurrent runs (LRRL agent, {settings.game}, {settings.scaling_steps} timed steps each after warm-up)',
            '',
            '| N processes | TF threads each | aggregate steps/s | efficiency vs N × one run |',
            '|---|---|---|---|',
        ]
        for n, measured in results['scaling'].items():
            rates = measured['steps_per_second']
            lines.append(f'| {n} | {measured["threads"]} | {sum(rates):.1f} | {sum(rates) / (int(n) * one):.2f} |')
        lines.append('')
    return '\n'.join(lines)


def run(
    settings,
    skip=(),
    bandit_arms=(2, 5, 10, 50, 100),
    memory_capacities=(1000000, 10000),
    max_concurrent=0,
    command='',
    log=_silent,
):
    """Every measurement not in ``skip``; returns the results (``report`` formats them)."""
    from lrrl import errors  # pylint: disable=g-import-not-at-top

    unknown = set(skip) - set(PARTS)
    if unknown:
        raise errors.ConfigError(
            f'--skip={",".join(skip)}: unknown part(s) {sorted(unknown)}; allowed: {", ".join(PARTS)}.'
        )
    if settings.agent == 'ppo' and not {'memory', 'scaling'} <= set(skip):
        raise errors.ConfigError(
            f'--agent=ppo --skip={",".join(skip)}: add memory,scaling to --skip. The PPO bench measures throughput '
            "and the bandit's cost: PPO's buffer holds one rollout, so there is no replay capacity to vary."
        )
    results = {
        'machine': machine_description(),
        'command': command,
        'date': time.strftime('%Y-%m-%d'),
        'device': training_device(),
    }
    with tempfile.TemporaryDirectory() as base_dir:
        if 'throughput' not in skip:
            results['throughput'] = measure_throughput(base_dir, settings, log)
    if 'bandit' not in skip:
        results['bandit'] = measure_bandit([int(k) for k in bandit_arms], log)
    if 'memory' not in skip:
        results['memory'] = measure_memory([int(c) for c in memory_capacities], settings, log)
    if 'scaling' not in skip:
        results['scaling'] = measure_scaling(max_concurrent or os.cpu_count() or 1, settings, log)
    return results
