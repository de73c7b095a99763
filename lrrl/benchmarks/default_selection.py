"""Choosing LRRL's default bandit with real agents in the loop (numpy; docs/bandits.md).

The candidates, tasks, seeds and the rule's constants are data:
``configs/selection/default_selection.toml``, read and checked by ``read_plan``.
``python -m lrrl.select_default`` runs the stages; this module holds what they
compute, from plain arrays (the command reads the runs with ``lrrl.analysis``):

- stage 1, without an agent: which signals carry the arm's effect (the
  information test's p-values, Holm-corrected by ``lrrl.analysis.small_sample``, ``eligible``), whether a
  candidate locks onto an arm when its feedback is independent of the arm
  (``lock_in``), and how much of a signal's arm effect it captures on replay
  tasks built from recorded UniformBandit rounds (``replay_score``);
  ``finalists`` applies the rule;
- stage 2, with real agents: ``relative_final_return`` and ``choose``.

A replay task: at round n of N, the feedback of the arm played is a recorded
round of that arm from the same stretch of a run (phase n/N ± ``PHASE_WINDOW``),
drawn at random. Recorded under UniformBandit, the arm of a round did not depend
on the network, so the recorded feedback of an arm at a phase is what playing it
there gives, up to the network state a uniform mix of arms led to.
"""

import ast
import dataclasses
import itertools
import math
import os
import tomllib

import numpy as np

from lrrl import errors
from lrrl import gin_files
from lrrl.analysis import small_sample
from lrrl.control import bandits

PLAN = os.path.join(gin_files.CONFIG_DIR, 'selection', 'default_selection.toml')
PHASE_WINDOW = 0.05
PHASE_BINS = 10
# The report's cells per task: the chosen default, the default before it, paper-literal LRRL, uniform.
REPORT_ROLES = ('default', 'v1', 'paper_literal', 'uniform')
BANDIT_CLASSES = ('Exp3Bandit', 'ClassicExp3Bandit', 'Exp3IXBandit', 'DiscountedUCBBandit')


class PlanError(errors.ConfigError):
    """A selection plan that is not allowed (names the file, the key and the value)."""


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One bandit setting with one feedback signal and one round length."""

    bandit: str  # the plan's bandit name (e.g. 'exp3_ix')
    bandit_class: str
    fixed: tuple  # ((parameter, gin literal), ...)
    grid: tuple  # ((parameter, number), ...): this candidate's point of the grid
    signal: str
    kappa: float

    @property
    def bandit_params(self):
        return self.fixed + tuple((k, repr(float(v))) for k, v in self.grid)

    @property
    def setting(self):
        """The bandit setting's name, e.g. 'exp3_ix_learning_rate0.1'."""
        return '_'.join([self.bandit] + [f'{k}{v:g}' for k, v in self.grid])

    @property
    def name(self):
        return f'{self.setting}+{self.signal}+k{self.kappa:g}'

    def make_bandit(self, num_arms, seed=None):
        params = {k: ast.literal_eval(v) for k, v in self.bandit_params}
        return getattr(bandits, self.bandit_class)(num_arms=num_arms, seed=seed, **params)

    def gin_bindings(self, signal_bindings, burn_in):
        """The bindings that make a run use this candidate (after a method file's controller)."""
        lines = [
            'lrrl.create_agent.learning_rate_controller = @BanditLearningRate()',
            f'BanditLearningRate.bandit = @{self.bandit_class}',
            f'BanditLearningRate.round_fraction = {self.kappa!r}',
            f'BanditLearningRate.burn_in = {burn_in!r}',
        ]
        lines += [f'{self.bandit_class}.{k} = {v}' for k, v in self.bandit_params]
        return lines + list(signal_bindings)


@dataclasses.dataclass
class Plan:
    """The selection plan (``configs/selection/default_selection.toml``)."""

    kappas: tuple
    burn_in: float
    tasks: dict  # name -> {'sweep': ..., 'random': {...}}
    signals: dict  # name -> {'replay': column, 'bindings': [...]}
    bandits: dict  # name -> {'class': ..., 'fixed': {...}, 'grid': {...}}
    stage1: dict
    stage2: dict
    report: dict
    source: str = PLAN

    def candidates(self):
        """Every candidate: bandit settings (their grids crossed) x signals x round lengths."""
        found = []
        for name, spec in self.bandits.items():
            fixed = tuple(sorted((k, str(v)) for k, v in spec.get('fixed', {}).items()))
            grid = spec.get('grid', {})
            keys = sorted(grid)
            for values in itertools.product(*(grid[k] for k in keys)):
                point = tuple((k, float(v)) for k, v in zip(keys, values))
                for signal in self.signals:
                    for kappa in self.kappas:
                        found.append(Candidate(name, spec['class'], fixed, point, signal, float(kappa)))
        return found


