r"""The stationary benchmark: bandit configurations against each fixed rate on six test functions.

  python -m lrrl.stationary [--output_dir=results/stationary] \
      [--gin_files=stationary/functions.gin] [--gin_bindings=...] [--overwrite]

For every test function (``lrrl.benchmarks.test_functions``) and optimizer (SGD, Adam,
RMSProp from ``lrrl.control.numpy_optimizers``), gradient descent from ``num_seeds``
random starts in the function's domain runs once with each fixed rate of the
optimizer's candidate set and once with each bandit configuration of
``StationaryBenchmark.bandits`` over that set (docs/method.md, "Stationary
optimisation"; ``lrrl.benchmarks.bandit_configurations``). By default:

- ``LRRL``: the project's default bandit (``configs/lrrl/bandit.gin``:
  Exp3Bandit α 1, δ 0.99 on every arm, 1/max(e^w, 1); feedback the round's
  value min-max scaled over the run; burn-in 0.5), rounds of κ steps;
- ``LRRL paper-literal``: the project's first configuration (α 0.2, δ 0.9 on
  the played arm, improvement over the last 5 rounds divided by their spread),
  rounds of κ per-step values, no burn-in;
- ``uniform``: a uniformly random rate every round, rounds as ``LRRL``.

The controller receives ``-f(x_t)`` after every step (a one-step "episode");
a round is κ = ``steps_per_round`` steps and its value is the mean of these
over the round (after the burn-in). Seed s draws the same start for every
method, and seeds the bandit.

Divergence: a run whose iterate or objective becomes non-finite ends there and
is recorded as diverged (its step is kept); its controller gets no feedback
after that, so the bandit only ever sees finite feedback. A diverged run's
final objective counts as +inf when methods are ranked.

Writes into ``--output_dir`` (refusing to replace existing files without
``--overwrite``): ``functions_table.md`` and ``functions_table.csv`` (final
objective gap f(x_T) - f*, mean ± std over the seeds that did not diverge,
diverged count, each method's rank among all methods and among the fixed
rates and itself; a summary of each bandit configuration against the best
fixed rate and the other configurations), ``functions_runs.csv`` (one row per
run), ``functions_curves.png`` (median objective gap over steps),
``functions_lrrl_rates.png`` (the share of each bandit configuration's steps on
each rate over steps) and ``functions_config.gin``.
"""

import io
import math
import time

import gin
import numpy as np
import pandas as pd

from lrrl import tables
from lrrl.benchmarks import bandit_configurations
from lrrl.control import bandits as bandit_lib
from lrrl.benchmarks import outputs
from lrrl.control import controllers
from lrrl.control import numpy_optimizers
from lrrl.benchmarks import loss_probe
from lrrl.benchmarks import test_functions
from lrrl import validation

# Chosen after a sweep of single rates (d = 10, 2,000 steps, 10 seeds; the
# command is in results/stationary/README.md): each set spans four decades and
# holds a rate that diverges or oscillates on some functions and one that
# stalls on others.
DEFAULT_CANDIDATE_RATES = {
    'sgd': (1e-4, 1e-3, 1e-2, 1e-1),
    'adam': (1e-3, 1e-2, 1e-1, 1.0),
    'rmsprop': (1e-3, 1e-2, 1e-1, 1.0),
}

# The label of the project's default bandit in the default ``StationaryBenchmark.bandits``.
LRRL = 'LRRL'
OUTPUT_FILES = (
    'functions_table.md',
    'functions_table.csv',
    'functions_runs.csv',
    'functions_curves.png',
    'functions_lrrl_rates.png',
    'functions_config.gin',
)


def fixed_label(rate):
    return f'fixed {rate:g}'


