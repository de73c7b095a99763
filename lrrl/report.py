r"""From run folders to the paper's tables and plots.

  python -m lrrl.report --runs=runs/table1 [--runs=more_runs ...] --out=results/table1

Finds every run folder under each ``--runs`` (a sweep or runs launched by hand),
and writes to ``--out`` (see README, "Tables and plots"):

- ``report.md``: every table below in Markdown, with the notes (unfinished
  runs, missing seeds, scale) and the definitions of the scores;
- ``per_game.{csv,md,tex}``: per game x method, the max average return, the
  final-iteration return and the area under the curve (mean ± std over seeds),
  seeds and iterations behind each cell, and the paper's value where known;
- ``aggregate.{csv,md,tex}``: per method, IQM and mean of human-normalised
  max average returns with 95% stratified bootstrap intervals (rliable);
- ``improvement.{csv,md,tex}``: rliable's probability of improvement of each
  LRRL method over each baseline, with its interval;
- ``runs.csv`` (one row per run, with its scores), ``iterations.csv`` (the long
  per-iteration table);
- PNG plots: ``curves_<agent>_<game>.png``, ``lr_<agent>_<game>_<method>.png``
  (LRRL runs), ``aggregate_<agent>.png`` (IQM bars, rliable's performance profiles).

No run folder under ``--runs`` is an error (exit 2) and nothing is written.
"""

import os
import re
import sys

from absl import app
from absl import flags
import numpy as np
import pandas as pd

from lrrl import analysis
from lrrl import gin_files
from lrrl import intervals
from lrrl import normalization
from lrrl import trace

flags.DEFINE_multi_string('runs', [], 'Folder(s) holding run folders (searched recursively).')
flags.DEFINE_string('out', None, 'Folder for the tables and plots (created if needed).')
flags.DEFINE_integer(
    'bootstrap_reps', 2000, 'Bootstrap replicates for every interval (rliable: 2,000 for profiles, 50,000 by default).'
)
flags.DEFINE_integer('bootstrap_seed', 0, 'Seed of the bootstrap, so the intervals are reproducible.')
flags.DEFINE_bool('plots', True, 'Write the PNG plots.')

FLAGS = flags.FLAGS

PAPER_REPORTED = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', 'paper_reported.csv')
PAPER_ITERATIONS = 200
PAPER_TRAINING_STEPS = 250_000
LRRL_CONTROLLER = 'BanditLearningRate'


# ---------------------------------------------------------------------------
# Comparison with the paper.


def paper_values(cells, runs, path=PAPER_REPORTED):
    """The paper's reported value for each cell where known, and whether the runs are at its scale.

    ``best_fixed`` rows go to the fixed-rate method with the highest mean in
    that agent and game.
    """
    reported = pd.read_csv(path, comment='#')
    text = pd.Series('', index=cells.index)
    controller = runs.groupby('method')['controller'].first()
    for row in reported.itertuples():
        here = cells[(cells['agent'].astype(str) == row.agent) & (cells['game'].astype(str) == row.game)]
        if row.method == 'best_fixed':
            fixed = here[here['method'].map(controller) == 'FixedLearningRate']
            targets = [fixed['max_average_return_mean'].idxmax()] if len(fixed) else []
        else:
            targets = list(here.index[here['method'] == row.method])
        value = f'{row.mean:,.0f}' + (f' ± {row.std:,.0f}' if not pd.isna(row.std) else '')
        for index in targets:
            cell_runs = runs[
                (runs['agent'] == row.agent)
                & (runs['game'] == row.game)
                & (runs['method'] == cells.loc[index, 'method'])
            ]
            at_scale = (
                (cell_runs['num_iterations'] >= PAPER_ITERATIONS)
                & (cell_runs['training_steps'] >= PAPER_TRAINING_STEPS)
            ).all()
            text[index] = f'{value} ({row.description}{"" if at_scale else "; different scale"})'
    return text


# ---------------------------------------------------------------------------
# Across games.


