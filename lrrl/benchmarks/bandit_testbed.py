r"""The bandit testbed: every bandit configuration on tasks where the best rate is known.

  python -m lrrl.bandit_testbed [--output_dir=results/testbed] \
      [--gin_files=testbed/testbed.gin] [--gin_bindings=...] [--overwrite]

numpy only; the controllers are the real ``BanditLearningRate`` objects,
driven as the agent drives them (``wait_for_learning``, ``learning_started``
at the first gradient update, ``advance`` at the steps ``next_advance`` names,
``end_episode`` after each episode).

Tasks (``TASKS``):

- Synthetic learning processes (``SyntheticTask``): a policy quality
  q in [0, 1], moved by the gradient updates of the arm in use (one update
  every 4 agent steps after a warm-up of 500 steps, as DQN on CartPole). Arm
  kinds: *slow* and *good* learn (q <- 1 - (1 - q)(1 - r) per update, r small
  or larger); *unstable* learns fast but each update collapses q to
  q * U(0, 0.2) with probability hazard * q; *destructive* shrinks q
  (q <- q (1 - r)); *sawtooth* learns fast and falls to 0.05 whenever it
  passes 0.95. CartPole-like episodes last 8 + 192 q steps (noisy, capped at
  200) and return their length; Atari-like episodes last 250 steps and
  return 100 q + noise. *Pure noise*: returns independent of the arm.
- MaclaurinNet (``lrrl.benchmarks.maclaurin_task``): 3,000 Adam steps on the
  12-point grid 1e-5 … 1e-2, one network per seed trained in one array,
  feedback -L (the whole training set) per step.
- The six test functions (``lrrl.benchmarks.test_functions``) with SGD and
  Adam, through ``lrrl.benchmarks.stationary.optimise``.

Each configuration (``CONFIGURATIONS``) runs every task on every seed; each
arm alone runs too (the fixed baselines). Per task and configuration:

- share of gradient updates on the best arm (synthetic tasks: the arm the
  task names; the numpy tasks: the best fixed arm on the same seeds, chosen
  after the fact, so an optimistic label);
- lock-in on a destructive arm: the share of seeds whose second half put more
  than half of its updates on it;
- final quality against the best fixed arm and against ``UniformBandit``,
  per seed (paired), mean with a 95% bootstrap interval over seeds: synthetic
  tasks: the mean quality over the last 10% of the run, as a ratio;
  numpy tasks: the ratio of the final losses (reference / configuration),
  geometric mean;
- pure noise: P(max probability > 0.9) after 1,000 rounds.

``DefaultSelection`` (``--select``) chose LRRL's default among ``candidates()``
on the selection seeds 0-9 by the rule written there; the testbed reports on
seeds 10-29 (``configs/stationary/testbed.gin``; ``docs/bandits.md``).
"""

import dataclasses
import io
import math
import time

import gin
import numpy as np
import pandas as pd

from lrrl import tables
from lrrl import validation
from lrrl.benchmarks import bandit_configurations
from lrrl.benchmarks import loss_probe
from lrrl.benchmarks import maclaurin_task
from lrrl.benchmarks import outputs
from lrrl.benchmarks import stationary
from lrrl.benchmarks import test_functions
from lrrl.control import bandits
from lrrl.control import controllers
from lrrl.control import numpy_mlp
from lrrl.control import numpy_optimizers
from lrrl.control import rlr

# ---------------------------------------------------------------------------
# Bandit configurations: lrrl.benchmarks.bandit_configurations (shared with the
# stationary benchmark and MaclaurinNet); the names are kept here for callers.

Configuration = bandit_configurations.Configuration
PAPER_LITERAL = bandit_configurations.PAPER_LITERAL
DEFAULT = bandit_configurations.DEFAULT
V1 = bandit_configurations.V1
CONFIGURATIONS = bandit_configurations.CONFIGURATIONS


def _kw(**kwargs):
    return tuple(sorted(kwargs.items()))


def candidates():
    """The configurations ``DefaultSelection`` chooses among: Exp3Bandit with a controller-computed feedback.

    Every arm's weight decays (δ = 0.99) and rounds are the task's
    ``round_steps`` agent steps (1% of a synthetic run); the grid crosses the
    step size, the denominator, the feedback's baseline and scale, and the burn-in.
    """
    feedbacks = (
        ('previous_rounds', 'run_range'),
        ('same_arm', 'run_range'),
        ('run_min', 'run_range'),
        ('previous_rounds', 'mean_abs'),
    )
    grid = []
    for alpha in (1.0, 3.0):
        for denominator in ('max_one', 'probability'):
            for baseline, scale in feedbacks:
                for burn_in in (0.0, 0.5):
                    bandit = dict(alpha=alpha, decay=0.99, decay_all_arms=True, denominator=denominator, window=None)
                    if denominator == 'probability':
                        bandit['mixing'] = 0.1
                    grid.append(
                        Configuration(
                            f'a{alpha:g}_{denominator}_{baseline}_{scale}_burn{burn_in:g}',
                            bandit_kwargs=_kw(**bandit),
                            feedback=('RoundImprovement', _kw(baseline=baseline, window=1, scale=scale)),
                            burn_in=burn_in,
                        )
                    )
    return grid


