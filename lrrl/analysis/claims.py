"""The claims page: each claim of LRRL's paper, the runs that test it, and a verdict at this scale.

``python -m lrrl.claims`` reads the runs of the campaign's sweeps
(``configs/experiments/claim*.toml``, run with ``python -m lrrl.launch``): their run
folders under one runs root and, for runs whose folders are gone (another machine,
an earlier working session), their archived records (``lrrl.run_archive``); it writes
``CLAIMS.md`` and a folder per claim (docs/claims.md). This
module holds the claims, the cells that test each, and the rules that turn their
numbers into *reproduced*, *refuted* or *inconclusive*; the rules were written
before any reported run existed (docs/claims.md, "Rules"). The numbers are
rliable's (95% percentile bootstrap over seeds, ``lrrl.analysis.intervals``).

Cells are named by the sweeps' method labels: ``fixed_<rate>``,
``lrrl_with_<rate>`` (LRRL over a set holding the unstable rate),
``lrrl_without_<rate>``, ``uniform_with_<rate>`` (``UniformBandit`` over the same
set), and the bandits of claim 7 by their name. ``<rate>`` is ``f'{rate:g}'``.

Paper: Donâncio et al., "Dynamic Learning Rate for Deep Reinforcement Learning: A
Bandit Approach", arXiv 2410.12598 (v1: Tables 1-3, Fig. 2; v3: abstract, the MuJoCo and
the stationary experiments).
"""

import dataclasses
import os

import numpy as np
import pandas as pd

from lrrl import atomic
from lrrl import run_archive
from lrrl import run_folder
from lrrl import tables as tables_lib
from lrrl.analysis import intervals
from lrrl.analysis import loading
from lrrl.analysis import normalization
from lrrl.analysis import report
from lrrl.analysis import scores as scores_lib

REPRODUCED = 'reproduced'
REFUTED = 'refuted'
INCONCLUSIVE = 'inconclusive'
NOT_RUN = 'not run yet'
RUNNING = 'running'
PRIMARY = 'final_return'
SECONDARY = 'auc'
# A bandit cell's largest arm probability at the end, mean over seeds (uniform: 1/K).
MAX_P_COLUMN = 'max arm p at the end'


def rate_label(rate):
    return f'{float(rate):g}'


@dataclasses.dataclass(frozen=True)
class RobustnessSetup:
    """Claim 1 on one agent and game: the sweep and its unstable and destructive rates.

    The rates were chosen on seeds 5-9 (the sweep files say how); the reported
    seeds are the sweep's own (0-4).
    """

    title: str
    sweep: str
    unstable_rate: float
    destructive_rate: float = None
    note: str = ''

    def cells(self):
        """{role: method label} of the sweep."""
        u = rate_label(self.unstable_rate)
        cells = {
            'lrrl_with': f'lrrl_with_{u}',
            'uniform_with': f'uniform_with_{u}',
            'unstable_alone': f'fixed_{u}',
            'lrrl_without': f'lrrl_without_{u}',
        }
        if self.destructive_rate is not None:
            d = rate_label(self.destructive_rate)
            cells.update({'lrrl_with_destructive': f'lrrl_with_{d}', 'uniform_with_destructive': f'uniform_with_{d}'})
        return cells


ROBUSTNESS_SETUPS = (
    RobustnessSetup('DQN, CartPole-v0', 'claim1_cartpole_dqn', unstable_rate=0.03, destructive_rate=0.3),
    RobustnessSetup(
        'DQN, Acrobot-v1',
        'claim1_acrobot_dqn',
        unstable_rate=0.02,
        note=(
            'Acrobot has no rate that learns and then collapses on most selection seeds, nor a destructive one: '
            "0.02 is the smallest rate that *fails* alone (last-10 return at a random policy's level on 5 of 5 "
            'selection seeds, after learning first on 2), by a rule amended after the selection runs '
            '([`claim1/acrobot_rate_selection.md`](claim1/acrobot_rate_selection.md)). A milder trap than '
            "CartPole's 0.03, which looks good before it collapses."
        ),
    ),
    RobustnessSetup(
        'IQN, CartPole-v0',
        'claim1_cartpole_iqn',
        unstable_rate=0.1,
        destructive_rate=0.3,
        note=(
            'IQN on 3 reported seeds (0-2), with 8 quantile samples for CPU cost. No rate collapsed alone on 4 of 5 '
            'selection seeds; 0.1 learns on all five and collapses on 3 (a fourth ends at the line), chosen by a rule '
            'amended after the selection runs ([`claim1/cartpole_iqn_rate_selection.md`]'
            "(claim1/cartpole_iqn_rate_selection.md)): a weaker trap than DQN's 0.03. 0.3 learns on none of the "
            'selection seeds: the destructive rate by the rule as written; its cells were added in a later working '
            'period.'
        ),
    ),
)


@dataclasses.dataclass(frozen=True)
class ComparisonSetup:
    """Claim 7: cells compared with a reference cell on one network and game (no verdict).

    ``cells``: ((label shown, method label), ...) from ``sweeps``; the first
    sweep may be claim 1's or 2's, whose LRRL and uniform cells are shared.
    ``game``: the game whose runs are read (the ``game`` column: ``'CartPole'``,
    ``'Breakout-MinAtar'``), as claim 2's sweep runs several.
    """

    question: str
    title: str
    sweeps: tuple
    cells: tuple
    reference: str
    share_rate: float
    game: str