def normalized_scores(scores, score='max_average_return'):
    """``{method: {game: per-run scores}}`` for one aggregate group, and what the scores are.

    Each game's scores are a ``pd.Series`` indexed by seed (``None`` where the
    seed is unknown), so runs can be matched across games.
    Human-normalised over the games with reference scores. A group whose only
    game has none (CartPole) is aggregated on raw scores; games without
    reference scores beside games with them are left out (and reported).
    """
    games = sorted(scores['game'].astype(str).unique())
    known = [g for g in games if normalization.has_reference(g)]
    if known:
        label, used, left_out = 'human-normalised max average return', known, sorted(set(games) - set(known))
    elif len(games) == 1:
        label, used, left_out = f'max average return on {games[0]} (raw: no reference scores)', games, []
    else:
        return None, None, games
    by_method = {}
    for (method, game), runs in scores[scores['game'].astype(str).isin(used)].groupby(['method', 'game']):
        runs = runs[runs[score].notna()]
        if len(runs):
            values = runs[score].to_numpy(dtype=float)
            seeds = pd.Index([int(s) if pd.notna(s) else None for s in runs['seed']], dtype=object, name='seed')
            normalised = normalization.human_normalized(values, game) if known else values
            by_method.setdefault(method, {})[game] = pd.Series(normalised, index=seeds)
    return by_method, label, left_out


def _left_out_text(matrix):
    return '; '.join(
        f'{game} seed{"s" if len(seeds) > 1 else ""} {",".join("unknown" if s is None else str(s) for s in seeds)}'
        for game, seeds in sorted(matrix.left_out.items())
    )


def group_estimates(group_name, by_method, lrrl_methods, reps, seed):
    """rliable's estimates for one group: IQM/mean intervals, probabilities of improvement, and notes.

    rliable needs the same runs on every game: each method's matrix keeps the
    seeds all its games have (``intervals.score_matrix``); the runs left out
    are named in the notes. A method with no seed common to its games is left
    out of the group's tables, and said so.
    """
    notes = []
    matrices = {}
    for method, by_game in sorted(by_method.items()):
        matrix = intervals.score_matrix(by_game)
        if matrix.left_out and not matrix.seeds:
            notes.append(
                f'{group_name}, {method}: left out of the aggregates: no seed is common to its games '
                f'({_left_out_text(matrix)}; rliable needs the same runs on every game).'
            )
        elif matrix.left_out:
            notes.append(
                f'{group_name}, {method}: the aggregates use the seeds all its games have '
                f'({",".join(str(s) for s in matrix.seeds)}); left out: {_left_out_text(matrix)} '
                '(rliable needs the same runs on every game).'
            )
        if len(matrix.seeds):
            matrices[method] = matrix
    aggregate = intervals.aggregate_intervals(matrices, reps, seed) if matrices else pd.DataFrame()
    rows = []
    for method in sorted(m for m in matrices if m in lrrl_methods):
        for baseline in sorted(m for m in matrices if m not in lrrl_methods):
            games = sorted(set(matrices[method].games) & set(matrices[baseline].games))
            if not games:
                continue
            x, y = (
                m if m.games == games else intervals.score_matrix(by_method[name], games)
                for name, m in ((method, matrices[method]), (baseline, matrices[baseline]))
            )
            if not (len(x.seeds) and len(y.seeds)):
                continue
            if x is not matrices[method] or y is not matrices[baseline]:
                notes.append(
                    f'{group_name}, P({method} > {baseline}): on the games both have ({", ".join(games)}), '
                    f'seeds {",".join(str(s) for s in x.seeds)} vs {",".join(str(s) for s in y.seeds)}.'
                )
            p, low, high = intervals.improvement_interval(x, y, reps, seed)
            row = {'method': method, 'baseline': baseline, 'games': len(games), 'probability': p}
            rows.append({**row, 'low': low, 'high': high})
    improvement = pd.DataFrame(rows, columns=['method', 'baseline', 'games', 'probability', 'low', 'high'])
    return matrices, aggregate, improvement, notes


def profile_thresholds(matrices, count=101):
    """Evenly spaced thresholds over the range of all scores, 5% margin either side."""
    values = np.concatenate([m.matrix.ravel() for m in matrices.values()])
    low, high = float(np.min(values)), float(np.max(values))
    span = high - low or 1.0
    return np.linspace(low - 0.05 * span, high + 0.05 * span, count)


# ---------------------------------------------------------------------------
# Formatting: Markdown and LaTeX from one list of display rows.


