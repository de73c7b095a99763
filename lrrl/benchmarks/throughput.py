"""What LRRL costs, measured side by side: the library behind ``python -m lrrl.bench``.

Five measurements, each for every agent in ``settings.agents``:

1. Throughput, A/B: stock Dopamine (its own agent class in its own runner: TF
   DQN or IQN, or JAX DQN, IQN or Rainbow in ``Runner``, JAX PPO in
   ``ContinuousTrainRunner``), the
   harness with a fixed rate (the LRRL runner + ``FixedLearningRate``: harness
   overhead alone) and the harness with LRRL over K(5) (adds the bandit; PPO
   also with its in-agent preprocessing), identical settings
   (``lrrl.benchmarks.variants``), on a real Atari or MinAtar game, CartPole
   or a MuJoCo task (``settings.env``) on this machine. The variants live in one process,
   each in its own TF graph, and run blocks of training steps in turn,
   ``settings.rounds`` times, so that machine noise hits them all alike; a
   ratio is taken per round, of wall-clock and of CPU-time rates. A second
   stock runner (``settings.stock_copy``, an A/A control) is timed beside
   them: its ratio to stock, ideally 1, shows how small a difference the
   bench resolves. A full garbage collection runs before each block, outside
   the timing (it walks every variant's replay).
2. Bandit cost: one ``Exp3Bandit`` update + draw for K = 2 … 100 arms, in µs,
   against the wall time of one training episode from (1).
3. Memory and startup (replay agents): a fresh process per variant and replay
   capacity builds the runner and trains ``settings.memory_steps`` steps; it
   reports its peak resident memory and the time from launch to its first
   training step.
4. Scaling (replay agents): 1 … N concurrent processes each training the LRRL
   agent; the aggregate agent steps per second against N × one process.
5. The environment alone (the ceiling of any agent): a uniform random policy
   steps each game of ``settings.environment_games`` for whole episodes, as
   the runner plays them (at most the agent file's
   ``Runner.max_steps_per_episode`` steps); its steps per second, and its mean
   return (MinAtar's reference random scores,
   ``lrrl/data/minatar_reference_scores.csv``, come from here).

PPO's buffer holds one rollout, so there is no replay capacity to vary: on
MuJoCo the memory and scaling parts are refused unless skipped.

No timing is asserted anywhere: the benchmark reports, the tests check
correctness. Progress lines go to ``log``.
"""

import dataclasses
import gc
import importlib.metadata
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
from lrrl.experiment import seeding

PARTS = ('throughput', 'bandit', 'memory', 'scaling', 'environment')
# Parts that measure replay capacities and processes of the replay agents (all but PPO).
REPLAY_PARTS = ('memory', 'scaling')


@dataclasses.dataclass
class BenchSettings:
    """What to measure, and how long (the flags of ``python -m lrrl.bench``)."""

    agents: tuple = ('dqn',)
    game: str = 'Pong'
    env: str = 'atari'
    block_steps: int = 2000
    rounds: int = 5
    warmup_steps: int = 2000
    min_replay_history: int = 1000
    replay_capacity: int = 100000
    memory_steps: int = 3000
    scaling_steps: int = 3000
    epsilon_decay_period: int = None
    environment_games: tuple = ()
    environment_episodes: int = 200
    seed: int = 0
    stock_copy: bool = True