def optimise(function, optimizer_name, rate_controllers, starts, steps):
    """Gradient descent from each row of ``starts``, each row with its own controller.

    All rows are optimised together (one array, one optimizer whose
    ``learning_rate`` holds each row's current rate; the moments are per row).

    Returns:
      gaps: (rows, steps + 1) objective gap f(x_t) - f*, nan once diverged.
      rates: (rows, steps) the rate each step used, nan once diverged.
      diverged_at: (rows,) the step whose iterate was non-finite, -1 if none.
    """
    x = np.array(starts, dtype=np.float64)
    rows, dimension = x.shape
    # The run's length, as the RL runner tells it: a controller whose rounds
    # are a share of the run (BanditLearningRate.round_fraction) resolves them.
    for controller in {id(c): c for c in rate_controllers}.values():
        controller.set_run_length(steps)
    minimum = function.minimum(dimension)
    optimizer = numpy_optimizers.create(optimizer_name)
    # A feedback that reads the loss gets each row's current gap to the minimum.
    with np.errstate(all='ignore'):
        current_gaps = function.value(x) - minimum
    loss_probe.attach(rate_controllers, lambda row: max(current_gaps[row], 0.0), function.name)
    gaps = np.full((rows, steps + 1), np.nan)
    rates = np.full((rows, steps), np.nan)
    diverged_at = np.full(rows, -1)
    alive = np.ones(rows, dtype=bool)
    # A diverged row keeps being computed as inf/nan (cheaper than removing
    # it) but is masked out of every record and gets no more feedback.
    with np.errstate(all='ignore'):
        for t in range(steps + 1):
            values = function.value(x)
            newly_diverged = alive & ~(np.isfinite(values) & np.all(np.isfinite(x), axis=-1))
            diverged_at[newly_diverged] = t
            alive &= ~newly_diverged
            gaps[alive, t] = values[alive] - minimum
            current_gaps[:] = values - minimum
            if t > 0:
                # Feedback for the step just made: -f at the new iterate (finite
                # here); the controller averages κ of them into a round.
                for row in np.flatnonzero(alive):
                    rate_controllers[row].end_episode(-float(values[row]), t)
            if t == steps:
                break
            current = np.array([c.rate for c in rate_controllers])
            rates[alive, t] = current[alive]
            optimizer.learning_rate = current[:, None]
            optimizer.apply_gradients([x], [function.gradient(x)])
    return gaps, rates, diverged_at