def _number(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return '–'
    magnitude = abs(value)
    if magnitude >= 1000:
        return f'{value:,.0f}'
    if magnitude >= 10:
        return f'{value:.1f}'
    return f'{value:.2f}' if magnitude >= 0.1 or magnitude == 0 else f'{value:.3g}'


def _mean_std(mean, std):
    return _number(mean) + ('' if std is None or pd.isna(std) else f' ± {_number(std)}')


def _interval(point, low, high):
    return f'{_number(point)} [{_number(low)}, {_number(high)}]'


def markdown_table(header, rows, bold=None):
    bold = bold or [False] * len(rows)
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for row, strong in zip(rows, bold):
        cells = [c.replace('|', '\\|') for c in row]
        if strong:
            cells = [f'**{c}**' if c else c for c in cells]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


_LATEX_SPECIAL = {
    '&': r'\&',
    '%': r'\%',
    '$': r'\$',
    '#': r'\#',
    '_': r'\_',
    '{': r'\{',
    '}': r'\}',
    '~': r'\textasciitilde{}',
    '^': r'\^{}',
}


def _latex_escape(text):
    text = re.sub(r'[&%$#_{}~^]', lambda m: _LATEX_SPECIAL[m.group()], text)
    return text.replace('±', r'$\pm$').replace('–', '--').replace('τ', r'$\tau$')


def latex_table(header, rows, bold=None, caption=''):
    bold = bold or [False] * len(rows)
    lines = [
        '% needs \\usepackage{booktabs}',
        r'\begin{table}[t]',
        r'\centering',
        r'\begin{tabular}{' + 'l' * len(header) + '}',
        r'\toprule',
    ]
    lines.append(' & '.join(_latex_escape(h) for h in header) + r' \\')
    lines.append(r'\midrule')
    for row, strong in zip(rows, bold):
        cells = [_latex_escape(c) for c in row]
        if strong:
            cells = [r'\textbf{' + c + '}' if c else c for c in cells]
        lines.append(' & '.join(cells) + r' \\')
    lines += [r'\bottomrule', r'\end{tabular}']
    if caption:
        lines.append(r'\caption{' + _latex_escape(caption) + '}')
    lines.append(r'\end{table}')
    return '\n'.join(lines) + '\n'


def per_game_display(cells, extra_keys):
    header = [
        *extra_keys,
        'agent',
        'game',
        'method',
        'max average return',
        'final return',
        'AUC',
        'seeds',
        'iterations',
        'notes',
        'paper',
    ]
    rows = []
    for _, cell in cells.iterrows():
        notes = []
        if cell['missing_seeds']:
            notes.append(f'missing seeds {cell["missing_seeds"]}')
        if cell['n_unfinished']:
            notes.append(f'{cell["n_unfinished"]} unfinished')
        if cell['n_runs_without_data']:
            notes.append(f'{cell["n_runs_without_data"]} without logged iterations')
        rows.append(
            [
                *(str(cell[k]) for k in extra_keys),
                str(cell['agent']),
                str(cell['game']),
                str(cell['method']),
                _mean_std(cell['max_average_return_mean'], cell['max_average_return_std']),
                _mean_std(cell['final_return_mean'], cell['final_return_std']),
                _mean_std(cell['auc_mean'], cell['auc_std']),
                str(cell['n_seeds']),
                str(cell['n_iterations']),
                '; '.join(notes),
                str(cell.get('paper', '')),
            ]
        )
    return header, rows, list(cells['best'].astype(bool))


def aggregate_display(intervals):
    header = ['group', 'method', 'games', 'runs', 'IQM [95% CI]', 'mean [95% CI]', 'score']
    rows = [
        [
            str(r['group']),
            str(r['method']),
            str(r['games']),
            str(r['runs']) + (f' ({r["runs_left_out"]} left out)' if r['runs_left_out'] else ''),
            _interval(r['iqm'], r['iqm_low'], r['iqm_high']),
            _interval(r['mean'], r['mean_low'], r['mean_high']),
            str(r['score']),
        ]
        for _, r in intervals.iterrows()
    ]
    return header, rows


def improvement_display(improvement):
    header = ['group', 'LRRL method', 'baseline', 'games', 'P(LRRL > baseline) [95% CI]']
    rows = [
        [
            str(r['group']),
            str(r['method']),
            str(r['baseline']),
            str(r['games']),
            _interval(r['probability'], r['low'], r['high']),
        ]
        for _, r in improvement.iterrows()
    ]
    return header, rows


# ---------------------------------------------------------------------------
# The report.


def _slug(*parts):
    return re.sub(r'[^A-Za-z0-9.+-]+', '_', '_'.join(str(p) for p in parts if p not in (None, ''))).strip('_')


def _write_text(path, text):
    trace.atomic_write_text(path, text)
    return path


def _write_csv(path, frame):
    return _write_text(path, frame.to_csv(index=False))


def build_report(tables, reps=2000, seed=0):
    """All tables of the report as DataFrames, and its notes (no files)."""
    scores = analysis.run_scores(tables)
    cells = analysis.cell_table(tables, scores)
    cells['paper'] = paper_values(cells, tables.runs)
    group_keys = [k for k in tables.cell_columns if k not in ('game', 'method')]
    lrrl_methods = set(tables.runs.loc[tables.runs['controller'] == LRRL_CONTROLLER, 'method'])
    aggregates, improvements, profiles, notes = [], [], {}, []
    for group, group_scores in scores.groupby([scores[k].astype(str) for k in group_keys], sort=True):
        group_name = ', '.join(str(g) for g in (group if isinstance(group, tuple) else (group,)))
        by_method, label, left_out = normalized_scores(group_scores)
        if left_out:
            notes.append(
                f'{group_name}: games without reference scores left out of the aggregates: {", ".join(left_out)}.'
            )
        if not by_method:
            continue
        matrices, aggregate, improvement, group_notes = group_estimates(group_name, by_method, lrrl_methods, reps, seed)
        notes += group_notes
        if not matrices:
            continue
        thresholds = profile_thresholds(matrices)
        profiles[group_name] = (thresholds, intervals.performance_profiles(matrices, thresholds, reps, seed), label)
        aggregate.insert(0, 'group', group_name)
        aggregate['score'] = label
        aggregates.append(aggregate)
        improvement.insert(0, 'group', group_name)
        improvements.append(improvement)
    aggregate = pd.concat(aggregates, ignore_index=True) if aggregates else pd.DataFrame()
    improvement = pd.concat(improvements, ignore_index=True) if improvements else pd.DataFrame()
    runs = tables.runs
    for _, run in runs[~runs['finished'].astype(bool)].iterrows():
        notes.append(
            f'unfinished: {run["run_dir"]} ({run["method"]}, {run["game"]}, seed {run["seed"]}): '
            f'{run["iterations_logged"]} of {run["num_iterations"]} iterations logged'
            + (f', state {run["state"]}' if run['state'] else '')
            + '; its scores use the iterations it has.'
        )
    for _, cell in cells[cells['missing_seeds'] != ''].iterrows():
        notes.append(
            f'missing seeds: {cell["agent"]}, {cell["game"]}, {cell["method"]} has seeds {cell["seeds"]}, '
            f'lacks {cell["missing_seeds"]} (which other methods of this game have).'
        )
    scale = runs[['num_iterations', 'training_steps']].drop_duplicates().dropna()
    for _, s in scale.iterrows():
        at_scale = s['num_iterations'] >= PAPER_ITERATIONS and s['training_steps'] >= PAPER_TRAINING_STEPS
        notes.append(
            f'scale: runs of {int(s["num_iterations"])} iterations x {int(s["training_steps"]):,} training steps'
            + (
                ''
                if at_scale
                else f' (the paper: {PAPER_ITERATIONS} x {PAPER_TRAINING_STEPS:,}; values are not comparable with it)'
            )
            + '.'
        )
    return {
        'scores': scores,
        'cells': cells,
        'aggregate': aggregate,
        'improvement': improvement,
        'profiles': profiles,
        'notes': notes,
    }


def write_plots(tables, report, out_dir):
    from lrrl import plots  # matplotlib only when plotting

    written = []
    iterations = tables.iterations
    if iterations.empty:
        return written
    for (agent, game), runs in iterations.groupby(['agent', 'game']):
        fig = plots.learning_curves(runs, title=f'{game} ({agent}): mean training return, mean ± std over seeds')
        written.append(plots.save(fig, os.path.join(out_dir, f'curves_{_slug(agent, game)}.png')))
        for method, method_runs in runs[runs['controller'] == LRRL_CONTROLLER].groupby('method'):
            candidates = [float(r) for r in method_runs['candidates'].iloc[0].split(',')]
            fig = plots.learning_rates(
                method_runs, candidates, title=f'{game} ({agent}), {method}: rate chosen by LRRL'
            )
            written.append(plots.save(fig, os.path.join(out_dir, f'lr_{_slug(agent, game, method)}.png')))
    for group, (thresholds, profiles, label) in report['profiles'].items():
        estimates = report['aggregate'][report['aggregate']['group'] == group]
        fig = plots.aggregate(estimates, thresholds, profiles, label)
        written.append(plots.save(fig, os.path.join(out_dir, f'aggregate_{_slug(group)}.png')))
    return written


def write_report(run_roots, out_dir, reps=2000, seed=0, with_plots=True):
    """Loads the runs, then writes every table and plot into ``out_dir``; returns the paths."""
    if not run_roots:
        raise gin_files.UsageError(
            '--runs is empty: give the folder(s) that hold the run folders, e.g. --runs=runs/table1.'
        )
    if not out_dir:
        raise gin_files.UsageError('--out is required: the folder for the tables and plots.')
    if reps < 1:
        raise gin_files.UsageError(f'--bootstrap_reps={reps} is not allowed: it must be >= 1.')
    tables = analysis.load_runs(list(run_roots))  # raises NoRunsError before anything is written
    report = build_report(tables, reps=reps, seed=seed)
    os.makedirs(out_dir, exist_ok=True)
    written = []
    cells = report['cells']
    extra_keys = [k for k in tables.cell_columns if k not in analysis.CELL_COLUMNS]
    header, rows, bold = per_game_display(cells, extra_keys)
    per_game_md = markdown_table(header, rows, bold)
    caption = 'Per game and method: mean ± std over seeds; bold: interval above all others in its game.'
    written.append(_write_csv(os.path.join(out_dir, 'per_game.csv'), cells))
    written.append(_write_text(os.path.join(out_dir, 'per_game.md'), per_game_md))
    written.append(_write_text(os.path.join(out_dir, 'per_game.tex'), latex_table(header, rows, bold, caption)))
    sections = [
        '# Results\n\n',
        f'Runs from: {", ".join(run_roots)} ({len(tables.runs)} run folders).\n\n',
        '## Per game and method\n\n',
        per_game_md,
    ]
    sections.append(
        '\nBold: the method whose mean ± std interval of max average return lies above every other '
        "method's in that game. Paper: the value reported for v1 (approximate, from reviews; "
        '`lrrl/data/paper_reported.csv`).\n\n'
        + '\n'.join(f'- **{name.replace("_", " ")}**: {text}.' for name, text in analysis.SCORE_DEFINITIONS.items())
        + '\n'
    )
    for name, frame, display, title in (
        ('aggregate', report['aggregate'], aggregate_display, 'Across games'),
        ('improvement', report['improvement'], improvement_display, 'Probability of improvement'),
    ):
        if frame.empty:
            continue
        header, rows = display(frame)
        table_md = markdown_table(header, rows)
        written.append(_write_csv(os.path.join(out_dir, f'{name}.csv'), frame))
        written.append(_write_text(os.path.join(out_dir, f'{name}.md'), table_md))
        written.append(_write_text(os.path.join(out_dir, f'{name}.tex'), latex_table(header, rows, caption=title)))
        sections += [f'\n## {title}\n\n', table_md]
    sections.append(
        f"\nIntervals: 95% percentile intervals of rliable's stratified bootstrap (runs resampled within each game, "
        f"{reps} replicates, numpy seed {seed}); IQM: mean of the middle 50% of all runs' scores, mean: mean over "
        "games of each game's mean (Agarwal et al. 2021). rliable needs the same runs on every game: where seeds "
        'differ between games, each method keeps the seeds all its games have (see the notes).\n'
    )
    if report['notes']:
        sections += ['\n## Notes\n\n', ''.join(f'- {note}\n' for note in report['notes'])]
    written.append(_write_csv(os.path.join(out_dir, 'runs.csv'), report['scores']))
    written.append(_write_csv(os.path.join(out_dir, 'iterations.csv'), tables.iterations))
    if with_plots:
        written += write_plots(tables, report, out_dir)
    written.append(_write_text(os.path.join(out_dir, 'report.md'), ''.join(sections)))
    return written, report


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
    try:
        written, report = write_report(FLAGS.runs, FLAGS.out, FLAGS.bootstrap_reps, FLAGS.bootstrap_seed, FLAGS.plots)
    except (gin_files.UsageError, analysis.NoRunsError, analysis.UnreadableRunError) as e:
        print(f'lrrl.report: error: {e}', file=sys.stderr)
        sys.exit(2)
    for note in report['notes']:
        print(f'[lrrl.report] {note}')
    print(
        f'[lrrl.report] wrote {len(written)} files to {FLAGS.out}: ' + ', '.join(os.path.basename(p) for p in written)
    )


if __name__ == '__main__':
    app.run(main)
