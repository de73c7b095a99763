r"""MaclaurinNet under its rate controllers: fixed Adam 1e-3, RLR, and bandit configurations (LRRL).

  python -m lrrl.maclaurin_benchmark [--output_dir=results/stationary] \
      [--gin_files=stationary/maclaurin.gin] [--gin_bindings=...] [--overwrite]

The RLR scheduler's comparison (docs/benchmarks.md, "RLR"; the task is
``lrrl.benchmarks.maclaurin_task``): Adam trains MaclaurinNet with
mini-batches; before each step its rate is the controller's, after it the
controller gets feedback -L, L the loss on the whole training set (the RLR
scheduler's L_t). The controllers:

- ``fixed``: Adam at 1e-3 (the RLR description's baseline);
- ``rlr``: the RLR scheduler (``lrrl.control.rlr.RLRLearningRate``) on the 12-point grid;
- ``lrrl``: each bandit configuration of ``MaclaurinBenchmark.bandits``
  (``lrrl.benchmarks.bandit_configurations``) over the same grid, a round
  being κ = ``steps_per_round`` steps whose value is the mean of -L over it
  (after the burn-in). By default LRRL with the project's default bandit
  (``configs/lrrl/bandit.gin``), the paper-literal configuration, and
  ``uniform`` (a random rate every round).

The optimizer's moments are kept whatever the rate. Seed s draws the same
polynomials, initial weights and mini-batches for every controller; it also
seeds the controller. The bandit testbed chose LRRL's default on seeds 0-9 of
MaclaurinNet (among other tasks), so ``configs/stationary/maclaurin.gin``
reports on seeds from 100 (``first_seed``). A run whose loss becomes non-finite stops and is
recorded as diverged.

Writes ``maclaurin_table.md``/``.csv`` (final training loss and test error,
mean ± std over seeds, and the ratio of the fixed baseline's test error to
each controller's), ``maclaurin_runs.csv``, ``maclaurin_curves.png`` (training
loss over steps), ``maclaurin_rates.png`` (the rate each controller chose) and
``maclaurin_config.gin``, refusing to replace existing files without
``--overwrite``.
"""

import io
import math
import time

import gin
import numpy as np
import pandas as pd

from lrrl import tables
from lrrl.benchmarks import bandit_configurations
from lrrl.benchmarks import loss_probe
from lrrl.benchmarks import outputs
from lrrl.control import controllers
from lrrl.benchmarks import maclaurin_task
from lrrl.control import numpy_optimizers
from lrrl.control import rlr
from lrrl import validation

# 'lrrl' stands for every bandit configuration of MaclaurinBenchmark.bandits.
METHODS = ('fixed', 'rlr', 'lrrl')
# The table also averages the losses over the last TAIL_STEPS steps.
TAIL_STEPS = 100
METRICS = ('final_train_loss', 'train_loss_tail', 'test_error', 'test_error_tail')
# Table names of the controllers that are not bandits (a bandit's is its label).
LABELS = {'fixed': 'fixed Adam 1e-3', 'rlr': 'RLR scheduler'}
OUTPUT_FILES = (
    'maclaurin_table.md',
    'maclaurin_table.csv',
    'maclaurin_runs.csv',
    'maclaurin_curves.png',
    'maclaurin_rates.png',
    'maclaurin_config.gin',
)


def train(task, controller, steps, seed, tail=None):
    """Trains MaclaurinNet for ``steps`` Adam steps with ``controller`` setting the rate.

    Returns (losses (steps + 1,) full training loss, nan after divergence;
    rates (steps,); test errors of the last ``tail`` steps, the last one being
    the final test error; the step of divergence or -1).
    """
    tail = min(TAIL_STEPS if tail is None else tail, steps)
    params = task.init_params(np.random.default_rng([seed, 0]))
    batch_rng = np.random.default_rng([seed, 1])
    optimizer = numpy_optimizers.Adam()
    # The run's length, as the RL runner tells it (for rounds that are a share of the run).
    controller.set_run_length(steps)
    # A feedback that reads the loss gets the loss on the held-out test polynomials.
    loss_probe.attach([controller], lambda row: task.test_loss(params), 'MaclaurinNet')
    losses = np.full(steps + 1, np.nan)
    rates = np.full(steps, np.nan)
    losses[0] = task.train_loss(params)
    test_errors = []
    with np.errstate(all='ignore'):
        for t in range(1, steps + 1):
            optimizer.learning_rate = rates[t - 1] = controller.rate
            _, grads = task.loss_and_gradients(params, *task.sample_batch(batch_rng))
            optimizer.apply_gradients(params, grads)
            loss = task.train_loss(params)
            if not math.isfinite(loss):
                return losses, rates, np.array([math.inf]), t
            losses[t] = loss
            if t > steps - tail:
                test_errors.append(task.test_loss(params))
            controller.end_episode(-loss, t)
    return losses, rates, np.array(test_errors), -1