def _require(where, ok, value, allowed):
    if not ok:
        raise PlanError(f'{where} = {value!r} is not allowed: it must be {allowed}.')


def read_plan(path=PLAN):
    """The plan, checked; ``PlanError`` naming the file, the key and the bad value."""
    try:
        with open(path, 'rb') as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise PlanError(f'{path}: no such selection plan.') from None
    except tomllib.TOMLDecodeError as e:
        raise PlanError(f'{path} is not valid TOML: {e}') from e
    at = os.path.basename(path)
    for key in ('kappas', 'burn_in', 'tasks', 'signals', 'bandits', 'stage1', 'stage2', 'report'):
        _require(f'{at}: {key}', key in data, None, 'present')
    kappas = data['kappas']
    _require(f'{at}: kappas', isinstance(kappas, list) and kappas and all(0 < k <= 1 for k in kappas), kappas,
             'a non-empty list of shares of the run in (0, 1]')
    _require(f'{at}: burn_in', 0 <= data['burn_in'] < 1, data['burn_in'], 'in [0, 1)')
    for name, task in data['tasks'].items():
        _require(f'{at}: tasks.{name}.sweep', isinstance(task.get('sweep'), str), task.get('sweep'), 'a sweep name')
        random = task.get('random')
        _require(f'{at}: tasks.{name}.random', isinstance(random, dict) and ('gym' in random or 'minatar' in random),
                 random, '{ gym = "<Gymnasium id>", max_steps = N } or { minatar = "<game>" }')
    report_tasks = data['report'].get('tasks', {})
    _require(f'{at}: report.tasks', set(report_tasks) == set(data['tasks']), sorted(report_tasks), f'the tasks {sorted(data["tasks"])}')
    for name, task in report_tasks.items():
        cells = task.get('cells', {})
        _require(f'{at}: report.tasks.{name}.cells', set(cells) == set(REPORT_ROLES), sorted(cells), f'the roles {REPORT_ROLES}')
    for name, signal in data['signals'].items():
        _require(f'{at}: signals.{name}.replay', isinstance(signal.get('replay'), str), signal.get('replay'),
                 'a column of lrrl.analysis.arm_information.round_signals')
        _require(f'{at}: signals.{name}.bindings', isinstance(signal.get('bindings'), list), signal.get('bindings'),
                 'a list of gin bindings')
    for name, spec in data['bandits'].items():
        _require(f'{at}: bandits.{name}.class', spec.get('class') in BANDIT_CLASSES, spec.get('class'),
                 f'one of {BANDIT_CLASSES}')
        for key, value in spec.get('fixed', {}).items():
            try:
                ast.literal_eval(str(value))
            except (ValueError, SyntaxError):
                raise PlanError(f'{at}: bandits.{name}.fixed.{key} = {value!r} is not a gin literal.') from None
        for key, values in spec.get('grid', {}).items():
            _require(f'{at}: bandits.{name}.grid.{key}', isinstance(values, list) and values, values,
                     'a non-empty list of numbers')
    plan = Plan(
        kappas=tuple(float(k) for k in kappas),
        burn_in=float(data['burn_in']),
        tasks=data['tasks'],
        signals=data['signals'],
        bandits=data['bandits'],
        stage1=data['stage1'],
        stage2=data['stage2'],
        report=data['report'],
        source=path,
    )
    # Every candidate builds (its parameters are checked by its class).
    for candidate in {c.setting: c for c in plan.candidates()}.values():
        try:
            candidate.make_bandit(3, seed=0)
        except (errors.ConfigError, TypeError) as e:
            raise PlanError(f'{at}: bandits.{candidate.bandit}: {e}') from e
    return plan


# ---------------------------------------------------------------------------
# Stage 1.