_CARTPOLE_SET = (('lrrl (default)', 'lrrl_with_0.03'), ('uniform', 'uniform_with_0.03'))
# The default bandit with one setting moved (claim7_*_sensitivity.toml's cells).
_SENSITIVITY_CELLS = tuple(
    (f'{name} {value}', f'{key}_{value}')
    for name, key, values in (
        ('alpha', 'alpha', ('0.33', '3')),
        ('delta', 'delta', ('0.9', '0.999')),
        ('kappa (fraction of the run)', 'kappa', ('0.0025', '0.04')),
    )
    for value in values
)
COMPARISON_SETUPS = (
    ComparisonSetup(
        'which bandit',
        'DQN, CartPole-v0, {1e-4, 1e-3, 0.03}',
        ('claim1_cartpole_dqn', 'claim7_cartpole_bandits'),
        _CARTPOLE_SET
        + (
            ('paper-literal LRRL', 'lrrl_paper_literal'),
            ('textbook Exp3', 'classic_exp3'),
            ('EXP3-IX', 'exp3_ix'),
            ('discounted UCB', 'discounted_ucb'),
        ),
        reference='uniform',
        share_rate=0.03,
        game='CartPole',
    ),
    ComparisonSetup(
        'sensitivity to alpha, delta, kappa',
        'DQN, CartPole-v0, {1e-4, 1e-3, 0.03}',
        ('claim1_cartpole_dqn', 'claim7_cartpole_sensitivity'),
        _CARTPOLE_SET + _SENSITIVITY_CELLS,
        reference='lrrl (default)',
        share_rate=0.03,
        game='CartPole',
    ),
    ComparisonSetup(
        'sensitivity to alpha, delta, kappa',
        'DQN, MinAtar Breakout, K(5) = {6.25e-5, 1.25e-4, 2.5e-4, 5e-4, 1e-3}',
        ('claim2_minatar_dqn', 'claim7_minatar_sensitivity'),
        (('lrrl (default)', 'lrrl_k5'), ('uniform', 'uniform_k5')) + _SENSITIVITY_CELLS,
        reference='lrrl (default)',
        share_rate=1e-3,
        game='Breakout-MinAtar',
    ),
    ComparisonSetup(
        'a wide set',
        'DQN, CartPole-v0, {1e-6, 1e-5, 1e-4, 1e-3, 1e-2}',
        ('claim1_cartpole_dqn', 'claim7_cartpole_wide_set'),
        (
            ('lrrl (default)', 'lrrl_wide'),
            ('uniform', 'uniform_wide'),
            ('1e-6 alone', 'fixed_1e-06'),
            ('1e-5 alone', 'fixed_1e-05'),
            ('1e-4 alone', 'fixed_0.0001'),
            ('1e-3 alone', 'fixed_0.001'),
            ('1e-2 alone', 'fixed_0.01'),
        ),
        reference='uniform',
        share_rate=1e-2,
        game='CartPole',
    ),
)


# ---------------------------------------------------------------------------
# Where the campaign's runs are.


@dataclasses.dataclass(frozen=True)
class Campaign:
    """The campaign's runs: folders under ``runs_root``, archived records under ``archive_root``.

    A run folder, when present, wins over its archived record. ``planned``:
    ``{sweep: {run key: labels}}``, the runs each sweep file plans (``lrrl.claims``
    expands the files), so that progress and "every game" count runs that exist
    nowhere yet; without it, only the runs found count.
    """

    runs_root: str
    archive_root: str = None
    planned: dict = None

    def _folders(self, sweeps):
        folders = [os.path.join(self.runs_root, s) for s in sweeps]
        return [f for f in folders if os.path.isdir(f) and loading.find_run_folders([f])]

    def _archived(self, sweeps):
        if not self.archive_root:
            return []
        return [r for s in sweeps for r in loading.archived_runs(self.archive_root, self.runs_root, s)]

    def tables(self, sweeps):
        """The sweeps' runs as ``RunTables``; None if no run of theirs exists."""
        folders, archived = self._folders(sweeps), self._archived(sweeps)
        return loading.load_runs(folders, archived) if folders or archived else None

    def write_report(self, sweep, out_dir, reps, seed, final_iterations):
        """``lrrl.report`` of one sweep's runs into ``out_dir``; returns the paths (none without runs)."""
        folders, archived = self._folders([sweep]), self._archived([sweep])
        if not (folders or archived):
            return []
        paths, _ = report.write_report(
            folders, out_dir, reps, seed, True, final_iterations=final_iterations, archived=archived
        )
        return paths

    def archive_finished(self, sweeps, log=None):
        """Archives every finished run folder of ``sweeps``; returns how many records were written."""
        written = loading.archive_finished(self._folders(sweeps), self.runs_root, self.archive_root)
        if log:
            log(f'archived {written} finished runs of {len(sweeps)} sweeps in {self.archive_root}')
        return written

    def planned_games(self, sweep):
        """The game labels the sweep file plans (empty without a plan)."""
        return {labels.get('game') for labels in (self.planned or {}).get(sweep, {}).values()} - {None}

    def progress(self, sweeps):
        """(finished runs, runs planned or found, sweeps with no run anywhere)."""
        finished, total, missing = set(), set(), []
        for sweep in sweeps:
            keys = set((self.planned or {}).get(sweep, {}))
            started = False
            for folder in self._folders([sweep]):
                for run_dir in loading.find_run_folders([folder]):
                    key = run_archive.run_key(self.runs_root, run_dir)
                    keys.add(key)
                    started = True
                    if (run_folder.read_status(run_dir) or {}).get('state') == 'finished':
                        finished.add(key)
            for key, path in run_archive.find_records(self.archive_root, sweep).items() if self.archive_root else ():
                keys.add(key)
                started = True
                if run_archive.read_record(path)['settings'].get('finished'):
                    finished.add(key)
            total |= keys
            if not started:
                missing.append(sweep)
        return len(finished), len(total), missing


# ---------------------------------------------------------------------------
# Scores per run and summaries per cell.


def run_table(tables, final_iterations, share_rate=None):
    """One row per run: method, seed, the scores, the largest arm probability at the end
    (``final_max_p``) and the share of the second half's steps on ``share_rate``."""
    scores = scores_lib.run_scores(tables, final_iterations)
    scores = scores[scores['iterations_logged'] > 0].copy()
    scores['final_max_p'] = scores['run_dir'].map(
        {run_dir: final_max_probability(iterations) for run_dir, iterations in tables.iterations.groupby('run_dir')}
    )
    if share_rate is not None:
        shares = {}
        for run_dir, iterations in tables.iterations.groupby('run_dir'):
            shares[run_dir] = second_half_share(iterations, share_rate)
        scores['share_on_rate'] = scores['run_dir'].map(shares)
    return scores