@gin.configurable
class StationaryBenchmark:
    """The grid: functions × optimizers × (each fixed rate, each bandit configuration) × seeds.

    Args:
      functions: names from ``lrrl.benchmarks.test_functions.FUNCTIONS``.
      optimizers: names from ``lrrl.control.numpy_optimizers.OPTIMIZERS``.
      candidate_rates: {optimizer name: candidate set}; defaults to
        ``DEFAULT_CANDIDATE_RATES`` for the optimizers it does not name.
      dimension: d, the number of variables.
      steps: optimizer steps per run.
      num_seeds: runs per method (seeds first_seed .. first_seed + n - 1).
      steps_per_round: κ, optimizer steps per bandit round.
      bandits: {table label: configuration name from
        ``bandit_configurations.CONFIGURATIONS``}, the bandit columns in this
        order; default ``bandit_configurations.DEFAULT_BANDITS`` (LRRL's
        default, the paper-literal configuration, uniform).
      first_seed: the first seed.
    """

    def __init__(
        self,
        functions=tuple(test_functions.FUNCTIONS),
        optimizers=tuple(DEFAULT_CANDIDATE_RATES),
        candidate_rates=None,
        dimension=10,
        steps=2000,
        num_seeds=10,
        steps_per_round=10,
        bandits=None,
        first_seed=0,
    ):
        validation.require(
            len(functions) > 0, 'StationaryBenchmark.functions', functions, 'a non-empty list of function names'
        )
        self.functions = [test_functions.get(name) for name in functions]
        validation.require(
            len(optimizers) > 0 and all(name in numpy_optimizers.OPTIMIZERS for name in optimizers),
            'StationaryBenchmark.optimizers',
            optimizers,
            f'a non-empty list of names from {", ".join(numpy_optimizers.OPTIMIZERS)}',
        )
        self.optimizers = list(optimizers)
        rates = dict(DEFAULT_CANDIDATE_RATES)
        rates.update(candidate_rates or {})
        self.candidate_rates = {}
        for name in self.optimizers:
            # BanditLearningRate checks the set (non-empty, finite, > 0, distinct).
            controllers.BanditLearningRate(rates[name], bandit=bandit_lib.UniformBandit)
            self.candidate_rates[name] = tuple(float(r) for r in rates[name])
        validation.check_int('StationaryBenchmark.dimension', dimension, 1)
        for function in self.functions:
            function.check_dimension(dimension)
        validation.check_int('StationaryBenchmark.steps', steps, 1)
        validation.check_int('StationaryBenchmark.num_seeds', num_seeds, 1)
        validation.check_steps_per_round('StationaryBenchmark.steps_per_round', steps_per_round, steps)
        validation.check_int('StationaryBenchmark.first_seed', first_seed, 0)
        fixed_labels = {fixed_label(r) for name in self.optimizers for r in self.candidate_rates[name]}
        self.bandits = bandit_configurations.check_bandits(
            'StationaryBenchmark.bandits',
            bandit_configurations.DEFAULT_BANDITS if bandits is None else bandits,
            reserved=tuple(sorted(fixed_labels)),
        )
        self.dimension = int(dimension)
        self.steps = int(steps)
        self.num_seeds = int(num_seeds)
        self.steps_per_round = int(steps_per_round)
        self.seeds = list(range(first_seed, first_seed + num_seeds))

    @property
    def bandit_labels(self):
        return list(self.bandits)

    def methods(self, optimizer_name):
        return [fixed_label(r) for r in self.candidate_rates[optimizer_name]] + self.bandit_labels

    def controllers(self, optimizer_name, method):
        """One controller per seed (a fixed rate: the same object; a bandit: its own, seeded)."""
        rates = self.candidate_rates[optimizer_name]
        if method not in self.bandits:
            fixed = controllers.FixedLearningRate(rates[self.methods(optimizer_name).index(method)])
            return [fixed] * self.num_seeds
        configuration = self.bandits[method]
        return [configuration.controller(rates, self.steps_per_round, seed=seed) for seed in self.seeds]

    def starts(self, function):
        # One generator per seed, so a seed's start does not depend on num_seeds.
        return np.concatenate(
            [function.random_starts(np.random.default_rng(seed), 1, self.dimension) for seed in self.seeds]
        )

    def run(self, log=print):
        """Runs the grid; returns a ``StationaryResults``."""
        results = StationaryResults(self)
        for function in self.functions:
            starts = self.starts(function)
            for optimizer_name in self.optimizers:
                begin = time.time()
                for method in self.methods(optimizer_name):
                    gaps, rates, diverged_at = optimise(
                        function, optimizer_name, self.controllers(optimizer_name, method), starts, self.steps
                    )
                    results.add(function.name, optimizer_name, method, gaps, rates, diverged_at)
                log(f'[lrrl.stationary] {function.name:16s} {optimizer_name:8s} done in {time.time() - begin:.1f} s')
        return results