# ---------------------------------------------------------------------------
# Synthetic learning processes.

# One gradient update every UPDATE_PERIOD agent steps once WARMUP steps have
# passed (DQN on CartPole: configs/agents/dqn_cartpole.gin).
UPDATE_PERIOD = 4
WARMUP = 500


@dataclasses.dataclass(frozen=True)
class Arm:
    kind: str  # 'learn', 'unstable', 'destructive', 'sawtooth', 'none'
    rate: float = 0.0  # per update
    hazard: float = 0.0  # 'unstable': collapse probability per update, times q


def _learn(q, rate, n):
    return 1.0 - (1.0 - q) * (1.0 - rate) ** n


def _apply(arm, q, n, rng):
    """q after n updates of ``arm``."""
    if n <= 0 or arm.kind == 'none':
        return q
    if arm.kind == 'learn':
        return _learn(q, arm.rate, n)
    if arm.kind == 'destructive':
        return q * (1.0 - arm.rate) ** n
    if arm.kind == 'unstable':
        collapse_after = rng.geometric(min(1.0, arm.hazard * max(_learn(q, arm.rate, n / 2), 1e-9)))
        if collapse_after > n:
            return _learn(q, arm.rate, n)
        q = _learn(q, arm.rate, collapse_after) * rng.uniform(0.0, 0.2)
        return _learn(q, arm.rate, n - collapse_after)
    # 'sawtooth': up to 0.95, then down to 0.05, as often as the updates allow.
    while n > 0:
        to_top = math.ceil(math.log(0.05 / (1.0 - q)) / math.log(1.0 - arm.rate)) if q < 0.95 else 0
        if to_top > n:
            return _learn(q, arm.rate, n)
        q, n = 0.05, n - max(to_top, 1)
    return q