def second_half_share(iterations, rate):
    """The share of the second half's training steps (or episodes) on the arm whose rate is ``rate``."""
    iterations = iterations.sort_values('iteration')
    half = iterations.iloc[len(iterations) // 2 :]
    arms = [int(c[len('rate_') :]) for c in half.columns if c.startswith('rate_') and half[c].notna().any()]
    matching = [k for k in arms if np.isclose(half[f'rate_{k}'].dropna().iloc[0], rate, rtol=1e-6)]
    if not matching or f'share_{matching[0]}' not in half.columns:
        return np.nan
    # Each iteration has the same number of training steps: the mean of the
    # per-iteration shares is the share of the half's steps.
    return float(half[f'share_{matching[0]}'].mean())


def final_max_probability(iterations):
    """The largest arm probability at the last logged iteration; NaN for a run with one arm.

    How far the bandit moved from a uniform choice (1/K) by the end of the run.
    """
    last = iterations.sort_values('iteration').iloc[-1]
    probabilities = [last[c] for c in iterations.columns if c.startswith('p_') and pd.notna(last[c])]
    return float(max(probabilities)) if len(probabilities) > 1 else np.nan


def _max_p_text(summary):
    value = summary.get('final_max_p', np.nan)
    return f'{value:.2f}' if np.isfinite(value) else '-'


def cell_summary(runs, reps, seed):
    """Per score of one cell's runs: the mean over seeds and its 95% bootstrap interval."""
    out = {'seeds': len(runs)}
    for score in (PRIMARY, SECONDARY):
        values = pd.Series(runs[score].to_numpy(dtype=float), index=runs['seed'].to_numpy())
        if len(values) == 0:
            out[score] = (np.nan, np.nan, np.nan)
            continue
        frame = intervals.aggregate_intervals({'cell': intervals.score_matrix({'game': values})}, reps, seed)
        row = frame.iloc[0]
        out[score] = (row['mean'], row['mean_low'], row['mean_high'])
    for column in ('share_on_rate', 'final_max_p'):
        if column in runs.columns:
            out[column] = float(runs[column].mean()) if len(runs) and runs[column].notna().any() else np.nan
    return out


def improvement(runs_x, runs_y, score, reps, seed):
    """rliable's P(X > Y) over seeds of one game, with its 95% interval."""
    x = intervals.score_matrix({'game': pd.Series(runs_x[score].to_numpy(dtype=float))})
    y = intervals.score_matrix({'game': pd.Series(runs_y[score].to_numpy(dtype=float))})
    return intervals.improvement_interval(x, y, reps, seed)


def _interval_text(point, low, high, digits=3):
    if not np.isfinite(point):
        return 'n/a'
    return f'{point:.{digits}g} [{low:.{digits}g}, {high:.{digits}g}]'


def _probability_text(p, low, high):
    return f'{p:.2f} [{low:.2f}, {high:.2f}]'


# The two tests a rule applies to one cell against another (docs/claims.md, "Rules").
BEATS = 'beats'
COMPETITIVE = 'competitive with'


def game_status(kind, x, best, probability):
    """One game of one part (docs/claims.md, "Rules"): 'above', 'below', 'not above' or 'unclear'.

    ``x``, ``best``: (mean, low, high) of the cell and of the best other cell;
    ``probability``: (p, low, high) of P(x > best), read by ``BEATS``.
    """
    if kind == BEATS:
        p, low, high = probability
        if low > 0.5:
            return 'above'
        if high < 0.5:
            return 'below'
        return 'not above' if p <= 0.5 else 'unclear'
    if kind == COMPETITIVE:
        if x[0] >= best[1]:
            return 'above'  # within reach: at or above the lower end of the best's interval
        if x[2] < best[0]:
            return 'below'
        return 'unclear'
    raise ValueError(f'kind = {kind!r} is not allowed: it must be {BEATS!r} or {COMPETITIVE!r}.')


# ---------------------------------------------------------------------------
# Claim 1: robust to a rate that diverges alone.


def robustness_verdict(summary, probabilities, best_fixed):
    """The rule of claim 1 (docs/claims.md) on the primary score; returns (verdict, conditions).

    ``summary``: {method label: cell_summary}; ``probabilities``: {(x, y): (p, low, high)};
    ``best_fixed``: the label of the fixed rate with the highest mean (after the fact).
    """
    with_, without, best = (summary[k][PRIMARY] for k in ('lrrl_with', 'lrrl_without', best_fixed))
    vs_uniform = game_status(BEATS, with_, None, probabilities[('lrrl_with', 'uniform_with')])
    vs_alone = game_status(BEATS, with_, None, probabilities[('lrrl_with', 'unstable_alone')])
    vs_without = game_status(COMPETITIVE, with_, without, None)
    vs_best = game_status(COMPETITIVE, with_, best, None)
    conditions = {
        'P(LRRL with > uniform with) interval above 0.5': vs_uniform == 'above',
        'P(LRRL with > unstable rate alone) interval above 0.5': vs_alone == 'above',
        "LRRL with >= the lower end of LRRL without's interval": vs_without == 'above',
        "LRRL with >= the lower end of the best fixed rate's interval": vs_best == 'above',
    }
    if all(conditions.values()):
        return REPRODUCED, conditions
    if vs_uniform in ('below', 'not above') or vs_best == 'below':
        return REFUTED, conditions
    return INCONCLUSIVE, conditions


def robustness_claim(campaign, setup, reps, seed, final_iterations):
    """Claim 1 on one setup: its table rows, verdict and conditions; None if no run of its sweep exists."""
    tables = campaign.tables([setup.sweep])
    if tables is None:
        return None
    runs = run_table(tables, final_iterations, share_rate=setup.unstable_rate)
    runs = runs[runs['finished'].astype(bool)]
    roles = setup.cells()
    methods = sorted(runs['method'].unique())
    fixed = [m for m in methods if m.startswith('fixed_')]
    summary = {m: cell_summary(runs[runs['method'] == m], reps, seed) for m in methods}
    for role, label in roles.items():
        summary[role] = summary.get(label)
    complete = all(summary.get(r) for r in ('lrrl_with', 'uniform_with', 'unstable_alone', 'lrrl_without'))
    # The best fixed rate is picked after the fact among those that are not the
    # unstable or destructive rate (an optimistic baseline: labelled so).
    excluded = {roles['unstable_alone']}
    if setup.destructive_rate is not None:
        excluded.add(f'fixed_{rate_label(setup.destructive_rate)}')
    candidates = [m for m in fixed if m not in excluded]
    best_fixed = max(candidates, key=lambda m: summary[m][PRIMARY][0]) if candidates else None
    probabilities = {}
    by_role = {role: runs[runs['method'] == label] for role, label in roles.items()}
    for x, y in (('lrrl_with', 'uniform_with'), ('lrrl_with', 'unstable_alone'), ('lrrl_with', 'lrrl_without')):
        if len(by_role[x]) and len(by_role[y]):
            probabilities[(x, y)] = improvement(by_role[x], by_role[y], PRIMARY, reps, seed)
    if best_fixed and len(by_role['lrrl_with']):
        probabilities[('lrrl_with', 'best_fixed')] = improvement(
            by_role['lrrl_with'], runs[runs['method'] == best_fixed], PRIMARY, reps, seed
        )
    if (
        setup.destructive_rate is not None
        and len(by_role['lrrl_with_destructive'])
        and len(by_role['uniform_with_destructive'])
    ):
        probabilities[('lrrl_with_destructive', 'uniform_with_destructive')] = improvement(
            by_role['lrrl_with_destructive'], by_role['uniform_with_destructive'], PRIMARY, reps, seed
        )
    if complete and best_fixed:
        verdict, conditions = robustness_verdict(summary, probabilities, best_fixed)
    else:
        verdict, conditions = NOT_RUN if runs.empty else RUNNING, {}
    rows = []
    for m in methods:
        s = summary[m]
        rows.append(
            {
                'method': m + (' (best fixed rate, chosen after the fact)' if m == best_fixed else ''),
                'seeds': s['seeds'],
                'final return [95% CI]': _interval_text(*s[PRIMARY]),
                'AUC [95% CI]': _interval_text(*s[SECONDARY]),
                f'share on {rate_label(setup.unstable_rate)}, 2nd half': (
                    f'{s["share_on_rate"]:.2f}' if np.isfinite(s.get('share_on_rate', np.nan)) else '-'
                ),
                MAX_P_COLUMN: _max_p_text(s),
            }
        )
    return {
        'setup': setup,
        'rows': rows,
        'verdict': verdict,
        'conditions': conditions,
        'probabilities': probabilities,
        'summary': summary,
        'best_fixed': best_fixed,
        'runs': runs,
        'tables': tables,
        'scale': _scale(runs),
    }


def _scale(runs):
    if runs.empty:
        return ''
    iterations = int(runs['num_iterations'].max())
    steps = int(runs['training_steps'].max())
    seeds = sorted(int(s) for s in runs['seed'].unique())
    return (
        f'{iterations} iterations x {steps:,} training steps ({iterations * steps:,} agent steps), '
        f'seeds {seeds[0]}-{seeds[-1]} ({len(seeds)}), CPU'
    )


# ---------------------------------------------------------------------------
# Claim 7: the reviewers' questions.


def _minatar(setup):
    return setup.game.endswith(normalization.MINATAR_SUFFIX)


def comparison(campaign, setup, reps, seed, final_iterations):
    """Claim 7 on one setup: per cell its scores, share on ``share_rate``, and P(> the reference cell)."""
    if campaign.tables([setup.sweeps[-1]]) is None:
        return None
    tables = campaign.tables(setup.sweeps)
    runs = run_table(tables, final_iterations, share_rate=setup.share_rate)
    runs = runs[runs['finished'].astype(bool)]
    runs = runs[runs['game'] == setup.game]
    methods = dict(setup.cells)
    reference = runs[runs['method'] == methods[setup.reference]]
    rows = []
    for shown, method in setup.cells:
        cell = runs[runs['method'] == method]
        if cell.empty:
            continue
        s = cell_summary(cell, reps, seed)
        p = improvement(cell, reference, PRIMARY, reps, seed) if len(reference) and shown != setup.reference else None
        share = s.get('share_on_rate', np.nan)
        rows.append(
            {
                'cell': shown,
                'seeds': s['seeds'],
                'final return [95% CI]': _interval_text(*s[PRIMARY]),
                'AUC [95% CI]': _interval_text(*s[SECONDARY]),
                f'share on {rate_label(setup.share_rate)}, 2nd half': f'{share:.2f}' if np.isfinite(share) else '-',
                MAX_P_COLUMN: _max_p_text(s),
                f'P(> {setup.reference}), final return': _probability_text(*p) if p else '-',
                '_mean': s[PRIMARY][0],
                '_p': p,
            }
        )
    return {'setup': setup, 'rows': rows, 'runs': runs, 'tables': tables, 'scale': _scale(runs)}


def _comparison_evidence(result):
    setup = result['setup']
    rows = [r for r in result['rows'] if r['cell'] != setup.reference]
    if not rows:
        return ''
    best = max(rows, key=lambda r: r['_mean'])
    above = [r['cell'] for r in rows if r['_p'] and r['_p'][1] > 0.5]
    below = [r['cell'] for r in rows if r['_p'] and r['_p'][2] < 0.5]
    return (
        f'{setup.question} ({setup.game}): highest mean final return {best["cell"]} ({best["final return [95% CI]"]}); '
        + f'clearly above {setup.reference}: {", ".join(above) or "none"}; clearly below: {", ".join(below) or "none"}'
    )


# ---------------------------------------------------------------------------
# Claims 2-4 and 8: one cell against others, on each game of a sweep.


@dataclasses.dataclass(frozen=True)
class Part:
    """One testable part of a claim: cell ``x`` against the best of ``others``, on every game.

    ``kind``: ``BEATS`` (rliable's P(x > the best other) on final return) or
    ``COMPETITIVE`` (x's mean within the best other's interval). With more than one
    cell in ``others`` the best is picked per game after the fact, on the reported
    seeds (an optimistic baseline). ``in_verdict=False``: shown beside the claim
    (a control), not part of it.
    """

    name: str
    kind: str
    x: str
    others: tuple
    in_verdict: bool = True


@dataclasses.dataclass(frozen=True)
class PerGameSetup:
    """Claims 2-4 and 8: a sweep over games; a cell is named by its ``cell_columns`` joined with '/'."""

    number: int
    sweep: str
    parts: tuple
    cell_columns: tuple = ('method',)


_MINATAR_K5 = tuple(f'fixed_{rate}' for rate in ('6.25e-5', '1.25e-4', '2.5e-4', '5e-4', '1e-3'))
_DECAYS = tuple(f'exp_decay_{d}' for d in ('1.667e-5', '3.333e-5', '5e-5'))
PER_GAME_SETUPS = (
    PerGameSetup(
        2,
        'claim2_minatar_dqn',
        (
            Part('LRRL over 𝒦(5) competitive with the best fixed rate', COMPETITIVE, 'lrrl_k5', _MINATAR_K5),
            Part(
                '𝒦_sparse(3) the best 3-arm subset',
                BEATS,
                'lrrl_sparse',
                ('lrrl_lowest', 'lrrl_middle', 'lrrl_highest'),
            ),
            Part(
                'control (not a claim of the paper): LRRL over 𝒦(5) beats uniform',
                BEATS,
                'lrrl_k5',
                ('uniform_k5',),
                False,
            ),
        ),
    ),
    PerGameSetup(
        3,
        'claim3_minatar_schedulers',
        (
            Part('LRRL over the decays beats the best decay alone', BEATS, 'lrrl_scheduler_arms', _DECAYS),
            Part('beside: LRRL over the decays beats the fixed rate', BEATS, 'lrrl_scheduler_arms', ('fixed',), False),
        ),
    ),
    PerGameSetup(
        4,
        'claim4_minatar_optimizers',
        (
            Part('with Adam, LRRL beats the fixed rate', BEATS, 'adam/lrrl_k5', ('adam/fixed',)),
            Part(
                'with RMSProp-momentum, LRRL underperforms the fixed rate',
                BEATS,
                'rmsprop_momentum/fixed',
                ('rmsprop_momentum/lrrl_k5',),
            ),
        ),
        cell_columns=('label:optimizer', 'method'),
    ),
    PerGameSetup(
        8,
        'claim8_mujoco_ppo',
        (
            Part('LRRL competitive with PPO at its default rate', COMPETITIVE, 'lrrl_ppo_k5', ('fixed_3e-4',)),
            Part(
                "beside: LRRL beats PPO at its default rate (the paper's gains on some tasks)",
                BEATS,
                'lrrl_ppo_k5',
                ('fixed_3e-4',),
                False,
            ),
            Part(
                'control (not a claim of the paper): LRRL beats uniform',
                BEATS,
                'lrrl_ppo_k5',
                ('uniform_ppo_k5',),
                False,
            ),
        ),
    ),
)


def part_verdict(kind, statuses):
    """A part's verdict from its games' statuses: reproduced on every game, refuted if any game is
    clearly against it (or, for ``BEATS``, no game has P above 0.5), else inconclusive."""
    if statuses and all(s == 'above' for s in statuses):
        return REPRODUCED
    if 'below' in statuses or (kind == BEATS and statuses and all(s in ('below', 'not above') for s in statuses)):
        return REFUTED
    return INCONCLUSIVE


def claim_verdict(part_verdicts):
    """The claim (a conjunction of its parts): reproduced if every part is, refuted if any part is."""
    found = list(part_verdicts.values())
    verdict = REPRODUCED if all(v == REPRODUCED for v in found) else REFUTED if REFUTED in found else INCONCLUSIVE
    if len(set(found)) > 1:
        verdict += ' (' + '; '.join(f'{name}: {v}' for name, v in part_verdicts.items()) + ')'
    return verdict


def _cell_names(runs, columns):
    present = [c for c in columns if c in runs.columns]
    return runs[present].astype(str).agg('/'.join, axis=1) if present else runs['method']


def per_game_claim(campaign, setup, reps, seed, final_iterations):
    """Claims 2-4 and 8 on one sweep: per game each cell's scores and each part's status; None without runs."""
    tables = campaign.tables([setup.sweep])
    if tables is None:
        return None
    runs = run_table(tables, final_iterations)
    runs = runs[runs['finished'].astype(bool)].copy()
    runs['cell'] = _cell_names(runs, setup.cell_columns) if len(runs) else []
    # Every game the sweep file plans counts, even one whose runs have not started.
    expected = max(len(campaign.planned_games(setup.sweep)), runs['game'].nunique())
    rows, games = [], {}
    for game in sorted(runs['game'].dropna().unique()):
        in_game = runs[runs['game'] == game]
        summary = {cell: cell_summary(group, reps, seed) for cell, group in in_game.groupby('cell')}
        for cell, s in sorted(summary.items()):
            rows.append(
                {
                    'game': game,
                    'cell': cell,
                    'seeds': s['seeds'],
                    'final return [95% CI]': _interval_text(*s[PRIMARY]),
                    'AUC [95% CI]': _interval_text(*s[SECONDARY]),
                    MAX_P_COLUMN: _max_p_text(s),
                }
            )
        games[game] = {}
        for part in setup.parts:
            others = [c for c in part.others if c in summary]
            if part.x not in summary or len(others) < len(part.others):
                continue  # a cell of this part has no finished run in this game yet
            best = max(others, key=lambda c: summary[c][PRIMARY][0])
            p = improvement(in_game[in_game['cell'] == part.x], in_game[in_game['cell'] == best], PRIMARY, reps, seed)
            status = game_status(part.kind, summary[part.x][PRIMARY], summary[best][PRIMARY], p)
            games[game][part.name] = {'best': best, 'p': p, 'status': status, 'x': summary[part.x], 'y': summary[best]}
    part_verdicts = {}
    for part in setup.parts:
        statuses = [found[part.name]['status'] for found in games.values() if part.name in found]
        complete = expected and len(statuses) == expected
        part_verdicts[part.name] = part_verdict(part.kind, statuses) if complete else RUNNING
    in_verdict = {p.name: part_verdicts[p.name] for p in setup.parts if p.in_verdict}
    verdict = RUNNING if RUNNING in in_verdict.values() else claim_verdict(in_verdict)
    return {
        'setup': setup,
        'rows': rows,
        'games': games,
        'part_verdicts': part_verdicts,
        'verdict': verdict,
        'runs': runs,
        'tables': tables,
        'scale': _scale(runs),
    }


def _part_game_text(part, found):
    x, y, (p, low, high) = found['x'][PRIMARY], found['y'][PRIMARY], found['p']
    best = found['best'] + (' (best, after the fact)' if len(part.others) > 1 else '')
    return f'{part.x} {_interval_text(*x)} vs {best} {_interval_text(*y)}, P(>) {_probability_text(p, low, high)}'


def _per_game_evidence(result):
    parts = []
    for part in result['setup'].parts:
        games = [
            f'{g}: {_part_game_text(part, found[part.name])}'
            for g, found in result['games'].items()
            if part.name in found
        ]
        if games:
            parts.append(f'{part.name} — ' + '; '.join(games))
    return ' | '.join(parts)


def _per_game_section(result):
    setup = result['setup']
    lines = [
        (
            f'Scale: {result["scale"]}. Sweep: `configs/experiments/{setup.sweep}.toml`; its full report: '
            f'[`claim{setup.number}/{setup.sweep}/report.md`](claim{setup.number}/{setup.sweep}/report.md).\n'
        ),
        _table(result['rows']),
        '\nParts of the claim (final return; P = rliable probability of improvement, 95% CI; rule: docs/claims.md):\n',
    ]
    for part in setup.parts:
        lines.append(
            f'- **{part.name}**: {result["part_verdicts"][part.name]}'
            + ('' if part.in_verdict else ' (not in the verdict)')
        )
        for game, found in result['games'].items():
            if part.name in found:
                lines.append(f'  - {game} ({found[part.name]["status"]}): {_part_game_text(part, found[part.name])}')
    return '\n'.join(lines) + '\n'


# ---------------------------------------------------------------------------
# Claim 5: higher rates early, lower later.


def rate_drift(runs, tables):
    """Per LRRL run: the step-weighted mean log10 rate over the last quarter minus the first quarter."""
    out = []
    for run_dir, iterations in tables.iterations.groupby('run_dir'):
        arms = sorted(int(c[len('rate_') :]) for c in iterations.columns if c.startswith('rate_'))
        arms = [k for k in arms if iterations[f'rate_{k}'].notna().any()]
        if len(arms) < 2:
            continue
        iterations = iterations.sort_values('iteration')
        logs = np.log10([iterations[f'rate_{k}'].dropna().iloc[0] for k in arms])
        shares = iterations[[f'share_{k}' for k in arms]].to_numpy(dtype=float)
        quarter = max(len(iterations) // 4, 1)
        early = np.nanmean(shares[:quarter], axis=0) @ logs
        late = np.nanmean(shares[-quarter:], axis=0) @ logs
        out.append({'run_dir': run_dir, 'drift': float(late - early)})
    drift = pd.DataFrame(out, columns=['run_dir', 'drift'])
    return runs.merge(drift, on='run_dir')


# Claim 5's two sources of runs, the first read for the verdict when it has LRRL runs.
DRIFT_MINATAR = 'MinAtar, claims 2 and 4'
DRIFT_CLASSIC = 'CartPole, claims 1 and 7'
DRIFT_CLAIMS = (1, 2, 4, 7)
# The cells where LRRL runs its default bandit (claim 7's sensitivity cells move it).
DEFAULT_LRRL_CELLS = (
    'lrrl_with_',
    'lrrl_without_',
    'lrrl_wide',
    'lrrl_k5',
    'lrrl_sparse',
    'lrrl_lowest',
    'lrrl_middle',
    'lrrl_highest',
)


def drift_claim(sources, reps, seed):
    """Claim 5: LRRL's (default bandit) drift of log10 rate per source of runs, uniform beside.

    ``sources``: ((name, [results of the other claims]), ...), the first the one the
    verdict is read from when it has LRRL runs (docs/claims.md: MinAtar's, whose sets
    hold no unstable rate), else the next.
    """
    rows, lrrl_by_source = [], {}
    for name, results in sources:
        frames = [rate_drift(r['runs'], r['tables'])[['run_dir', 'method', 'seed', 'bandit', 'drift']] for r in results]
        if not frames:
            continue
        drift = pd.concat(frames, ignore_index=True).drop_duplicates('run_dir')
        groups = {
            'LRRL (default bandit)': drift[drift['method'].str.startswith(DEFAULT_LRRL_CELLS)],
            'uniform (control)': drift[drift['bandit'] == 'UniformBandit'],
        }
        for group_name, group in groups.items():
            if group.empty:
                continue
            values = pd.Series(group['drift'].to_numpy(dtype=float))
            frame = intervals.aggregate_intervals({'g': intervals.score_matrix({'game': values})}, reps, seed)
            mean, low, high = frame.iloc[0][['mean', 'mean_low', 'mean_high']]
            if group_name.startswith('LRRL'):
                lrrl_by_source[name] = (mean, low, high)
            rows.append(
                {
                    'runs': f'{name}: {group_name}',
                    'n': len(group),
                    'late - early, mean log10 rate [95% CI]': _interval_text(mean, low, high, 2),
                    'runs with a lower rate late': f'{int((values < 0).sum())} of {len(values)}',
                }
            )
    if not rows:
        return None
    basis = next((name for name, _ in sources if name in lrrl_by_source), None)
    lrrl = lrrl_by_source.get(basis)
    if lrrl is None:
        verdict = NOT_RUN
    elif lrrl[2] < 0:
        verdict = REPRODUCED
    elif lrrl[1] > 0:
        verdict = REFUTED
    else:
        verdict = INCONCLUSIVE
    return {'rows': rows, 'verdict': verdict, 'lrrl': lrrl, 'basis': basis}


# ---------------------------------------------------------------------------
# Claim 6: stationary non-convex problems (the numpy benchmarks' outputs).

STATIONARY_DIR = 'claim6'


def stationary_claim(folder):
    """Claim 6 from ``python -m lrrl.stationary`` and ``python -m lrrl.maclaurin_benchmark`` outputs in ``folder``.

    The rule (docs/claims.md; set after these runs, unlike the others): reproduced if
    LRRL's default ranks first among the fixed rates and itself in more function x
    optimizer cells than ``uniform`` does and beats fixed Adam 1e-3 on MaclaurinNet
    (test error over the last 100 steps, geometric mean ratio > 1); refuted if it does
    neither; otherwise inconclusive. None if the outputs are not there.
    """
    functions = os.path.join(folder, 'functions_table.csv')
    maclaurin = os.path.join(folder, 'maclaurin_table.csv')
    if not (os.path.exists(functions) and os.path.exists(maclaurin)):
        return None
    cells = pd.read_csv(functions)
    firsts = {m: int((cells.loc[cells['method'] == m, 'rank_vs_fixed'] == 1).sum()) for m in ('LRRL', 'uniform')}
    total = int((cells['method'] == 'LRRL').sum())
    ratios = pd.read_csv(maclaurin).set_index('method')['test_error_tail_baseline_ratio_geomean']
    lrrl_ratio, uniform_ratio = float(ratios['LRRL']), float(ratios['uniform'])
    above_uniform = firsts['LRRL'] > firsts['uniform']
    beats_fixed = lrrl_ratio > 1
    verdict = (
        REPRODUCED if above_uniform and beats_fixed else REFUTED if not (above_uniform or beats_fixed) else INCONCLUSIVE
    )
    evidence = (
        f'first among the fixed rates and itself in {firsts["LRRL"]} of {total} function x optimizer cells '
        f"(uniform: {firsts['uniform']}); MaclaurinNet test error of fixed Adam 1e-3 / LRRL's = {lrrl_ratio:.2f} "
        f'(uniform: {uniform_ratio:.2f}; above 1 is better)'
    )
    return {'verdict': verdict, 'evidence': evidence}


# ---------------------------------------------------------------------------
# The page.


@dataclasses.dataclass(frozen=True)
class Claim:
    number: int
    claim: str
    source: str
    experiment: str
    sweeps: tuple = ()


CLAIMS = (
    Claim(
        1,
        'Robust to a rate that diverges when used alone',
        'v3 abstract',
        'DQN on CartPole and Acrobot, IQN on CartPole (3 seeds): each rate alone, LRRL without and with an unstable '
        'rate, UniformBandit with it; a destructive rate beside (CartPole)',
        ('claim1_cartpole_dqn', 'claim1_acrobot_dqn', 'claim1_cartpole_iqn'),
    ),
    Claim(
        2,
        'Competitive with or better than the best fixed rate; 𝒦_sparse(3) the best subset',
        'v1 Table 1',
        'MinAtar Breakout and Seaquest, DQN: each rate of 𝒦(5) alone, LRRL over 𝒦(5) and its 3-arm subsets, '
        'UniformBandit over 𝒦(5)',
        ('claim2_minatar_dqn',),
    ),
    Claim(
        3,
        'Scheduler arms beat the decay schedulers',
        'v1 Table 2',
        'MinAtar Breakout and Seaquest, DQN: the exponential decays rescaled to the run length, LRRL over them, '
        'the fixed rate',
        ('claim3_minatar_schedulers',),
    ),
    Claim(
        4,
        'LRRL with Adam beats DQN-Adam; with RMSProp-momentum it underperforms',
        'v1 Table 3',
        'MinAtar Asterix and Space Invaders, DQN: Adam and RMSProp with momentum, each at its fixed rate and with LRRL',
        ('claim4_minatar_optimizers',),
    ),
    Claim(
        5,
        'Higher rates early, lower later',
        'v1 Fig. 2',
        'from the traces of the LRRL runs of claims 2 and 4 (MinAtar) and 1 and 7 (CartPole): the '
        'share-weighted mean log10 rate of the last quarter of a run minus the first quarter',
    ),
    Claim(
        6,
        'Helps on stationary non-convex problems',
        'v3',
        'the stationary benchmark (six test functions) and MaclaurinNet, with the current default and uniform '
        '(`python -m lrrl.stationary` and `python -m lrrl.maclaurin_benchmark --output_dir=results/claims/claim6`)',
    ),
    Claim(
        7,
        "Reviewers' questions: which bandit; sensitivity to α, δ, κ; a wide set 1e-6…1e-2",
        'ICLR 2025/2026 reviews',
        "LRRL's bandit, paper-literal, textbook Exp3, EXP3-IX, discounted UCB and uniform on one network and set; "
        'the default with α, δ or κ moved one at a time; a wide log-spaced set',
        (
            'claim7_cartpole_bandits',
            'claim7_cartpole_sensitivity',
            'claim7_cartpole_wide_set',
            'claim7_minatar_sensitivity',
        ),
    ),
    Claim(
        8,
        'With PPO on MuJoCo, competitive with the default rate',
        'v3, MuJoCo experiments',
        "MuJoCo Hopper and HalfCheetah, Dopamine's JAX PPO: Adam 3e-4 held constant, LRRL over 3e-4 x "
        '{1/4, 1/2, 1, 2, 4}, UniformBandit over the same rates',
        ('claim8_mujoco_ppo',),
    ),
)


# The archive of finished runs (lrrl.run_archive), beside CLAIMS.md.
ARCHIVE_DIR = 'archive'
# Every sweep the page reads, in claim order.
SWEEPS = tuple(dict.fromkeys([s for c in CLAIMS for s in c.sweeps] + [s for c in COMPARISON_SETUPS for s in c.sweeps]))


def _table(rows):
    rows = [{k: v for k, v in r.items() if not k.startswith('_')} for r in rows]
    if not rows:
        return '(no finished run)\n'
    header = list(rows[0])
    return tables_lib.markdown_table(header, [[r[h] for h in header] for r in rows])


def _robustness_section(result):
    setup = result['setup']
    lines = [f'### {setup.title}\n', f'Scale: {result["scale"]}. Sweep: `configs/experiments/{setup.sweep}.toml`.\n']
    if setup.note:
        lines.append(setup.note + '\n')
    lines.append(_table(result['rows']))
    names = {
        ('lrrl_with', 'uniform_with'): 'LRRL with > uniform with',
        ('lrrl_with', 'unstable_alone'): 'LRRL with > the unstable rate alone',
        ('lrrl_with', 'lrrl_without'): 'LRRL with > LRRL without',
        ('lrrl_with', 'best_fixed'): 'LRRL with > the best fixed rate (chosen after the fact)',
        ('lrrl_with_destructive', 'uniform_with_destructive'): 'with the destructive rate: LRRL > uniform',
    }
    lines.append('\nProbability of improvement on final return (rliable, 95% CI):\n')
    for key, (p, low, high) in result['probabilities'].items():
        lines.append(f'- P({names[key]}) = {_probability_text(p, low, high)}')
    if not result['conditions']:
        lines.append('\nRule (final return): no verdict until every cell has finished.')
        return '\n'.join(lines) + '\n'
    lines.append(f'\nRule (final return): **{result["verdict"]}**')
    for text, met in result['conditions'].items():
        lines.append(f'- {"met" if met else "not met"}: {text}')
    return '\n'.join(lines) + '\n'


def _robustness_evidence(result):
    """One line: each role's final return (n/a for a cell with no finished run yet) and P(LRRL > uniform)."""
    s = result['summary']

    def cell(key):
        return _interval_text(*s[key][PRIMARY]) if key and s.get(key) else 'n/a'

    p = result['probabilities'].get(('lrrl_with', 'uniform_with'))
    best = result['best_fixed']
    text = (
        f'{result["setup"].title}: final return LRRL with {cell("lrrl_with")}, uniform with {cell("uniform_with")}, '
        f'{rate_label(result["setup"].unstable_rate)} alone {cell("unstable_alone")}, '
        f'LRRL without {cell("lrrl_without")}, best fixed ({best}, after the fact) {cell(best)}'
    )
    if p:
        text += f'; P(LRRL with > uniform with) {_probability_text(*p)}'
    return text


def _running(verdicts, evidence, number, progress):
    """A claim whose sweeps have not all finished gets no verdict: its numbers are provisional."""
    finished, total, missing = progress
    if number in verdicts and (finished < total or missing):
        verdicts[number] = f'running ({finished} of {total} runs finished' + (
            f'; not started: {", ".join(missing)})' if missing else ')'
        )
        if evidence.get(number):
            evidence[number] = 'provisional: ' + evidence[number]


def build_page(campaign, reps=2000, seed=0, final_iterations=scores_lib.FINAL_ITERATIONS, stationary_dir=None):
    """Every claim's section and verdict from the campaign's runs (a ``Campaign``; no files).

    ``stationary_dir``: the folder with the numpy benchmarks' outputs for claim 6.
    """
    robustness = [
        r for r in (robustness_claim(campaign, s, reps, seed, final_iterations) for s in ROBUSTNESS_SETUPS) if r
    ]
    choices = [c for c in (comparison(campaign, s, reps, seed, final_iterations) for s in COMPARISON_SETUPS) if c]
    per_game = {
        r['setup'].number: r
        for r in (per_game_claim(campaign, s, reps, seed, final_iterations) for s in PER_GAME_SETUPS)
        if r
    }
    drift = drift_claim(
        (
            (DRIFT_MINATAR, [per_game[n] for n in (2, 4) if n in per_game]),
            # A MinAtar setup of claim 7 moves the bandit's settings; its default-bandit and
            # uniform cells are claim 2's, read in the MinAtar source already.
            (DRIFT_CLASSIC, robustness + [c for c in choices if not _minatar(c['setup'])]),
        ),
        reps,
        seed,
    )
    verdicts, evidence, sections = {}, {}, {}
    if robustness:
        found = [r['verdict'] for r in robustness]
        verdicts[1] = (
            found[0] if len(set(found)) == 1 else INCONCLUSIVE + ' (differs by setup: ' + ', '.join(found) + ')'
        )
        evidence[1] = '; '.join(_robustness_evidence(r) for r in robustness if r['summary'].get('lrrl_with'))
        sections[1] = '\n'.join(_robustness_section(r) for r in robustness)
    if choices:
        verdicts[7] = 'answered for: ' + ', '.join(f'{c["setup"].question} ({c["setup"].game})' for c in choices)
        evidence[7] = '; '.join(_comparison_evidence(c) for c in choices)
        sections[7] = ''.join(
            f'### {c["setup"].question.capitalize()}: {c["setup"].title}\n\nScale: {c["scale"]}. Sweeps: '
            + ', '.join(f'`configs/experiments/{s}.toml`' for s in c['setup'].sweeps)
            + '.\n\n'
            + _table(c['rows'])
            + '\n'
            for c in choices
        )
    for number, result in per_game.items():
        verdicts[number] = result['verdict']
        evidence[number] = _per_game_evidence(result)
        sections[number] = _per_game_section(result)
    if drift:
        verdicts[5] = drift['verdict']
        lrrl = drift['lrrl']
        evidence[5] = (
            f'late − early mean log10 rate of LRRL runs {_interval_text(*lrrl, 2)} ({drift["basis"]})' if lrrl else ''
        )
        sections[5] = (
            '### Rates early and late (from the runs of claims 1, 2, 4 and 7)\n\n'
            + _table(drift['rows'])
            + "\nRule: reproduced if the interval of the LRRL runs' mean drift lies below 0, refuted if above; "
            + f'read from the {DRIFT_MINATAR} runs when they exist, else the {DRIFT_CLASSIC} ones (docs/claims.md).\n'
        )
    stationary = stationary_claim(stationary_dir) if stationary_dir else None
    if stationary:
        verdicts[6], evidence[6] = stationary['verdict'], stationary['evidence']
        sections[6] = (
            f"The numpy benchmarks' tables, plots, commands and discussion: [`{STATIONARY_DIR}/README.md`]"
            f'({STATIONARY_DIR}/README.md) (six test functions x SGD/Adam/RMSProp, d = 10, 2,000 steps; '
            'MaclaurinNet, 10,000 Adam steps; seeds 100-109; LRRL default, paper-literal and uniform).\n\n'
            f'{stationary["evidence"][0].upper()}{stationary["evidence"][1:]}. Rule: docs/claims.md.\n'
        )
    progress = {claim.number: campaign.progress(claim.sweeps) for claim in CLAIMS}
    # Claim 7 also reads claim 1's CartPole cells; claim 5 the runs of claims 1, 2, 4 and 7.
    progress[7] = campaign.progress(tuple(dict.fromkeys(s for c in COMPARISON_SETUPS for s in c.sweeps)))
    progress[5] = campaign.progress(tuple(s for c in CLAIMS if c.number in DRIFT_CLAIMS for s in c.sweeps))
    for claim in CLAIMS:
        _running(verdicts, evidence, claim.number, progress[claim.number])
    return {
        'verdicts': verdicts,
        'evidence': evidence,
        'sections': sections,
        'robustness': robustness,
        'choices': choices,
    }


PAGE_HEADER = """# Does LRRL do what the paper says? Each claim at CPU scale

Written by `python -m lrrl.claims` from the campaign's runs (its sweeps are
`configs/experiments/claim*.toml`, run with `python -m lrrl.launch`; every finished run is kept
in [`archive/`](archive/), so the page regenerates without the run folders); docs/claims.md
says how each verdict is decided. Scale: classic control (CartPole, Acrobot), MinAtar and two
MuJoCo tasks on a 2-core CPU, 40k to 300k agent steps per run; the paper's DQN runs are 200
iterations x 250k agent steps (200M Atari frames), its PPO runs are assumed to be 1M steps.
**None of this is a reproduction at the paper's scale**: a verdict says whether the claim
holds in these small settings, where it can be measured.
Reported seeds are 0-4; anything chosen (the unstable and destructive rates, LRRL's default
bandit) was chosen on other seeds (5-9, or the bandit testbed's). Intervals: 95% percentile
bootstrap over seeds (rliable, {reps:,} replicates, seed {seed}); final return = mean training
return over the last {final_iterations} iterations; *max arm p at the end* = a bandit's largest arm
probability after the last iteration, mean over seeds (1/K for a choice that stayed uniform).
"""


def page_text(page, reps, seed, final_iterations, extra_sections=None):
    """CLAIMS.md: a line per claim, then each claim's evidence."""
    verdicts, evidence = page['verdicts'], page['evidence']
    lines = [PAGE_HEADER.format(reps=reps, seed=seed, final_iterations=final_iterations)]
    rows = []
    for claim in CLAIMS:
        sweeps = ', '.join(f'`{s}`' for s in claim.sweeps) or '-'
        rows.append(
            [
                str(claim.number),
                f'{claim.claim} ({claim.source})',
                f'**{verdicts.get(claim.number, NOT_RUN)}**',
                evidence.get(claim.number, '') or claim.experiment,
                sweeps,
            ]
        )
    lines.append(tables_lib.markdown_table(['#', 'claim (paper)', 'at this scale', 'evidence', 'sweeps'], rows))
    sections = dict(page['sections'])
    sections.update(extra_sections or {})
    for claim in CLAIMS:
        lines.append(f'\n## Claim {claim.number}: {claim.claim} ({claim.source})\n')
        lines.append(f'Experiment: {claim.experiment}.\n')
        lines.append(sections.get(claim.number, f'Not run yet at this scale: **{NOT_RUN}**.\n'))
    return '\n'.join(lines)


def write_claims(
    campaign, out_dir, reps=2000, seed=0, final_iterations=scores_lib.FINAL_ITERATIONS, with_reports=True, log=None
):
    """Writes ``out_dir/CLAIMS.md`` and, with ``with_reports``, each claim sweep's full report
    (``lrrl.report``: tables, curves, rates, rliable aggregates) into ``out_dir/claim<N>/<sweep>/``,
    from the runs of ``campaign`` (a ``Campaign``).

    Returns the paths written.
    """

    log = log or (lambda line: None)
    page = build_page(campaign, reps, seed, final_iterations, stationary_dir=os.path.join(out_dir, STATIONARY_DIR))
    written = []
    if with_reports:
        for claim in CLAIMS:
            for sweep in claim.sweeps:
                target = os.path.join(out_dir, f'claim{claim.number}', sweep)
                paths = campaign.write_report(sweep, target, reps, seed, final_iterations)
                if paths:
                    log(f'claim {claim.number}: report of {sweep} -> {target}')
                written += paths
    path = os.path.join(out_dir, 'CLAIMS.md')
    os.makedirs(out_dir, exist_ok=True)
    atomic.write_text(path, page_text(page, reps, seed, final_iterations))
    written.append(path)
    for number, verdict in sorted(page['verdicts'].items()):
        log(f'claim {number}: {verdict}')
    return written