class StationaryResults:
    """The runs of one benchmark, and the tables and plots made from them."""

    def __init__(self, benchmark):
        self.benchmark = benchmark
        self.curves = {}  # (function, optimizer, method) -> gaps (seeds, steps + 1)
        self.rates = {}  # (function, optimizer, bandit label) -> rates (seeds, steps)
        self.runs = []

    def add(self, function, optimizer, method, gaps, rates, diverged_at):
        self.curves[function, optimizer, method] = gaps
        if method in self.benchmark.bandits:
            self.rates[function, optimizer, method] = rates
        for row, seed in enumerate(self.benchmark.seeds):
            diverged = bool(diverged_at[row] >= 0)
            self.runs.append(
                {
                    'function': function,
                    'optimizer': optimizer,
                    'method': method,
                    'seed': seed,
                    'final_gap': math.inf if diverged else float(gaps[row, -1]),
                    'diverged': diverged,
                    'diverged_at_step': int(diverged_at[row]),
                }
            )

    def runs_frame(self):
        return pd.DataFrame(self.runs)

    def table(self):
        """One row per function × optimizer × method, with its ranks in its group.

        The score of a method is (diverged runs, mean final gap of the others,
        to 3 significant digits): any divergence ranks below no divergence, and
        methods equal at the table's precision share a rank. ``rank`` is among
        every method of the cell; ``rank_vs_fixed`` among the fixed rates and
        the method itself (for a fixed rate: among the fixed rates).
        ``best_fixed_rate``: the cell's best fixed rate, after the fact (ties:
        the smaller rate); ``share_on_best_fixed`` (and ``_second_half``): a
        bandit's share of steps on it (runs not yet diverged).
        """
        rows = []
        for (function, optimizer, method), group in self.runs_frame().groupby(
            ['function', 'optimizer', 'method'], sort=False
        ):
            finite = group.loc[~group['diverged'], 'final_gap'].to_numpy()
            rows.append(
                {
                    'function': function,
                    'optimizer': optimizer,
                    'method': method,
                    'mean_final_gap': float(np.mean(finite)) if finite.size else math.nan,
                    'std_final_gap': float(np.std(finite)) if finite.size else math.nan,
                    'diverged': int(group['diverged'].sum()),
                    'seeds': len(group),
                }
            )
        table = pd.DataFrame(rows)
        table['score'] = [
            (d, tables.significant(m) if math.isfinite(m) else math.inf)
            for d, m in zip(table['diverged'], table['mean_final_gap'])
        ]
        table['rank'] = 0
        table['rank_vs_fixed'] = 0
        table['best_fixed_rate'] = math.nan
        table['share_on_best_fixed'] = math.nan
        table['share_on_best_fixed_second_half'] = math.nan
        bandit_labels = set(self.benchmark.bandits)
        for (function, optimizer), group in table.groupby(['function', 'optimizer'], sort=False):
            fixed = [j for j in group.index if table.loc[j, 'method'] not in bandit_labels]
            for i in group.index:
                score = table.loc[i, 'score']
                table.loc[i, 'rank'] = 1 + sum(table.loc[j, 'score'] < score for j in group.index)
                table.loc[i, 'rank_vs_fixed'] = 1 + sum(table.loc[j, 'score'] < score for j in fixed if j != i)
            # The best fixed rate of the cell, after the fact (ties: the smaller rate), and each
            # bandit's share of steps on it (runs not yet diverged).
            best = min(fixed, key=lambda j: table.loc[j, 'score'])
            best_rate = self.benchmark.candidate_rates[optimizer][fixed.index(best)]
            for i in group.index:
                table.loc[i, 'best_fixed_rate'] = best_rate
                if table.loc[i, 'method'] in bandit_labels:
                    rates = self.rates[function, optimizer, table.loc[i, 'method']]
                    for column, part in (
                        ('share_on_best_fixed', rates),
                        ('share_on_best_fixed_second_half', rates[:, rates.shape[1] // 2 :]),
                    ):
                        used = part[~np.isnan(part)]
                        table.loc[i, column] = float(np.mean(used == best_rate)) if used.size else math.nan
        return table.drop(columns='score')

    def summary(self):
        """Each bandit configuration per optimizer (and over all): ranks and head-to-head counts.

        One row per (bandit label, optimizer or 'all'): the cells (functions),
        how many it ranks first in among the fixed rates and itself, how many
        it beats the best fixed rate of the cell in (strictly, at the table's
        precision; that rate is picked after the fact), its mean rank among the
        fixed rates and itself, the mean over the cells of its share of
        second-half steps on that best fixed rate, and for each other bandit
        configuration the cells where it is better, equal and worse.
        """
        table = self.table()
        table['score'] = [
            (d, tables.significant(m) if math.isfinite(m) else math.inf)
            for d, m in zip(table['diverged'], table['mean_final_gap'])
        ]
        labels = self.benchmark.bandit_labels
        per_cell = []
        for (function, optimizer), group in table.groupby(['function', 'optimizer'], sort=False):
            scores = dict(zip(group['method'], group['score']))
            best_fixed = min(score for method, score in scores.items() if method not in self.benchmark.bandits)
            ranks = dict(zip(group['method'], group['rank_vs_fixed']))
            shares = dict(zip(group['method'], group['share_on_best_fixed_second_half']))
            for label in labels:
                row = {
                    'optimizer': optimizer,
                    'bandit': label,
                    'first': ranks[label] == 1,
                    'beats_best_fixed': scores[label] < best_fixed,
                    'rank_vs_fixed': ranks[label],
                    'share_on_best_fixed_second_half': shares[label],
                }
                for other in labels:
                    if other != label:
                        row[f'vs {other}'] = (scores[label] < scores[other]) - (scores[label] > scores[other])
                per_cell.append(row)
        per_cell = pd.DataFrame(per_cell)
        rows = []
        for label in labels:
            mine = per_cell[per_cell['bandit'] == label]
            for optimizer in self.benchmark.optimizers + ['all']:
                sub = mine if optimizer == 'all' else mine[mine['optimizer'] == optimizer]
                row = {
                    'bandit': label,
                    'optimizer': optimizer,
                    'cells': len(sub),
                    'first_among_fixed_and_it': int(sub['first'].sum()),
                    'beats_best_fixed': int(sub['beats_best_fixed'].sum()),
                    'mean_rank_vs_fixed': float(sub['rank_vs_fixed'].mean()),
                    # Over the cells where some run of it lasted into the second half.
                    'mean_share_on_best_fixed_second_half': float(sub['share_on_best_fixed_second_half'].mean()),
                }
                for other in labels:
                    if other != label:
                        for name, sign in (('better', 1), ('equal', 0), ('worse', -1)):
                            row[f'{name}_vs_{other}'] = int((sub[f'vs {other}'] == sign).sum())
                rows.append(row)
        return pd.DataFrame(rows)

    def markdown(self):
        b = self.benchmark
        table = self.table()
        labels = b.bandit_labels
        out = io.StringIO()
        out.write(
            f'# Stationary benchmark: bandit configurations against each fixed rate\n\n'
            f'Final objective gap f(x_T) − f* after {b.steps} steps in dimension {b.dimension}, mean ± std over '
            f"{b.num_seeds} seeds ({_seed_range(b.seeds)}; random starts in each function's domain); bandit rounds "
            f'of κ = {b.steps_per_round} steps, the feedback being −f after each step. "k div" = k runs diverged '
            '(non-finite iterate; the mean is over the others). "<bandit> rank": among the fixed rates and that '
            'bandit configuration (1 = best; any divergence ranks below none; equal at 3 significant digits share '
            'a rank); functions_table.csv also ranks every method together. Produced by `python -m lrrl.stationary` '
            '(see functions_config.gin).\n\nBandit configurations (`lrrl.benchmarks.bandit_configurations`):\n\n'
        )
        for label, configuration in b.bandits.items():
            out.write(f'- **{label}** (`{configuration.name}`): {configuration.describe(b.steps_per_round)}.\n')
        for optimizer in b.optimizers:
            methods = b.methods(optimizer)
            fixed_count = len(methods) - len(labels)
            out.write(f'\n## {optimizer}\n\n')
            rows = []
            for function in b.functions:
                cells = [function.name]
                sub = table[(table['function'] == function.name) & (table['optimizer'] == optimizer)]
                sub = sub.set_index('method')
                for method in methods:
                    cells.append(_cell(sub.loc[method]))
                for label in labels:
                    cells.append(f'{sub.loc[label, "rank_vs_fixed"]} of {fixed_count + 1}')
                rows.append(cells)
            out.write(tables.markdown_table(['function'] + methods + [f'{label} rank' for label in labels], rows))
        out.write('\n## Summary\n\n')
        for label in labels:
            ranks = table.loc[table['method'] == label, 'rank_vs_fixed']
            out.write(
                f'- {label} rank among the fixed rates and it, over the {len(ranks)} function × optimizer cells: '
                + ', '.join(f'{k}: {int((ranks == k).sum())}' for k in sorted(ranks.unique()))
                + f' (mean {ranks.mean():.2f}).\n'
            )
        summary = self.summary()
        # Every bandit against every other: one column per other label (blank against itself).
        header = [
            'bandit',
            'optimizer',
            'cells',
            '1st among fixed + it',
            'better than the best fixed rate*',
            'share of 2nd-half steps on the best fixed rate*',
        ]
        header += [f'vs {other}: better / equal / worse' for other in labels]
        rows = []
        for r in summary.to_dict('records'):
            row = [r['bandit'], r['optimizer'], r['cells'], r['first_among_fixed_and_it'], r['beats_best_fixed']]
            row.append(f'{r["mean_share_on_best_fixed_second_half"]:.2f}')
            for other in labels:
                row.append(
                    '—'
                    if other == r['bandit']
                    else ' / '.join(str(int(r[f'{name}_vs_{other}'])) for name in ('better', 'equal', 'worse'))
                )
            rows.append(row)
        out.write('\n' + tables.markdown_table(header, rows))
        out.write(
            '\n\\* The best fixed rate of each cell is picked after the fact, on these seeds (ties: the smaller '
            'rate); "better" is strict at 3 significant digits (a tie counts as not better). The share is the mean '
            'over the cells of the share of steps in the second half of the runs (those not diverged) on that '
            'rate; a bandit that learns nothing has 1/K with K rates.\n'
        )
        return out.getvalue()

    def plot_curves(self):
        return self._grid_plot(
            self._draw_curves, 'objective gap f(x_t) − f* (median over seeds)', self.benchmark.optimizers
        )

    def plot_rates(self):
        b = self.benchmark
        columns = [(optimizer, label) for optimizer in b.optimizers for label in b.bandit_labels]
        return self._grid_plot(self._draw_rates, "share of each bandit configuration's steps on each rate", columns)

    def _grid_plot(self, draw, title, columns):
        import matplotlib

        matplotlib.use('Agg')
        from matplotlib import pyplot as plt

        b = self.benchmark
        rows, cols = len(b.functions), len(columns)
        width = 4.2 if cols <= len(b.optimizers) else 3.2
        figure, axes = plt.subplots(rows, cols, figsize=(width * cols, 2.6 * rows), squeeze=False)
        for i, function in enumerate(b.functions):
            for j, column in enumerate(columns):
                draw(axes[i][j], function.name, column)
                name = column if isinstance(column, str) else ', '.join(column)
                axes[i][j].set_title(f'{function.name}, {name}', fontsize=9)
                axes[i][j].tick_params(labelsize=7)
        figure.suptitle(f'{title}; d = {b.dimension}, {b.num_seeds} seeds', fontsize=11)
        figure.tight_layout()
        return figure

    def _draw_curves(self, axis, function, optimizer):
        steps = np.arange(self.benchmark.steps + 1)
        medians = []
        bandit_labels = self.benchmark.bandit_labels
        for method in self.benchmark.methods(optimizer):
            gaps = self.curves[function, optimizer, method]
            diverged = int(np.isnan(gaps[:, -1]).sum())
            with np.errstate(all='ignore'):
                # Diverged runs count as +inf in the median (nan would drop them).
                median = np.median(np.where(np.isnan(gaps), np.inf, gaps), axis=0)
            medians.append(median)
            if method in bandit_labels:
                k = bandit_labels.index(method)
                style = {'color': _BANDIT_COLORS[k % len(_BANDIT_COLORS)], 'linewidth': 1.8 if k == 0 else 1.4}
                style['linestyle'] = _BANDIT_LINESTYLES[k % len(_BANDIT_LINESTYLES)]
            else:
                style = {'linewidth': 1.0}
            label = f'{method} ({diverged} div)' if diverged else method
            # Floor at 1e-12 for the log scale (a gap can reach 0).
            axis.plot(steps, np.maximum(median, 1e-12), label=label, **style)
        axis.set_yscale('log')
        # Diverging runs reach ~1e300 before they overflow: show the range that
        # matters, up to 100 times the largest starting gap.
        shown = np.concatenate(medians)
        shown = np.maximum(shown[np.isfinite(shown) & (shown <= 100.0 * max(m[0] for m in medians))], 1e-12)
        axis.set_ylim(shown.min() / 1.5, shown.max() * 1.5)
        axis.legend(fontsize=6)

    def _draw_rates(self, axis, function, column):
        optimizer, label = column
        rates = self.rates[function, optimizer, label]
        candidates = self.benchmark.candidate_rates[optimizer]
        # Shares over windows of steps (at least one round), so the plot shows
        # the trend rather than each round's draw.
        window = max(self.benchmark.steps_per_round, self.benchmark.steps // 100)
        starts = np.arange(0, rates.shape[1], window)
        alive = np.add.reduceat(~np.isnan(rates), starts, axis=1).sum(axis=0)
        if not alive.any():
            axis.text(0.5, 0.5, 'every run diverged', ha='center', va='center', transform=axis.transAxes)
            return
        used = np.maximum(alive, 1)
        shares = [np.add.reduceat(rates == r, starts, axis=1).sum(axis=0) / used for r in candidates]
        axis.stackplot(starts + window / 2, shares, labels=[f'{r:g}' for r in candidates], step='mid')
        diverged = int(np.isnan(rates[:, -1]).sum())
        if diverged:
            axis.text(0.5, 0.5, f'{diverged} of {len(rates)} runs diverged', ha='center', transform=axis.transAxes)
        axis.set_ylim(0, 1)
        axis.set_xlim(0, rates.shape[1])
        axis.legend(fontsize=6, loc='upper right')

    def rate_shares(self, function, optimizer, label):
        """Share of a bandit configuration's steps (over its seeds, while not diverged) on each candidate rate."""
        rates = self.rates[function, optimizer, label]
        used = rates[~np.isnan(rates)]
        return np.array([np.mean(used == r) for r in self.benchmark.candidate_rates[optimizer]])

    def write(self, output_dir):
        runs = self.runs_frame()
        paths = [
            outputs.write_text(output_dir, 'functions_table.md', self.markdown()),
            outputs.write_text(output_dir, 'functions_table.csv', self.table().to_csv(index=False)),
            outputs.write_text(output_dir, 'functions_runs.csv', runs.to_csv(index=False)),
        ]
        from matplotlib import pyplot as plt

        for name, figure in (
            ('functions_curves.png', self.plot_curves()),
            ('functions_lrrl_rates.png', self.plot_rates()),
        ):
            paths.append(outputs.save_figure(figure, output_dir, name))
            plt.close(figure)
        return paths


# The bandit configurations' curves: the first (LRRL's default) in black, solid.
_BANDIT_COLORS = ('black', 'dimgray', 'darkgoldenrod', 'purple')
_BANDIT_LINESTYLES = ('-', '--', ':', '-.')


def _seed_range(seeds):
    return f'seed {seeds[0]}' if len(seeds) == 1 else f'seeds {seeds[0]}–{seeds[-1]}'


def _cell(row):
    if row['diverged'] == row['seeds']:
        return f'diverged {row["diverged"]}/{row["seeds"]}'
    text = f'{tables.significant(row["mean_final_gap"]):.3g} ± {tables.significant(row["std_final_gap"]):.3g}'
    if row['diverged']:
        text += f' ({row["diverged"]} div)'
    return text