def eligible(p_values, alpha, informative_tasks):
    """The (signal, kappa) pairs whose information test rejects on enough tasks.

    ``p_values``: {task: {(signal, kappa): p}}; Holm runs within each task over its pairs.
    """
    rejected = {}
    for task, by_pair in p_values.items():
        pairs = sorted(by_pair)
        for pair, adjusted in zip(pairs, small_sample.holm([by_pair[pair] for pair in pairs])):
            rejected.setdefault(pair, 0)
            rejected[pair] += adjusted < alpha
    return sorted(pair for pair, count in rejected.items() if count >= informative_tasks)


@dataclasses.dataclass
class ReplayTask:
    """The recorded rounds of one task at one round length, for one signal.

    Attributes:
      num_arms: K.
      rounds: the rounds a recorded run has (mean over runs).
      arms, phases, values: every recorded round of every run (values NaN-free).
      z_means: PHASE_BINS x K, each arm's mean standardised signal per phase bin.
    """

    num_arms: int
    rounds: int
    arms: np.ndarray
    phases: np.ndarray
    values: np.ndarray
    z_means: np.ndarray

    def __post_init__(self):
        self._pools = []
        for arm in range(self.num_arms):
            mask = self.arms == arm
            order = np.argsort(self.phases[mask])
            self._pools.append((self.phases[mask][order], self.values[mask][order]))

    def draw(self, arm, phase, rng):
        """A recorded value of ``arm`` from phase ± PHASE_WINDOW (the nearest rounds if none there)."""
        phases, values = self._pools[arm]
        low, high = np.searchsorted(phases, [phase - PHASE_WINDOW, phase + PHASE_WINDOW])
        if high <= low:
            nearest = int(np.clip(np.searchsorted(phases, phase), 0, len(phases) - 1))
            low, high = max(nearest - 2, 0), min(nearest + 3, len(phases))
        return float(values[rng.integers(low, high)])


def replay_task(runs, num_arms):
    """A ``ReplayTask`` from ``[(arms, phases, values, z), ...]`` per recorded run (NaN values dropped)."""
    arms, phases, values, zs = (np.concatenate([np.asarray(r[i], dtype=float) for r in runs]) for i in range(4))
    keep = np.isfinite(values) & np.isfinite(zs)
    arms, phases, values, zs = arms[keep].astype(int), phases[keep], values[keep], zs[keep]
    bins = np.minimum((phases * PHASE_BINS).astype(int), PHASE_BINS - 1)
    z_means = np.zeros((PHASE_BINS, num_arms))
    for b in range(PHASE_BINS):
        for k in range(num_arms):
            selected = zs[(bins == b) & (arms == k)]
            z_means[b, k] = selected.mean() if len(selected) else 0.0
    rounds = max(1, int(round(np.mean([len(r[0]) for r in runs]))))
    return ReplayTask(num_arms, rounds, arms, phases, values, z_means)


def replay_score(candidate, task, runs, seed=0):
    """The share of the signal's arm effect the candidate captures on ``task`` (mean over ``runs`` runs).

    Per round: the played arm's mean standardised signal at that phase, minus the
    mean over arms (a uniform choice's), over the best arm's minus that mean; 1
    is always the arm the signal favours, 0 a uniform choice.
    """
    rng = np.random.default_rng(seed)
    gained = available = 0.0
    for run in range(runs):
        bandit = candidate.make_bandit(task.num_arms, seed=seed * 1000 + run)
        arm = bandit.select_arm()
        for n in range(task.rounds):
            phase = (n + 0.5) / task.rounds
            bandit.update(task.draw(arm, phase, rng))
            local = task.z_means[min(int(phase * PHASE_BINS), PHASE_BINS - 1)]
            gained += local[arm] - local.mean()
            available += local.max() - local.mean()
            arm = bandit.select_arm()
    return gained / available if available > 0 else 0.0


def _largest_probability(bandit, plays):
    if isinstance(bandit, bandits.DiscountedUCBBandit):
        recent = np.bincount(plays[-100:], minlength=bandit.num_arms)
        return recent.max() / max(len(plays[-100:]), 1)
    return float(np.max(bandit.probabilities()))