def bench_settings(
    agents, env=None, game=None, environment_games=None, environment_episodes=None, epsilon_decay_period=None, **kwargs
):
    """``BenchSettings`` from the command's flags, checked, with each environment's defaults filled in.

    ``env`` None: the first environment that runs every agent (Atari for DQN and
    IQN, MuJoCo for PPO).
    """
    from lrrl import errors  # pylint: disable=g-import-not-at-top

    agents = tuple(agents)
    unknown = [a for a in agents if a not in variants.AGENTS]
    if unknown or not agents:
        raise errors.ConfigError(
            f'--agent={",".join(agents)} is not allowed: it must list one or more of {", ".join(variants.AGENTS)}.'
        )
    runs_all = [e for e in variants.ENVIRONMENTS if set(agents) <= set(variants.AGENT_FILES[e])]
    if env is None and runs_all:
        env = runs_all[0]
    if env not in runs_all:
        where = '; '.join(f'{a} on {", ".join(variants.environments_of(a))}' for a in agents)
        given = f' with --env={env}' if env else ''
        raise errors.ConfigError(
            f'--agent={",".join(agents)} is not allowed{given}: the agents of one bench run must share an '
            f'environment that runs each of them ({where}).'
        )
    if epsilon_decay_period is not None and not set(agents) <= set(variants.AGENT_SETUPS):
        raise errors.ConfigError(
            f'--epsilon_decay_period={epsilon_decay_period} is not allowed with --agent={",".join(agents)}: it '
            f'binds the epsilon-greedy exploration of {", ".join(variants.AGENT_SETUPS)} only.'
        )
    game = game or variants.DEFAULT_GAMES[env]
    # Atari's games are checked as the runners are built (ale-py's list).
    allowed = {'minatar': _minatar_games, 'mujoco': variants.mujoco_tasks}.get(env, lambda: None)()
    environment_games = tuple(environment_games or (allowed if env == 'minatar' else (game,)))
    for name in (game, *environment_games):
        if allowed is not None and name not in allowed:
            raise errors.ConfigError(
                f'--game/--environment_games: {name!r} is not allowed with --env={env}: it must be one of '
                f'{", ".join(allowed)}.'
            )
    if environment_episodes is None:
        environment_episodes = 200 if env == 'minatar' else 10
    return BenchSettings(
        agents=agents,
        env=env,
        game=game,
        environment_games=environment_games,
        environment_episodes=environment_episodes,
        epsilon_decay_period=epsilon_decay_period,
        **kwargs,
    )


def _minatar_games():
    from lrrl.experiment import environments  # pylint: disable=g-import-not-at-top

    return environments.MINATAR_GAMES


def check_parts(settings, skip):
    """The parts in ``skip`` exist, and the ones left can be measured for these agents."""
    from lrrl import errors  # pylint: disable=g-import-not-at-top

    unknown = set(skip) - set(PARTS)
    if unknown:
        raise errors.ConfigError(
            f'--skip={",".join(skip)}: unknown part(s) {sorted(unknown)}; allowed: {", ".join(PARTS)}.'
        )
    no_replay = [a for a in settings.agents if a not in variants.AGENT_SETUPS]
    if no_replay and not set(REPLAY_PARTS) <= set(skip):
        raise errors.ConfigError(
            f'--skip={",".join(skip) or "(nothing)"} is not allowed with --agent={",".join(settings.agents)}: add '
            f'{",".join(REPLAY_PARTS)} to --skip. Those parts vary the replay capacity of '
            f'{", ".join(variants.AGENT_SETUPS)}; {", ".join(no_replay)} has no replay (its buffer holds one '
            'rollout), and its bench measures the throughput, the bandit and the environment alone.'
        )


def check_reference_scores_out(settings, skip):
    """Reference scores come from the MinAtar environment-alone part: refused before anything runs otherwise."""
    from lrrl import errors  # pylint: disable=g-import-not-at-top

    if settings.env != 'minatar' or 'environment' in skip:
        raise errors.ConfigError('--reference_scores_out needs --env=minatar and the environment part (not in --skip).')


def write_reference_scores(path, results, settings):
    """MinAtar's random-policy reference scores from the environment-alone part (``lrrl.analysis.normalization``)."""
    from lrrl.analysis import normalization  # pylint: disable=g-import-not-at-top

    check_reference_scores_out(settings, ())
    normalization.write_minatar_reference_scores(path, results['environment'], results['command'], results['date'])


def _silent(line):
    del line


LAUNCH_TIME_ENV = 'LRRL_BENCH_LAUNCH_TIME'


def time_blocks(runners, rounds, block_steps, log=_silent):
    """Times ``runners`` (``{name: runner}``, each warmed up) in blocks of ``block_steps`` training
    steps (whole episodes), in turn, ``rounds`` times: forward order in even rounds, reverse in odd
    ones, a full garbage collection before each block, outside the timing. Returns, per name, lists
    over rounds: ``block_steps``, ``steps_per_second`` (wall), ``steps_per_cpu_second`` and
    ``episode_seconds`` (wall seconds per episode).
    """
    names = list(runners)
    timed = {key: {v: [] for v in names} for key in ('block_steps', 'steps_per_second', 'steps_per_cpu_second', 'episode_seconds')}
    for r in range(rounds):
        for variant in names if r % 2 == 0 else names[::-1]:
            # A full collection walks every object of the process (all variants' replays: about 0.5 s on
            # MinAtar) and falls in whichever block crosses its threshold: run it between blocks instead.
            gc.collect()
            steps, seconds, episodes, cpu_seconds = variants.train_steps(runners[variant], block_steps)
            timed['block_steps'][variant].append(steps)
            timed['steps_per_second'][variant].append(steps / seconds)
            timed['steps_per_cpu_second'][variant].append(steps / cpu_seconds)
            timed['episode_seconds'][variant].append(seconds / max(episodes, 1))
        log(
            f'round {r + 1}/{rounds}: '
            + ', '.join(
                f'{v} {timed["steps_per_second"][v][-1]:.1f} steps/s ({timed["steps_per_cpu_second"][v][-1]:.1f} per CPU-s)'
                for v in names
            ),
        )
    return timed