@dataclasses.dataclass(frozen=True)
class SyntheticTask:
    """A learning process whose arms' effects are known (module doc)."""

    name: str
    arms: tuple  # (label, Arm) pairs
    best_arm: int  # None: no best arm (pure noise)
    episodes: str  # 'cartpole' or 'atari'
    steps: int = 100_000
    round_steps: int = 1000  # κ of the configurations' step rounds (times round_size)
    destructive_arm: int = None
    noise_rounds: int = 0  # > 0: run until this many rounds, record max probability
    episodic = True

    @property
    def rates(self):
        # Nominal rates: the controllers need distinct candidate values.
        return tuple(10.0 ** (-5 + k) for k in range(len(self.arms)))

    def simulate(self, controller, seed, fixed_arm=None):
        """One run; returns a dict of the run's measurements."""
        rng = np.random.default_rng([seed, sum(map(ord, self.name))])
        loss_probe.refuse([controller], f'the synthetic task {self.name}')
        arms = [arm for _, arm in self.arms]
        half = self.steps // 2
        updates = np.zeros((2, len(arms)), dtype=np.int64)
        q, t = 0.0, 0
        tail_start = int(0.9 * self.steps)
        tail_quality, all_quality = 0.0, 0.0
        max_p = {}
        controller.wait_for_learning()
        upcoming = controller.next_advance(0)
        horizon = self.steps if not self.noise_rounds else 10**9
        while t < horizon:
            if self.episodes == 'cartpole':
                length = int(np.clip(round(8 + 192 * q + rng.normal(0, 10)), 8, 200))
            else:
                length = 250
            end = t + length
            q_start = q
            while t < end:
                if t == WARMUP and controller.awaiting_learning:
                    controller.learning_started(t)
                    upcoming = controller.next_advance(t)
                if t >= upcoming:
                    controller.advance(t)
                    upcoming = controller.next_advance(t)
                stops = [end, upcoming, horizon]
                if t < WARMUP:
                    stops.append(WARMUP)
                if t < half:
                    stops.append(half)
                if t < tail_start:
                    stops.append(tail_start)
                segment_end = int(min(stops))
                arm = controller.arm if fixed_arm is None else fixed_arm
                first = max(t, WARMUP)
                n = max(0, -(-segment_end // UPDATE_PERIOD) - -(-first // UPDATE_PERIOD)) if segment_end > first else 0
                q_before = q
                q = _apply(arms[arm], q, n, rng)
                updates[int(t >= half), arm] += n
                mean_q = 0.5 * (q_before + q) * (segment_end - t)
                all_quality += mean_q
                if t >= tail_start:
                    tail_quality += mean_q
                t = segment_end
                if t >= horizon:
                    break
            if self.episodes == 'cartpole':
                episode_return = float(length)
            elif arms[0].kind == 'none':
                episode_return = float(rng.normal(100.0, 20.0))
            else:
                episode_return = float(100.0 * 0.5 * (q_start + q) + rng.normal(0.0, 10.0))
            controller.end_episode(episode_return, t)
            upcoming = controller.next_advance(t)
            if self.noise_rounds and fixed_arm is None:
                rounds = controller.rounds_closed
                for checkpoint in (200, self.noise_rounds):
                    if rounds >= checkpoint and checkpoint not in max_p:
                        max_p[checkpoint] = float(controller.probabilities().max())
                if rounds >= self.noise_rounds:
                    break
            elif self.noise_rounds and t >= self.noise_rounds * self.round_steps:
                break
        steps = max(t, 1)
        return {
            'updates': updates,
            'final_quality': tail_quality / max(steps - tail_start, 1) if not self.noise_rounds else math.nan,
            'mean_quality': all_quality / steps,
            'max_p_200': max_p.get(200, math.nan),
            'max_p_final': max_p.get(self.noise_rounds, math.nan),
        }


_CARTPOLE_SPEEDS = {'slow': 1.5e-5, 'good': 2.5e-4}
_ATARI_SPEEDS = {'slow': 0.6e-5, 'good': 1e-4}


def _synthetic_tasks():
    cp, at = _CARTPOLE_SPEEDS, _ATARI_SPEEDS
    return (
        SyntheticTask(
            'cartpole_destructive',
            (
                ('slow', Arm('learn', cp['slow'])),
                ('good', Arm('learn', cp['good'])),
                ('destructive', Arm('destructive', 2e-3)),
            ),
            best_arm=1,
            destructive_arm=2,
            episodes='cartpole',
        ),
        SyntheticTask(
            'cartpole_unstable',
            (
                ('slow', Arm('learn', cp['slow'])),
                ('good', Arm('learn', cp['good'])),
                ('unstable', Arm('unstable', 1e-3, 5e-4)),
            ),
            best_arm=1,
            episodes='cartpole',
        ),
        SyntheticTask(
            'cartpole_sawtooth',
            (
                ('slow', Arm('learn', cp['slow'])),
                ('good', Arm('learn', cp['good'])),
                ('sawtooth', Arm('sawtooth', 2e-3)),
            ),
            best_arm=1,
            episodes='cartpole',
        ),
        SyntheticTask(
            'atari_destructive',
            (
                ('slow', Arm('learn', at['slow'])),
                ('good', Arm('learn', at['good'])),
                ('destructive', Arm('destructive', 1e-3)),
            ),
            best_arm=1,
            destructive_arm=2,
            episodes='atari',
            steps=250_000,
            round_steps=2500,
        ),
        SyntheticTask(
            'atari_unstable',
            (
                ('slow', Arm('learn', at['slow'])),
                ('good', Arm('learn', at['good'])),
                ('unstable', Arm('unstable', 5e-4, 2e-4)),
            ),
            best_arm=1,
            episodes='atari',
            steps=250_000,
            round_steps=2500,
        ),
        SyntheticTask(
            'pure_noise',
            (('a', Arm('none')), ('b', Arm('none')), ('c', Arm('none'))),
            best_arm=None,
            episodes='atari',
            round_steps=2500,
            noise_rounds=1000,
        ),
    )


# ---------------------------------------------------------------------------
# numpy tasks.


@dataclasses.dataclass(frozen=True)
class MaclaurinNetTask:
    """MaclaurinNet (docs/benchmarks.md, "RLR and MaclaurinNet") with Adam on the 12-point grid; one network per seed, in one array."""

    name: str = 'maclaurin'
    # 3,000 Adam steps (python -m lrrl.maclaurin_benchmark runs 10,000): where the
    # paper-literal bandit has already drifted to the smallest rates.
    steps: int = 3000
    round_steps: int = 10
    best_arm = None
    destructive_arm = None
    noise_rounds = 0
    episodic = False
    rates = tuple(float(r) for r in rlr.DEFAULT_GRID)

    def run(self, controller_list, seeds):
        """Trains one network per seed; returns {'final_loss' (tail test error), 'updates'} per seed."""
        tasks = [maclaurin_task.MaclaurinTask(seed=s) for s in seeds]
        params = [t.init_params(np.random.default_rng([s, 0])) for t, s in zip(tasks, seeds)]
        stacked = [np.stack([p[i] if i % 2 == 0 else p[i][None, :] for p in params]) for i in range(len(params[0]))]
        batch_rng = np.random.default_rng([seeds[0], len(seeds), 1])
        train_x = np.stack([t.train_inputs for t in tasks])
        train_y = np.stack([t.train_targets for t in tasks])
        test_x = np.stack([t.test_inputs for t in tasks])
        test_y = np.stack([t.test_targets for t in tasks])
        optimizer = numpy_optimizers.Adam()
        num = len(seeds)

        def test_loss(i):  # a feedback that reads the loss gets network i's held-out loss
            return float(np.mean((numpy_mlp.forward(stacked, test_x)[0][i] - test_y[i]) ** 2))

        loss_probe.attach(controller_list, test_loss, 'MaclaurinNet')
        updates = np.zeros((num, 2, len(self.rates)), dtype=np.int64)
        alive = np.ones(num, dtype=bool)
        tail = np.zeros(num)
        tail_steps = 100

        with np.errstate(all='ignore'):
            for t in range(1, self.steps + 1):
                rates = np.array([c.rate for c in controller_list])
                arms = np.array([self.rates.index(r) for r in rates])
                updates[np.arange(num), int(t > self.steps // 2), arms] += alive
                optimizer.learning_rate = rates[:, None, None]
                # Without replacement within a batch, one independent draw per network.
                index = np.argsort(batch_rng.random(train_x.shape[:2]), axis=1)[:, : tasks[0].batch_size]
                xb = np.take_along_axis(train_x, index[:, :, None], axis=1)
                yb = np.take_along_axis(train_y, index[:, :, None], axis=1)
                out, layer_inputs = numpy_mlp.forward(stacked, xb)
                diff = out - yb
                grads = numpy_mlp.backward(stacked, layer_inputs, 2.0 * diff / diff[0].size)
                optimizer.apply_gradients(stacked, grads)
                loss = np.mean((numpy_mlp.forward(stacked, train_x)[0] - train_y) ** 2, axis=(1, 2))
                alive &= np.isfinite(loss)
                if t > self.steps - tail_steps:
                    tail += np.mean((numpy_mlp.forward(stacked, test_x)[0] - test_y) ** 2, axis=(1, 2))
                for i in np.flatnonzero(alive):
                    controller_list[i].end_episode(-float(loss[i]), t)
        final = np.where(alive, tail / tail_steps, np.inf)
        return [{'final_loss': float(final[i]), 'updates': updates[i]} for i in range(num)]


@dataclasses.dataclass(frozen=True)
class TestFunctionTask:
    """A test function and an optimizer of the stationary benchmark (``lrrl.stationary``)."""

    function: str
    optimizer: str
    dimension: int = 10
    steps: int = 2000
    round_steps: int = 10
    best_arm = None
    destructive_arm = None
    noise_rounds = 0
    episodic = False

    @property
    def name(self):
        return f'{self.function}_{self.optimizer}'

    @property
    def rates(self):
        return stationary.DEFAULT_CANDIDATE_RATES[self.optimizer]

    def run(self, controller_list, seeds):
        function = test_functions.get(self.function)
        starts = np.concatenate([function.random_starts(np.random.default_rng(s), 1, self.dimension) for s in seeds])
        gaps, rates, diverged_at = stationary.optimise(function, self.optimizer, controller_list, starts, self.steps)
        results = []
        half = self.steps // 2
        for i in range(len(seeds)):
            updates = np.zeros((2, len(self.rates)), dtype=np.int64)
            for part, block in enumerate((rates[i, :half], rates[i, half:])):
                for k, r in enumerate(self.rates):
                    updates[part, k] = int(np.sum(block == r))
            gap = math.inf if diverged_at[i] >= 0 else max(float(gaps[i, -1]), 1e-12)
            results.append({'final_loss': gap, 'updates': updates})
        return results


def _numpy_tasks(functions, optimizers):
    return (MaclaurinNetTask(),) + tuple(TestFunctionTask(f, o) for o in optimizers for f in functions)


# ---------------------------------------------------------------------------
# Running the grid.


def _run_config(task, controller_list, seeds, fixed_arm=None):
    if isinstance(task, SyntheticTask):
        return [task.simulate(c, s, fixed_arm) for c, s in zip(controller_list, seeds)]
    return task.run(controller_list, seeds)


def run_task(task, configurations, seeds, log=None, fixed_arms=True):
    """Every configuration and every arm alone on ``task``; a DataFrame, one row per (method, seed)."""
    rows = []
    # Each arm alone (not on pure noise, where no arm is better).
    alone = fixed_arms and not task.noise_rounds
    methods = [(f'fixed:{label}', None, k) for k, label in enumerate(_arm_labels(task)) if alone]
    methods += [(c.name, c, None) for c in configurations]
    for method, configuration, k in methods:
        begin = time.time()
        if configuration is None:
            controller_list = [_FixedArm(task.rates, k) for _ in seeds]
        else:
            controller_list = [
                configuration.controller(task.rates, task.round_steps, task.episodic, seed) for seed in seeds
            ]
            if isinstance(task, SyntheticTask) and controller_list[0].needs_probe:
                # The synthetic learning processes have returns and no loss: a configuration whose
                # feedback reads the loss has nothing to read there (n/a in the tables).
                if log:
                    log(f'{task.name:24s} {method:40s} n/a (its feedback reads a loss; this task has none)')
                continue
        for seed, result in zip(seeds, _run_config(task, controller_list, seeds, k)):
            updates = np.asarray(result['updates'])
            row = {'task': task.name, 'method': method, 'seed': seed}
            row.update({key: value for key, value in result.items() if key != 'updates'})
            row['updates_per_arm'] = updates.sum(axis=0).tolist()
            row['second_half_per_arm'] = updates[1].tolist()
            rows.append(row)
        if log:
            log(f'{task.name:24s} {method:40s} {time.time() - begin:6.1f} s')
    return pd.DataFrame(rows)


def _arm_labels(task):
    if isinstance(task, SyntheticTask):
        return [label for label, _ in task.arms]
    return [f'{r:g}' for r in task.rates]


class _FixedArm(controllers.BanditLearningRate):
    """Arm k, always: a fixed rate with the bandit controller's ``arm``."""

    def __init__(self, rates, k):
        super().__init__(rates=rates, bandit=bandits.UniformBandit)
        self.bandit.arm = k

    def advance(self, step):
        self._step = int(step)
        return self.rate

    def end_episode(self, episode_return, step):
        self._step = int(step)
        return self.rate


# ---------------------------------------------------------------------------
# Scores.


def bootstrap_interval(values, reps=2000, seed=0):
    """The mean of ``values`` and its 95% percentile-bootstrap interval (numpy only)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return math.nan, math.nan, math.nan
    rng = np.random.default_rng(seed)
    means = values[rng.integers(values.size, size=(reps, values.size))].mean(axis=1)
    return float(values.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def _quality_ratio(task, runs, method, reference):
    """Per seed: quality of ``method`` relative to ``reference`` (> 1 better), as values to average."""
    a = runs[runs['method'] == method].set_index('seed')
    b = runs[runs['method'] == reference].set_index('seed').loc[a.index]
    if isinstance(task, SyntheticTask):
        return (a['final_quality'] / b['final_quality'].clip(lower=1e-9)).to_numpy(), False
    # Losses: log of reference / method, averaged then exponentiated (geometric mean).
    with np.errstate(invalid='ignore'):
        ratio = np.log(np.clip(b['final_loss'].to_numpy() / a['final_loss'].to_numpy(), 1e-3, 1e3))
    return np.nan_to_num(ratio, nan=0.0), True  # nan: both diverged


def best_fixed_arm(task, runs):
    fixed = runs[runs['method'].str.startswith('fixed:')]
    if fixed.empty:
        return None
    if isinstance(task, SyntheticTask):
        if task.best_arm is not None:
            return f'fixed:{_arm_labels(task)[task.best_arm]}'
        return None
    score = fixed.groupby('method')['final_loss'].apply(lambda x: np.mean(np.log(np.clip(x, 1e-12, 1e12))))
    return score.idxmin()


def summarise(task, runs, reps=2000):
    """One row per configuration on ``task``: the testbed's scores with intervals."""
    labels = _arm_labels(task)
    best = best_fixed_arm(task, runs)
    best_index = labels.index(best[len('fixed:') :]) if best else None
    rows = []
    for method in runs['method'].unique():
        if method.startswith('fixed:'):
            continue
        group = runs[runs['method'] == method]
        updates = np.array(group['updates_per_arm'].tolist(), dtype=np.float64)
        second = np.array(group['second_half_per_arm'].tolist(), dtype=np.float64)
        row = {'task': task.name, 'method': method, 'seeds': len(group), 'best_arm': best}
        if best_index is not None:
            share = updates[:, best_index] / np.maximum(updates.sum(axis=1), 1)
            row['best_arm_share'], row['best_arm_share_low'], row['best_arm_share_high'] = bootstrap_interval(
                share, reps
            )
        if task.destructive_arm is not None:
            locked = second[:, task.destructive_arm] / np.maximum(second.sum(axis=1), 1) > 0.5
            row['destructive_lock_in'], row['destructive_lock_in_low'], row['destructive_lock_in_high'] = (
                bootstrap_interval(locked.astype(float), reps)
            )
        if task.noise_rounds:
            for key in ('max_p_200', 'max_p_final'):
                above = (group[key].to_numpy() > 0.9).astype(float)
                row[f'p_{key}_above_0.9'], row[f'p_{key}_above_0.9_low'], row[f'p_{key}_above_0.9_high'] = (
                    bootstrap_interval(above, reps)
                )
        else:
            for reference, key in ((best, 'vs_best_fixed'), ('uniform', 'vs_uniform')):
                if reference is None or reference not in set(runs['method']):
                    continue
                values, geometric = _quality_ratio(task, runs, method, reference)
                mean, low, high = bootstrap_interval(values, reps)
                if geometric:
                    mean, low, high = math.exp(mean), math.exp(low), math.exp(high)
                row[key], row[f'{key}_low'], row[f'{key}_high'] = mean, low, high
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------
# The command's benchmark object.


@gin.configurable
class BanditTestbed:
    """The grid: tasks × configurations × seeds.

    Args:
      configurations: names from ``CONFIGURATIONS``.
      tasks: names of the tasks (``task_names()``); default all.
      num_seeds, first_seed: seeds first_seed .. first_seed + num_seeds - 1.
      functions, optimizers: the test-function tasks.
      bootstrap_reps: resamples of each interval.
    """

    def __init__(
        self,
        configurations=tuple(CONFIGURATIONS),
        tasks=None,
        num_seeds=20,
        first_seed=10,
        functions=tuple(test_functions.FUNCTIONS),
        optimizers=('sgd', 'adam'),
        bootstrap_reps=2000,
        synthetic_steps_scale=1.0,
    ):
        validation.require(
            len(configurations) > 0 and all(c in CONFIGURATIONS for c in configurations),
            'BanditTestbed.configurations',
            configurations,
            f'a non-empty list of names from {", ".join(CONFIGURATIONS)}',
        )
        for binding, value, low in (
            ('num_seeds', num_seeds, 1),
            ('first_seed', first_seed, 0),
            ('bootstrap_reps', bootstrap_reps, 1),
        ):
            validation.require(validation.is_int(value, low), f'BanditTestbed.{binding}', value, f'an integer >= {low}')
        validation.require(
            validation.is_real(synthetic_steps_scale) and 0 < synthetic_steps_scale <= 1,
            'BanditTestbed.synthetic_steps_scale',
            synthetic_steps_scale,
            'in (0, 1] (shorter synthetic runs, for tests)',
        )
        all_tasks = build_tasks(functions, optimizers, synthetic_steps_scale)
        names = [t.name for t in all_tasks]
        validation.require(
            tasks is None or (len(tasks) > 0 and all(t in names for t in tasks)),
            'BanditTestbed.tasks',
            tasks,
            f'None (all) or a non-empty list of names from {", ".join(names)}',
        )
        self.tasks = [t for t in all_tasks if tasks is None or t.name in tasks]
        self.configurations = [CONFIGURATIONS[c] for c in configurations]
        self.seeds = list(range(first_seed, first_seed + num_seeds))
        self.bootstrap_reps = int(bootstrap_reps)

    def run(self, log=None):
        results = TestbedResults(self)
        for task in self.tasks:
            results.add(task, run_task(task, self.configurations, self.seeds, log))
        return results


def build_tasks(functions=tuple(test_functions.FUNCTIONS), optimizers=('sgd', 'adam'), synthetic_steps_scale=1.0):
    synthetic = [
        dataclasses.replace(
            t,
            steps=max(int(t.steps * synthetic_steps_scale), 4 * WARMUP),
            noise_rounds=max(int(t.noise_rounds * synthetic_steps_scale), 10) if t.noise_rounds else 0,
        )
        for t in _synthetic_tasks()
    ]
    return synthetic + list(_numpy_tasks(functions, optimizers))


OUTPUT_FILES = ('testbed.md', 'testbed.csv', 'testbed_runs.csv', 'testbed.png', 'testbed_config.gin')


class TestbedResults:
    def __init__(self, testbed):
        self.testbed = testbed
        self.runs = []
        self.summaries = []

    def add(self, task, runs):
        self.runs.append(runs)
        self.summaries.append(summarise(task, runs, self.testbed.bootstrap_reps))

    def table(self):
        return pd.concat(self.summaries, ignore_index=True)

    def runs_frame(self):
        return pd.concat(self.runs, ignore_index=True)

    def markdown(self):
        t = self.testbed
        table = self.table()
        out = io.StringIO()
        out.write(
            '# Bandit testbed\n\n'
            f'Seeds {t.seeds[0]}–{t.seeds[-1]} ({len(t.seeds)} per cell). Produced by `python -m lrrl.bandit_testbed` '
            '(settings in testbed_config.gin; tasks and scores: `lrrl/benchmarks/bandit_testbed.py`). Cells: mean '
            '[95% bootstrap interval over seeds]. Configurations: '
            + ', '.join(f'`{c.name}`' for c in t.configurations)
            + '.\n'
        )
        sections = (
            (
                'best_arm_share',
                'Share of gradient updates on the best arm',
                "the task's best arm (numpy tasks: the best fixed arm on these seeds, chosen after the fact)",
            ),
            (
                'destructive_lock_in',
                'Lock-in on the destructive arm',
                'share of seeds whose second half put > 50% of its updates on the destructive arm',
            ),
            (
                'vs_best_fixed',
                'Final quality relative to the best fixed arm',
                'per-seed ratio, > 1 better (synthetic: mean quality over the last 10%; numpy tasks: geometric mean of final-loss ratios)',
            ),
            ('vs_uniform', 'Final quality relative to UniformBandit', 'as above, against `uniform`'),
            (
                'p_max_p_final_above_0.9',
                'Pure noise: P(max probability > 0.9) after 1,000 rounds',
                'returns independent of the arm',
            ),
            ('p_max_p_200_above_0.9', 'Pure noise: P(max probability > 0.9) after 200 rounds', ''),
        )
        methods = [c.name for c in t.configurations]
        for key, title, note in sections:
            if key not in table:
                continue
            sub = table[table[key].notna()]
            if sub.empty:
                continue
            out.write(f'\n## {title}\n\n{note}\n\n' if note else f'\n## {title}\n\n')
            rows = []
            for task in sub['task'].unique():
                cells = [task]
                for method in methods:
                    r = sub[(sub['task'] == task) & (sub['method'] == method)]
                    cells.append(_cell(r.iloc[0], key) if len(r) else '')
                rows.append(cells)
            out.write(tables.markdown_table(['task'] + methods, rows))
        return out.getvalue()

    def plot(self):
        import matplotlib  # pylint: disable=g-import-not-at-top

        matplotlib.use('Agg')
        from matplotlib import pyplot as plt  # pylint: disable=g-import-not-at-top

        table = self.table()
        methods = [c.name for c in self.testbed.configurations]
        panels = [k for k in ('best_arm_share', 'vs_best_fixed', 'vs_uniform') if k in table]
        figure, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 0.35 * table['task'].nunique() + 2))
        axes = np.atleast_1d(axes)
        for axis, key in zip(axes, panels):
            sub = table[table[key].notna()]
            tasks = list(sub['task'].unique())
            for j, method in enumerate(methods):
                m = sub[sub['method'] == method].set_index('task').reindex(tasks)
                y = np.arange(len(tasks)) + (j - len(methods) / 2) * 0.8 / len(methods)
                err = np.vstack([m[key] - m[f'{key}_low'], m[f'{key}_high'] - m[key]])
                axis.errorbar(m[key], y, xerr=np.abs(err), fmt='o', markersize=3, label=method)
            axis.set_yticks(np.arange(len(tasks)))
            axis.set_yticklabels(tasks, fontsize=7)
            axis.set_title(key, fontsize=9)
            if key != 'best_arm_share':
                axis.set_xscale('log')
                axis.axvline(1.0, color='grey', linewidth=0.8)
        axes[0].legend(fontsize=7)
        figure.suptitle(f'bandit testbed, seeds {self.testbed.seeds[0]}–{self.testbed.seeds[-1]}', fontsize=10)
        figure.tight_layout()
        return figure

    def write(self, output_dir):
        from matplotlib import pyplot as plt  # pylint: disable=g-import-not-at-top

        paths = [
            outputs.write_text(output_dir, 'testbed.md', self.markdown()),
            outputs.write_text(output_dir, 'testbed.csv', self.table().to_csv(index=False)),
            outputs.write_text(output_dir, 'testbed_runs.csv', self.runs_frame().to_csv(index=False)),
        ]
        figure = self.plot()
        paths.append(outputs.save_figure(figure, output_dir, 'testbed.png'))
        plt.close(figure)
        return paths


def _cell(row, key):
    value = row[key]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ''
    return f'{value:.2f} [{row[f"{key}_low"]:.2f}, {row[f"{key}_high"]:.2f}]'


# ---------------------------------------------------------------------------
# Choosing the default.

SELECTION_OUTPUT_FILES = ('selection.md', 'selection.csv', 'selection_config.gin')


@gin.configurable
class DefaultSelection:
    """Runs ``candidates()`` and ``uniform`` on the selection seeds and applies the rule.

    Two stages, to keep it to minutes: all candidates on the synthetic tasks
    (cheap), then the ``finalists`` with the fewest violations there (ties:
    the best score) on every task. The numpy tasks run no fixed arms here
    (the rule compares with ``uniform`` only).

    The rule (fixed before any held-out number was seen): a candidate
    *violates* a target for each of these that fails on the selection seeds:
    best-arm share >= 0.8 on each destructive task; best-arm share above
    ``uniform``'s on each synthetic task with a best arm; P(max probability
    > 0.9) <= 0.05 after 1,000 rounds of pure noise; final quality on
    MaclaurinNet at least ``uniform``'s. Among the candidates with the fewest
    violations, the one with the highest geometric mean over all tasks (but
    pure noise) of its final quality relative to ``uniform`` is chosen.

    Args:
      num_seeds, first_seed: the selection seeds (0-9; the testbed reports on 10-29).
      functions, optimizers: the test-function tasks.
    """

    def __init__(
        self,
        num_seeds=10,
        first_seed=0,
        finalists=8,
        functions=tuple(test_functions.FUNCTIONS),
        optimizers=('sgd', 'adam'),
    ):
        for binding, value, low in (
            ('num_seeds', num_seeds, 1),
            ('first_seed', first_seed, 0),
            ('finalists', finalists, 1),
        ):
            validation.require(
                validation.is_int(value, low), f'DefaultSelection.{binding}', value, f'an integer >= {low}'
            )
        self.seeds = list(range(first_seed, first_seed + num_seeds))
        self.tasks = build_tasks(functions, optimizers)
        self.candidates = candidates()
        self.finalists = int(finalists)

    def run(self, log=None):
        uniform = CONFIGURATIONS['uniform']
        synthetic = [t for t in self.tasks if isinstance(t, SyntheticTask)]
        first = pd.concat(
            [summarise(t, run_task(t, [uniform] + self.candidates, self.seeds, log), 200) for t in synthetic],
            ignore_index=True,
        )
        kept = list(score_candidates(first)['method'][: self.finalists])
        finalists = [c for c in self.candidates if c.name in kept]
        rest = [t for t in self.tasks if not isinstance(t, SyntheticTask)]
        second = pd.concat(
            [summarise(t, run_task(t, [uniform] + finalists, self.seeds, log, fixed_arms=False), 200) for t in rest],
            ignore_index=True,
        )
        final = pd.concat([first[first['method'].isin(kept + ['uniform'])], second], ignore_index=True)
        return SelectionResults(self, final, first)


def score_candidates(table):
    """Violations and score of each method in a testbed summary table (``DefaultSelection``'s rule)."""
    uniform = table[table['method'] == 'uniform'].set_index('task')
    rows = []
    for method, group in table[table['method'] != 'uniform'].groupby('method', sort=False):
        group = group.set_index('task')
        violations = []
        for task, r in group.iterrows():
            if 'destructive_lock_in' in r and not pd.isna(r.get('destructive_lock_in')) and r['best_arm_share'] < 0.8:
                violations.append(f'{task}: best-arm share {r["best_arm_share"]:.2f} < 0.8')
            if (
                task in SYNTHETIC_NAMES
                and not pd.isna(r.get('best_arm_share'))
                and r['best_arm_share'] <= uniform.loc[task, 'best_arm_share']
            ):
                violations.append(
                    f'{task}: best-arm share {r["best_arm_share"]:.2f} <= uniform {uniform.loc[task, "best_arm_share"]:.2f}'
                )
            if not pd.isna(r.get('p_max_p_final_above_0.9')) and r['p_max_p_final_above_0.9'] > 0.05:
                violations.append(f'{task}: P(max p > 0.9) = {r["p_max_p_final_above_0.9"]:.2f} > 0.05')
            if task == 'maclaurin' and r['vs_uniform'] < 1:
                violations.append(f'maclaurin: {r["vs_uniform"]:.2f}x uniform < 1')
        ratios = group['vs_uniform'].dropna().to_numpy()
        score = float(np.exp(np.mean(np.log(np.clip(ratios, 1e-3, 1e3))))) if ratios.size else math.nan
        rows.append({'method': method, 'violations': len(violations), 'score': score, 'failed': '; '.join(violations)})
    scores = pd.DataFrame(rows)
    return scores.sort_values(['violations', 'score'], ascending=[True, False], ignore_index=True)


SYNTHETIC_NAMES = tuple(t.name for t in _synthetic_tasks())


class SelectionResults:
    def __init__(self, selection, table, first_stage):
        self.selection = selection
        self.table = table
        self.scores = score_candidates(table)
        self.first_stage = first_stage
        self.first_scores = score_candidates(first_stage)

    @property
    def chosen(self):
        return self.scores.iloc[0]['method']

    def markdown(self):
        s = self.selection
        out = io.StringIO()
        out.write(
            "# Choosing LRRL's default on the selection seeds\n\n"
            f'Seeds {s.seeds[0]}–{s.seeds[-1]}, every testbed task, {len(s.candidates)} candidates '
            '(`lrrl.benchmarks.bandit_testbed.candidates`) and `uniform`. Produced by '
            '`python -m lrrl.bandit_testbed --select`. Rule: fewest violated targets, then the highest geometric '
            'mean of the final quality relative to `uniform` over the tasks (`DefaultSelection`).\n\n'
            f'**Chosen: `{self.chosen}`.**\n\n'
        )
        header = ['candidate', 'violated targets', 'quality vs uniform (geo. mean)', 'which']
        out.write(f'## Stage 2: the {len(self.scores)} finalists on every task\n\n')
        rows = [
            [r['method'], r['violations'], f'{r["score"]:.3f}', r['failed'] or '-'] for _, r in self.scores.iterrows()
        ]
        out.write(tables.markdown_table(header, rows))
        out.write(f'\n## Stage 1: all {len(self.first_scores)} candidates on the synthetic tasks\n\n')
        rows = [
            [r['method'], r['violations'], f'{r["score"]:.3f}', r['failed'] or '-']
            for _, r in self.first_scores.iterrows()
        ]
        out.write(tables.markdown_table(header, rows))
        return out.getvalue()

    def write(self, output_dir):
        return [
            outputs.write_text(output_dir, 'selection.md', self.markdown()),
            outputs.write_text(
                output_dir, 'selection.csv', pd.concat([self.first_stage, self.table]).to_csv(index=False)
            ),
        ]