def lock_in(candidate, values, num_arms, rounds, runs, max_share, seed=0):
    """(P(largest p > max_share) in recorded order, the same drawn i.i.d.): feedback independent of the arm.

    ``values``: the signal's recorded values (one array per recorded run, in
    order); each bandit run plays ``rounds`` rounds of them, whatever its arm.
    """
    rng = np.random.default_rng(seed)
    pooled = np.concatenate([v[np.isfinite(v)] for v in values])
    locked = [0, 0]
    for run in range(runs):
        ordered = []
        while len(ordered) < rounds:
            sequence = values[rng.integers(len(values))]
            ordered.extend(sequence[np.isfinite(sequence)].tolist())
        for mode, feed in enumerate((ordered[:rounds], rng.choice(pooled, size=rounds))):
            bandit = candidate.make_bandit(num_arms, seed=seed * 1000 + run)
            plays = []
            for value in feed:
                plays.append(bandit.select_arm())
                bandit.update(float(value))
            locked[mode] += _largest_probability(bandit, np.asarray(plays)) > max_share
    return locked[0] / runs, locked[1] / runs


def same_signals(signals, replays):
    """{signal: the earliest signal (in ``signals``' order) whose replayed values equal it on every task}.

    ``replays``: {(task, signal, kappa): ReplayTask}. A guard that never fires
    leaves its signal as it is: the two are one signal.
    """
    keys = sorted({(task, kappa) for task, _, kappa in replays})
    canonical = {}
    for index, signal in enumerate(signals):
        canonical[signal] = signal
        for earlier in signals[:index]:
            if canonical[earlier] == earlier and all(
                np.array_equal(replays[(t, signal, k)].values, replays[(t, earlier, k)].values) for t, k in keys
            ):
                canonical[signal] = earlier
                break
    return canonical


def finalists(scores, lock_ins, eligible_pairs, max_lock_in, count, canonical=None):
    """Stage 1's rule: per eligible signal, its best candidate without lock-in; the ``count`` best signals.

    ``scores``: {candidate name: mean replay score over tasks}; ``lock_ins``:
    {candidate name: worst P(lock-in) over the noise tests and tasks};
    ``eligible_pairs``: [(signal, kappa)]; ``canonical``: ``same_signals``'
    map (a signal equal to an earlier one is left out). Returns
    [(candidate name, score)], the best first.
    """
    best = {}
    for name, score in scores.items():
        _, signal, kappa = name.split('+')
        if canonical is not None and canonical.get(signal, signal) != signal:
            continue
        if (signal, float(kappa[1:])) not in eligible_pairs or lock_ins.get(name, 1.0) > max_lock_in:
            continue
        if signal not in best or score > best[signal][1]:
            best[signal] = (name, score)
    return sorted(best.values(), key=lambda item: -item[1])[:count]


# ---------------------------------------------------------------------------
# Stage 2.


def relative_final_return(candidate_returns, uniform_returns, random_return):
    """(mean candidate - random) / (mean uniform - random); NaN if uniform is not above random."""
    denominator = float(np.mean(uniform_returns)) - random_return
    if not denominator > 0:
        return math.nan
    return (float(np.mean(candidate_returns)) - random_return) / denominator


def geometric_mean(values):
    values = np.asarray(values, dtype=float)
    if np.any(~np.isfinite(values)) or np.any(values <= 0):
        return math.nan if np.any(~np.isfinite(values)) else 0.0
    return float(np.exp(np.mean(np.log(values))))


def choose(relative):
    """The rule: the finalist with the highest geometric mean of relative final return over tasks.

    ``relative``: {candidate name: {task: relative final return}}. Returns (name, geometric mean).
    """
    means = {name: geometric_mean(list(by_task.values())) for name, by_task in relative.items()}
    ranked = sorted(means.items(), key=lambda item: (-np.nan_to_num(item[1], nan=-np.inf), item[0]))
    return ranked[0]


def random_policy_return(environment_id, max_steps, episodes=1000, seed=0):
    """The mean return of uniform random actions on a Gymnasium task, episodes capped at ``max_steps``."""
    import warnings  # pylint: disable=g-import-not-at-top

    import gymnasium  # pylint: disable=g-import-not-at-top

    with warnings.catch_warnings():  # CartPole-v0 is "out of date": it is the task the runs use
        warnings.simplefilter('ignore')
        environment = gymnasium.make(environment_id, max_episode_steps=max_steps)
    environment.action_space.seed(seed)
    returns = []
    for episode in range(episodes):
        environment.reset(seed=seed + episode)
        total, done = 0.0, False
        while not done:
            _, reward, terminated, truncated, _ = environment.step(environment.action_space.sample())
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    environment.close()
    return float(np.mean(returns))