def measure_throughput(base_dir, settings, agent, log=_silent):
    import tensorflow as tf

    names = variants.throughput_variants(agent, settings.stock_copy)
    runners = {}
    for variant in names:
        graph = tf.Graph()
        with graph.as_default():
            runners[variant] = variants.build_runner(
                variant,
                agent,
                os.path.join(base_dir, agent, variant),
                settings.game,
                settings.replay_capacity,
                settings.min_replay_history,
                settings.env,
                settings.epsilon_decay_period,
            )
    for variant, runner in runners.items():
        variants.train_steps(runner, settings.warmup_steps)
        log(f'{agent}: warmed up {variant}')
    timed = time_blocks(runners, settings.rounds, settings.block_steps, lambda line: log(f'{agent} {line}'))
    stock = runners['stock']._agent
    result = {
        'block_steps': timed['block_steps'],
        'steps_per_second': timed['steps_per_second'],
        'steps_per_cpu_second': timed['steps_per_cpu_second'],
        'episode_seconds': timed['episode_seconds']['lrrl'],
        'update_period': stock.update_period,
        'run_agent_steps': _configured_run_steps(settings.env, agent),
    }
    if hasattr(stock, 'num_epochs'):  # PPO: an update is epochs of minibatches over the rollout
        result['minibatches_per_update'] = stock.num_epochs * stock.update_period // stock.batch_size
    for runner in runners.values():
        variants.close(runner)
    return result


def _configured_run_steps(env, agent):
    """Agent steps of one run of the agent file as shipped (Runner.num_iterations x training_steps)."""
    return int(variants.agent_file_binding(env, 'Runner.num_iterations', agent)) * int(
        variants.agent_file_binding(env, 'Runner.training_steps', agent)
    )


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


def measure_environment(settings, log=_silent):
    """A uniform random policy on each game alone: steps per second and returns over whole episodes.

    An episode ends where the runner ends it: game over, or the agent file's
    ``Runner.max_steps_per_episode`` steps (MuJoCo's time limit, which Dopamine's
    Gym wrapper does not report as game over).
    """
    max_steps = int(variants.agent_file_binding(settings.env, 'Runner.max_steps_per_episode'))
    results = {}
    for game in settings.environment_games:
        environment = variants.make_environment(settings.env, game)
        seeding.seed_environment(environment, settings.seed)
        rng = np.random.default_rng(settings.seed)
        random_action = _random_policy(environment.action_space, rng)
        returns, lengths = [], []
        start, cpu_start = time.perf_counter(), time.process_time()
        while len(returns) < settings.environment_episodes:
            environment.reset()
            total, length = 0.0, 0
            while True:
                _, reward, _, _ = environment.step(random_action())
                total += reward
                length += 1
                if environment.game_over or length >= max_steps:
                    break
            returns.append(total)
            lengths.append(length)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
        returns = np.asarray(returns, dtype=float)
        results[game] = {
            'steps_per_second': float(np.sum(lengths) / seconds),
            'steps_per_cpu_second': float(np.sum(lengths) / cpu_seconds),
            'episodes': len(returns),
            'mean_return': float(returns.mean()),
            'sem_return': float(returns.std(ddof=1) / np.sqrt(len(returns))) if len(returns) > 1 else float('nan'),
            'mean_length': float(np.mean(lengths)),
        }
        log(
            f'environment alone, {game}: {results[game]["steps_per_second"]:.0f} steps/s, random policy return '
            f'{results[game]["mean_return"]:.3f} ± {results[game]["sem_return"]:.3f} over {len(returns)} episodes'
        )
    return results


def _random_policy(space, rng):
    """Uniform random actions: a discrete action, or a point in a continuous action box."""
    if hasattr(space, 'n'):
        return lambda: int(rng.integers(space.n))
    return lambda: rng.uniform(space.low, space.high).astype(space.dtype)