@gin.configurable
class MaclaurinBenchmark:
    """Each controller × seeds on MaclaurinNet.

    Args:
      methods: any of 'fixed', 'rlr', 'lrrl' ('lrrl': every configuration of ``bandits``).
      steps: Adam steps per run (the RLR description: 10,000).
      num_seeds: runs per controller.
      first_seed: seeds first_seed .. first_seed + num_seeds - 1.
      grid: the rates RLR and LRRL choose from (the RLR description: logspace(-5, -2, 12)).
      fixed_rate: the baseline's rate (the RLR description: 1e-3).
      steps_per_round: κ, steps per bandit round.
      bandits: {table label: configuration name from
        ``bandit_configurations.CONFIGURATIONS``}; default
        ``bandit_configurations.DEFAULT_BANDITS`` (LRRL's default, the
        paper-literal configuration, uniform).
    """

    def __init__(
        self,
        methods=METHODS,
        steps=10000,
        num_seeds=10,
        first_seed=0,
        grid=rlr.DEFAULT_GRID,
        fixed_rate=1e-3,
        steps_per_round=10,
        bandits=None,
    ):
        validation.require(
            len(methods) > 0 and all(m in METHODS for m in methods) and len(set(methods)) == len(methods),
            'MaclaurinBenchmark.methods',
            methods,
            f'a non-empty list of distinct names from {", ".join(METHODS)}',
        )
        validation.check_int('MaclaurinBenchmark.steps', steps, 1)
        validation.check_int('MaclaurinBenchmark.num_seeds', num_seeds, 1)
        validation.check_int('MaclaurinBenchmark.first_seed', first_seed, 0)
        validation.check_steps_per_round('MaclaurinBenchmark.steps_per_round', steps_per_round, steps)
        self.bandits = bandit_configurations.check_bandits(
            'MaclaurinBenchmark.bandits',
            bandit_configurations.DEFAULT_BANDITS if bandits is None else bandits,
            reserved=('fixed', 'rlr', 'lrrl'),
        )
        # The controllers, in order: 'lrrl' expands to the bandit labels.
        self.methods = [label for m in methods for label in (self.bandits if m == 'lrrl' else [m])]
        self.steps = int(steps)
        self.seeds = list(range(first_seed, first_seed + num_seeds))
        self.grid = tuple(grid)
        self.fixed_rate = fixed_rate
        self.steps_per_round = int(steps_per_round)
        # Build each controller once now, so a bad grid or rate fails before any output.
        for method in self.methods:
            self.controller(method, 0)
        # And the task (its gin bindings are checked here too).
        maclaurin_task.MaclaurinTask(seed=0)

    def controller(self, method, seed):
        """The controller of ``method`` ('fixed', 'rlr' or a bandit label), seeded with ``seed``."""
        if method == 'fixed':
            controller = controllers.FixedLearningRate(self.fixed_rate)
        elif method == 'rlr':
            controller = rlr.RLRLearningRate(rates=self.grid)
        else:
            return self.bandits[method].controller(self.grid, self.steps_per_round, seed=seed)
        controller.seed(seed)
        return controller

    def label(self, method):
        """The table's name of ``method``."""
        return LABELS.get(method, method)

    @property
    def uniform_label(self):
        """The label of the first ``uniform`` bandit configuration run, or None."""
        return next((m for m in self.methods if m in self.bandits and self.bandits[m].name == 'uniform'), None)

    def run(self, log=print):
        results = MaclaurinResults(self)
        for seed in self.seeds:
            task = maclaurin_task.MaclaurinTask(seed=seed)
            for method in self.methods:
                begin = time.time()
                losses, rates, test_errors, diverged_at = train(task, self.controller(method, seed), self.steps, seed)
                results.add(method, seed, losses, rates, test_errors, diverged_at)
                log(
                    f'[lrrl.maclaurin_benchmark] seed {seed} {method:18s}: final loss {losses[-1]:.4g}, test error '
                    f'{test_errors[-1]:.4g} ({time.time() - begin:.1f} s)'
                )
        return results


class MaclaurinResults:
    def __init__(self, benchmark):
        self.benchmark = benchmark
        self.losses = {m: [] for m in benchmark.methods}
        self.rates = {m: [] for m in benchmark.methods}
        self.runs = []

    def add(self, method, seed, losses, rates, test_errors, diverged_at):
        self.losses[method].append(losses)
        self.rates[method].append(rates)
        diverged = diverged_at >= 0
        self.runs.append(
            {
                'method': method,
                'seed': seed,
                'final_train_loss': math.inf if diverged else float(losses[-1]),
                'test_error': float(test_errors[-1]),
                # The last step's loss swings by an order of magnitude from step
                # to step (see the curves): the mean of the last steps is steadier.
                'train_loss_tail': math.inf if diverged else float(np.mean(losses[-len(test_errors) :])),
                'test_error_tail': float(np.mean(test_errors)),
                'mean_log10_rate_last_1000_steps': float(np.nanmean(np.log10(rates[-1000:]))),
                'diverged': bool(diverged),
                'diverged_at_step': int(diverged_at),
            }
        )

    def table(self):
        """One row per controller: mean and std over seeds, and per-seed ratios to the baseline and to uniform.

        ``*_baseline_ratio_*``: the fixed baseline's test error / the
        controller's; ``test_error_tail_uniform_ratio_*``: the same against the
        first bandit configuration that is ``uniform``, if any (> 1: better;
        ``*_better_seeds``: on how many seeds).
        """
        runs = pd.DataFrame(self.runs)
        fixed = runs[runs['method'] == 'fixed'].set_index('seed') if 'fixed' in self.losses else None
        uniform_label = self.benchmark.uniform_label
        uniform = runs[runs['method'] == uniform_label].set_index('seed') if uniform_label else None
        rows = []
        for method in self.benchmark.methods:
            group = runs[runs['method'] == method]
            ok = group[~group['diverged']]
            row = {'method': method, 'diverged': int(group['diverged'].sum()), 'seeds': len(group)}
            for column in METRICS:
                row[f'{column}_mean'] = ok[column].mean()
                row[f'{column}_std'] = ok[column].std(ddof=0)
            if fixed is not None:
                # Per seed (same data, init and batches): how many times lower the
                # test error is than the fixed baseline's; > 1 is better.
                for column in ('test_error', 'test_error_tail'):
                    ratio = fixed.loc[ok['seed'], column].to_numpy() / ok[column].to_numpy()
                    row[f'{column}_baseline_ratio_geomean'] = (
                        float(np.exp(np.mean(np.log(ratio)))) if ratio.size else math.nan
                    )
                    row[f'{column}_baseline_ratio_min'] = float(ratio.min()) if ratio.size else math.nan
                    row[f'{column}_baseline_ratio_max'] = float(ratio.max()) if ratio.size else math.nan
                    row[f'{column}_baseline_better_seeds'] = int(np.sum(ratio > 1))
            if uniform is not None:
                ratio = uniform.loc[ok['seed'], 'test_error_tail'].to_numpy() / ok['test_error_tail'].to_numpy()
                row['test_error_tail_uniform_ratio_geomean'] = (
                    float(np.exp(np.mean(np.log(ratio)))) if ratio.size else math.nan
                )
                row['test_error_tail_uniform_ratio_min'] = float(ratio.min()) if ratio.size else math.nan
                row['test_error_tail_uniform_ratio_max'] = float(ratio.max()) if ratio.size else math.nan
                row['test_error_tail_uniform_better_seeds'] = int(np.sum(ratio > 1))
            rows.append(row)
        return pd.DataFrame(rows)

    def markdown(self):
        b = self.benchmark
        table = self.table()
        tail = min(TAIL_STEPS, b.steps)
        out = io.StringIO()
        out.write(
            f'# MaclaurinNet: fixed Adam 1e-3, the RLR scheduler and bandit configurations\n\n'
            f'{b.steps} Adam steps (batch 32) per run, {len(b.seeds)} seeds ({_seed_range(b.seeds)}; seed = '
            'polynomials, initial weights, mini-batches and controller; paired across controllers). RLR and the '
            f'bandits choose from the {len(b.grid)}-point grid {b.grid[0]:g} … {b.grid[-1]:g}; bandit rounds of '
            f'κ = {b.steps_per_round} steps. '
            'Training loss: MSE on the coefficients over the whole training set (256 polynomials); test error: the '
            'same on 256 held-out polynomials. "final" = after the last step; "last '
            f'{tail}" = mean over the last {tail} steps (the loss swings by up to 10× from step to step late in '
            'training, so the final value alone is noisy). Mean ± std over seeds. "× baseline" = test error of '
            'fixed 1e-3 / test error of the controller, per seed: geometric mean [min, max]; > 1 is better than '
            'the baseline. "× uniform": the same against the uniform bandit, on the test error of the last '
            f'{tail} steps, and on how many seeds the controller is better. Produced by '
            '`python -m lrrl.maclaurin_benchmark` (see maclaurin_config.gin).\n'
        )
        if any(m in b.bandits for m in b.methods):
            out.write('\nBandit configurations (`lrrl.benchmarks.bandit_configurations`):\n\n')
            for label, configuration in b.bandits.items():
                if label in b.methods:
                    out.write(f'- **{label}** (`{configuration.name}`): {configuration.describe(b.steps_per_round)}.\n')
        out.write('\n')
        header = [
            'controller',
            'final training loss',
            f'training loss, last {tail}',
            'final test error',
            f'test error, last {tail}',
            'diverged',
        ]
        with_ratio = 'test_error_baseline_ratio_geomean' in table
        if with_ratio:
            header += ['× baseline (final test)', f'× baseline (test, last {tail})']
        with_uniform = 'test_error_tail_uniform_ratio_geomean' in table
        if with_uniform:
            header += [f'× uniform (test, last {tail})']
        rows = []
        for r in table.to_dict('records'):
            row = [b.label(r['method'])]
            row += [tables.mean_std(r[f'{c}_mean'], r[f'{c}_std']) for c in METRICS]
            row.append(f'{r["diverged"]}/{r["seeds"]}')
            if with_ratio:
                for c in ('test_error', 'test_error_tail'):
                    row.append(
                        f'{r[f"{c}_baseline_ratio_geomean"]:.2f} [{r[f"{c}_baseline_ratio_min"]:.2f}, '
                        f'{r[f"{c}_baseline_ratio_max"]:.2f}]'
                    )
            if with_uniform:
                geomean, low, high, better = (
                    r[f'test_error_tail_uniform_{key}']
                    for key in ('ratio_geomean', 'ratio_min', 'ratio_max', 'better_seeds')
                )
                row.append(f'{geomean:.2f} [{low:.2f}, {high:.2f}], better on {better}/{r["seeds"] - r["diverged"]}')
            rows.append(row)
        out.write(tables.markdown_table(header, rows))
        return out.getvalue()

    def _figure(self, ylabel, series, log_x):
        import matplotlib

        matplotlib.use('Agg')
        from matplotlib import pyplot as plt

        methods = self.benchmark.methods
        figure, axes = plt.subplots(1, len(methods), figsize=(4.5 * len(methods), 3.2), sharey=True, squeeze=False)
        for axis, method in zip(axes[0], methods):
            for seed, values in zip(self.benchmark.seeds, series[method]):
                axis.plot(np.arange(len(values)) + 1, values, linewidth=0.6, label=f'seed {seed}')
            axis.set_title(self.benchmark.label(method), fontsize=10)
            axis.set_yscale('log')
            if log_x:
                axis.set_xscale('log')
            axis.set_xlabel('step')
            axis.tick_params(labelsize=8)
        axes[0][0].set_ylabel(ylabel)
        axes[0][-1].legend(fontsize=7)
        figure.tight_layout()
        return figure

    def write(self, output_dir):
        from matplotlib import pyplot as plt

        paths = [
            outputs.write_text(output_dir, 'maclaurin_table.md', self.markdown()),
            outputs.write_text(output_dir, 'maclaurin_table.csv', self.table().to_csv(index=False)),
            outputs.write_text(output_dir, 'maclaurin_runs.csv', pd.DataFrame(self.runs).to_csv(index=False)),
        ]
        for name, figure in (
            ('maclaurin_curves.png', self._figure('training loss (whole set)', self.losses, log_x=True)),
            (
                'maclaurin_rates.png',
                self._figure(
                    f'learning rate (geometric mean over {RATE_WINDOW} steps)',
                    {m: [_smooth_log(r) for r in rs] for m, rs in self.rates.items()},
                    log_x=False,
                ),
            ),
        ):
            paths.append(outputs.save_figure(figure, output_dir, name))
            plt.close(figure)
        return paths


RATE_WINDOW = 100


def _smooth_log(rates):
    # RLR moves the rate every step: a running geometric mean shows its level.
    window = min(RATE_WINDOW, len(rates))
    kernel = np.ones(window) / window
    return 10 ** np.convolve(np.log10(rates), kernel, mode='valid')


def _seed_range(seeds):
    return f'seed {seeds[0]}' if len(seeds) == 1 else f'seeds {seeds[0]}–{seeds[-1]}'