def _worker_command(kind, variant, capacity, steps, settings, agent, threads=0):
    return [
        sys.executable,
        '-m',
        'lrrl.bench',
        f'--worker={kind}',
        f'--variant={variant}',
        f'--capacity={capacity}',
        f'--agent={agent}',
        f'--env={settings.env}',
        f'--game={settings.game}',
        f'--min_replay_history={settings.min_replay_history}',
        *([f'--epsilon_decay_period={settings.epsilon_decay_period}'] if settings.epsilon_decay_period else []),
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


def measure_memory(capacities, settings, agent, log=_silent):
    results = []
    for capacity in capacities:
        for variant in ('stock', 'lrrl'):
            result = _worker_result(
                _run_worker(_worker_command('memory', variant, capacity, settings.memory_steps, settings, agent))
            )
            results.append(result)
            log(
                f'{agent} memory {variant} capacity {capacity}: peak RSS {result["peak_rss_mb"]:.0f} MB, '
                f'first training step after {result["startup_seconds"]:.1f} s'
            )
    return results


def measure_scaling(max_concurrent, settings, agent, log=_silent):
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
                _worker_command(
                    'scaling', 'lrrl', settings.replay_capacity, settings.scaling_steps, settings, agent, threads
                ),
                env,
            )
            for _ in range(n)
        ]
        rates = [_worker_result(p)['steps_per_second'] for p in processes]
        results[n] = {'threads': threads, 'steps_per_second': rates}
        log(f'{agent}: {n} concurrent: {sum(rates):.1f} steps/s in total ({threads} TF threads each)')
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
    (agent,) = settings.agents
    with tempfile.TemporaryDirectory() as base_dir:
        runner = variants.build_runner(
            variant,
            agent,
            base_dir,
            settings.game,
            capacity,
            settings.min_replay_history,
            settings.env,
            settings.epsilon_decay_period,
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
        steps, seconds, _, _ = variants.train_steps(runner, settings.memory_steps)
        del tf
        result = {
            'variant': variant,
            'capacity': capacity,
            'steps_per_second': steps / seconds,
            'startup_seconds': first_step['time'] - launched,
            'peak_rss_mb': peak_rss_mb(),
        }
    return result


def _overall_rate(t, variant, rates='steps_per_cpu_second'):
    """A variant's steps over all its blocks per second over all of them (wall or CPU).

    Not the median block: where only some blocks hold the costly updates (PPO
    updates once per rollout), the block rates split in two groups and their
    median says little about what a run costs.
    """
    steps = np.asarray(t['block_steps'][variant], dtype=float)
    return float(steps.sum() / (steps / np.asarray(t[rates][variant], dtype=float)).sum())


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
    allowed = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()
    pinned = f' (this process pinned to {allowed} of them)' if allowed != os.cpu_count() else ''
    return (
        f'{cpu}, {os.cpu_count()} cores{pinned}, {memory_gb:.0f} GiB RAM, {len(gpus)} GPU(s); '
        f'Python {platform.python_version()}, TensorFlow {tf.__version__}, JAX {importlib.metadata.version("jax")}, '
        f'{platform.platform()}'
    )


def training_device():
    """Where TensorFlow places the agents' graphs: the first GPU if there is one."""
    import tensorflow as tf

    return 'GPU' if tf.config.list_physical_devices('GPU') else 'CPU'


def _names(settings):
    return ', '.join(variants.agent_label(a) for a in settings.agents)


_JAX_NOTE = (
    'Stock Dopamine and the fixed-rate harness start from the same weights, seeds and environment seed and '
    'follow the same trajectory step for step, to the bit (tests/experiment/test_jax_agents.py): their ratio is '
    'the harness alone. The LRRL variant trains at other rates, so its episodes differ in number and length.'
)
AGENT_NOTES = {
    'ppo': (
        'Stock and the fixed-rate harness start from the same weights and the same environment seed and follow '
        'the same trajectory (tests/benchmarks/test_bench.py): their ratio is the harness alone. The LRRL '
        'variants train at other rates, so their policies, and the MuJoCo contacts simulated, differ too; the '
        'preprocessing variant adds observation and reward statistics per step. Whether a block holds a PPO '
        'update depends on where it falls in the rollout, so single rounds swing widely; blocks of whole '
        "1000-step episodes (HalfCheetah's) from the same warm-up keep the variants in the same phase."
    ),
    **{agent: _JAX_NOTE for agent in variants.JAX_AGENTS},
}
ENVIRONMENT_POLICIES = {
    'atari': 'a uniform random policy, sticky actions on',
    'minatar': 'a uniform random policy, sticky actions on',
    'mujoco': 'actions uniform in the action box',
    'cartpole': 'a uniform random policy',
}


def _throughput_lines(agent, t, settings, device):
    upper = variants.agent_label(agent)
    stock = np.asarray(t['steps_per_second']['stock'])
    cpu = t.get('steps_per_cpu_second')
    if 'minibatches_per_update' in t:
        updates = (
            f'warm-up {settings.warmup_steps} steps per variant, a PPO update ({t["minibatches_per_update"]} '
            f'minibatch steps) every {t["update_period"]} environment steps'
        )
    else:
        updates = (
            f'replay warm-up {settings.min_replay_history} steps, a gradient update every {t["update_period"]} '
            'agent steps'
        )
    cpu_columns = ' agent steps per CPU-second, all blocks | CPU ratio to stock per round (median, min–max) |'
    cpu_columns = cpu_columns if cpu else ''
    lines = [
        f'## Throughput, A/B ({upper}, {settings.env} {settings.game}, {device}, {settings.rounds} rounds of '
        f'>= {settings.block_steps} training steps per variant, {updates})',
        '',
        '| variant | agent steps/s (median, min–max) | ratio to stock per round (median, min–max) |' + cpu_columns,
        '|---|---|---|' + ('---|---|' if cpu else ''),
    ]
    for variant in t['steps_per_second']:
        rates = np.asarray(t['steps_per_second'][variant])
        median, low, high = _spread(rates)
        ratio = _spread(rates / stock)
        line = (
            f'| {variants.label(variant, agent)} | {median:.1f} ({low:.1f}–{high:.1f}) | '
            f'{ratio[0]:.3f} ({ratio[1]:.3f}–{ratio[2]:.3f}) |'
        )
        if cpu:
            cpu_rates = np.asarray(cpu[variant])
            cpu_ratio = _spread(cpu_rates / np.asarray(cpu['stock']))
            line += f' {_overall_rate(t, variant):.1f} | {cpu_ratio[0]:.3f} ({cpu_ratio[1]:.3f}–{cpu_ratio[2]:.3f}) |'
        lines.append(line)
    if variants.STOCK_COPY in t['steps_per_second'] and cpu:
        control = _spread(np.asarray(cpu[variants.STOCK_COPY]) / np.asarray(cpu['stock']))
        lines += [
            '',
            f'A/A control: a second copy of stock, doing the same work, has a CPU ratio to stock of '
            f'{control[0]:.3f} (median; {control[1]:.3f}–{control[2]:.3f} per round). A harness ratio tells '
            f'a cost apart from the bench\'s own noise only where it lies further from 1 than that.',
        ]
    episode = float(np.median(t['episode_seconds']))
    lines += ['', f'One {settings.game} training episode took {episode:.3f} s (median, LRRL variant).', '']
    if agent in AGENT_NOTES:
        lines += [AGENT_NOTES[agent], '']
    if settings.epsilon_decay_period:
        lines += [
            f"Epsilon decays over {settings.epsilon_decay_period} agent steps (not the agent file's), so the "
            'blocks act greedily, with one forward pass per step, as most steps of a run do.',
            '',
        ]
    if cpu and t.get('run_agent_steps'):
        shipped = variants.as_shipped(agent)
        minutes = t['run_agent_steps'] / _overall_rate(t, shipped) / 60
        lines += [
            f'One LRRL run of the agent file as shipped ({t["run_agent_steps"]:,} agent steps) at the agent steps '
            f'per CPU-second of "{variants.label(shipped, agent)}" over all its blocks: '
            f'**{minutes:,.0f} core-minutes** ({minutes / 60:.1f} core-hours).',
            '',
        ]
    if cpu:
        lines += [
            "Steps per CPU-second divide by the process's CPU time (all its threads) in the same block: on a "
            'shared machine, wall-clock blocks also count the time other processes held the cores.',
            '',
        ]
    return lines


def report(results, settings):
    """The Markdown report: the machine, the command, the tables."""
    lines = [
        f'# Benchmark: what LRRL costs ({_names(settings)} on {settings.env} {settings.game})',
        '',
        f'Machine: {results["machine"]}.',
        f'Command: `{results["command"]}` ({results["date"]}).',
        '',
    ]
    for agent, t in results.get('throughput', {}).items():
        lines += _throughput_lines(agent, t, settings, results['device'])
    if 'environment' in results:
        lines += [
            f'## The environment alone ({settings.env}, {ENVIRONMENT_POLICIES[settings.env]}, whole episodes as '
            'the runner plays them)',
            '',
            '| game | env steps/s | episodes | mean return ± s.e. | mean episode length |',
            '|---|---|---|---|---|',
        ]
        for game, e in results['environment'].items():
            lines.append(
                f'| {game} | {e["steps_per_second"]:.0f} | {e["episodes"]} | '
                f'{e["mean_return"]:.3f} ± {e["sem_return"]:.3f} | {e["mean_length"]:.1f} |'
            )
        lines.append('')
        if settings.game in results['environment'] and results.get('throughput'):
            ceiling = results['environment'][settings.game]['steps_per_cpu_second']
            shares = ', '.join(
                f'{variants.agent_label(agent)} {_overall_rate(t, variants.as_shipped(agent)) / ceiling:.3f}'
                for agent, t in results['throughput'].items()
            )
            lines += [
                'Agent steps per CPU-second of LRRL with the agent file as shipped, as a share of the environment '
                f"alone's on {settings.game}: {shares}.",
                '',
            ]
    if 'bandit' in results:
        episodes = [float(np.median(t['episode_seconds'])) for t in results.get('throughput', {}).values()]
        episode = min(episodes) if episodes else None
        lines += ['## Bandit cost per update (Exp3Bandit.update + select_arm, best of 5)', '']
        lines += ['| K arms | µs per update | share of one training episode |', '|---|---|---|']
        for k, cost in results['bandit'].items():
            share = f'{cost * 1e-6 / episode:.2e}' if episode else 'n/a'
            lines.append(f'| {k} | {cost:.1f} | {share} |')
        if episode:
            lines.append(f'\nShare of the shortest median training episode above ({episode:.3f} s).')
        lines.append('')
    for agent, memory in results.get('memory', {}).items():
        lines += [
            f'## Peak memory and startup ({variants.agent_label(agent)}, {settings.game}, one fresh process each, '
            f'{settings.memory_steps} training steps)',
            '',
            '| replay capacity | variant | peak RSS (MB) | launch to first training step (s) |',
            '|---|---|---|---|',
        ]
        for r in memory:
            lines.append(f'| {r["capacity"]} | {r["variant"]} | {r["peak_rss_mb"]:.0f} | {r["startup_seconds"]:.1f} |')
        lines += [
            '',
            'Dopamine allocates the replay arrays up front but the pages are touched as the '
            f'buffer fills, so after {settings.memory_steps} steps a large buffer holds only those steps.',
            '',
        ]
    for agent, scaling in results.get('scaling', {}).items():
        one = float(np.mean(scaling[1]['steps_per_second']))
        lines += [
            f'## Concurrent runs (LRRL {variants.agent_label(agent)}, {settings.game}, {settings.scaling_steps} timed '
            'steps each '
            'after warm-up)',
            '',
            '| N processes | TF threads each | aggregate steps/s | efficiency vs N × one run |',
            '|---|---|---|---|',
        ]
        for n, measured in scaling.items():
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
    """Every measurement not in ``skip``, for every agent; returns the results (``report`` formats them)."""
    check_parts(settings, skip)
    results = {
        'machine': machine_description(),
        'command': command,
        'date': time.strftime('%Y-%m-%d'),
        'device': training_device(),
        'env': settings.env,
        'game': settings.game,
    }
    if 'environment' not in skip and settings.environment_games:
        results['environment'] = measure_environment(settings, log)
    for agent in settings.agents:
        if 'throughput' not in skip:
            with tempfile.TemporaryDirectory() as base_dir:
                results.setdefault('throughput', {})[agent] = measure_throughput(base_dir, settings, agent, log)
        if 'memory' not in skip:
            results.setdefault('memory', {})[agent] = measure_memory(
                [int(c) for c in memory_capacities], settings, agent, log
            )
        if 'scaling' not in skip:
            results.setdefault('scaling', {})[agent] = measure_scaling(
                max_concurrent or os.cpu_count() or 1, settings, agent, log
            )
    if 'bandit' not in skip:
        results['bandit'] = measure_bandit([int(k) for k in bandit_arms], log)
    return results
