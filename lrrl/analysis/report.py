"""From run folders to the paper's tables and plots: the library behind ``python -m lrrl.report``.

``write_report(run_roots, out_dir)`` finds every run folder under each root (a
sweep or runs launched by hand) and writes to ``out_dir`` (docs/analysis.md):

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

No run folder under the roots is a ``NoRunsError`` (exit 2) and nothing is written.
"""

import os
import re

import pandas as pd

from lrrl import atomic
from lrrl import tables as tables_lib
from lrrl import errors
from lrrl.analysis import display
from lrrl.analysis import estimates
from lrrl.analysis import intervals
from lrrl.analysis import loading
from lrrl.analysis import scores as scores_lib


def _slug(*parts):
    return re.sub(r'[^A-Za-z0-9.+-]+', '_', '_'.join(str(p) for p in parts if p not in (None, ''))).strip('_')


def _write_text(path, text):
    return atomic.write_text(path, text)


def _write_csv(path, frame):
    return _write_text(path, frame.to_csv(index=False))


def _run_count(tables, run_roots, archived):
    """'N run folders', and how many of them stand as archived records (their folders gone)."""
    found = {os.path.abspath(f) for f in loading.find_run_folders(list(run_roots))}
    from_archive = len({os.path.abspath(r.settings['run_dir']) for r in archived} - found)
    return f'{len(tables.runs)} run folders' + (
        f', {from_archive} of them read from their archived records' if from_archive else ''
    )


def _check_aggregate_scores(aggregate_scores):
    if not aggregate_scores or any(s not in scores_lib.SCORES for s in aggregate_scores):
        raise errors.ConfigError(
            f'--aggregate_scores={",".join(aggregate_scores)} is not allowed: it must name one or more of '
            f'{", ".join(scores_lib.SCORES)}.'
        )


def build_report(
    tables, reps=2000, seed=0, final_iterations=scores_lib.FINAL_ITERATIONS, aggregate_scores=scores_lib.SCORES
):
    """All tables of the report as DataFrames, and its notes (no files).

    The aggregates (IQM, mean, probability of improvement, profiles) are made for
    each score in ``aggregate_scores``, the primary ones first.
    """
    _check_aggregate_scores(aggregate_scores)
    scores = scores_lib.run_scores(tables, final_iterations)
    cells = scores_lib.cell_table(tables, scores)
    cells['paper'] = estimates.paper_values(cells, tables.runs)
    group_keys = [k for k in tables.cell_columns if k not in ('game', 'method')]
    lrrl_methods = estimates.lrrl_methods(tables.runs)
    aggregates, improvements, profiles, notes = [], [], {}, []
    for group, group_scores in scores.groupby([scores[k].astype(str) for k in group_keys], sort=True):
        group_name = ', '.join(str(g) for g in (group if isinstance(group, tuple) else (group,)))
        for score in aggregate_scores:
            by_method, label, left_out = estimates.normalized_scores(group_scores, score)
            if left_out and score == aggregate_scores[0]:
                notes.append(
                    f'{group_name}: games without reference scores left out of the aggregates: {", ".join(left_out)}.'
                )
            if not by_method:
                continue
            if estimates.MINATAR_SCALE in label and estimates.MINATAR_NOTE not in notes:
                notes.append(estimates.MINATAR_NOTE)
            matrices, aggregate, improvement, group_notes = estimates.group_estimates(
                group_name, by_method, lrrl_methods, reps, seed
            )
            if score == aggregate_scores[0]:
                notes += group_notes
            if not matrices:
                continue
            thresholds = estimates.profile_thresholds(matrices)
            profiles[(group_name, score)] = (
                thresholds,
                intervals.performance_profiles(matrices, thresholds, reps, seed),
                label,
            )
            aggregate.insert(0, 'group', group_name)
            aggregate['score'] = label
            aggregates.append(aggregate)
            improvement.insert(0, 'group', group_name)
            improvement['score'] = label
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
    scale = runs[['agent', 'num_iterations', 'training_steps']].drop_duplicates().dropna()
    for _, s in scale.iterrows():
        agent, iterations, steps = s['agent'], int(s['num_iterations']), int(s['training_steps'])
        paper_iterations, paper_steps = estimates.paper_scale(agent)
        notes.append(
            f'scale: {agent} runs of {iterations} iterations x {steps:,} training steps'
            + (
                ''
                if estimates.at_paper_scale(agent, iterations, steps)
                else f' (the paper: {paper_iterations} x {paper_steps:,}; values are not comparable with it)'
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
    from lrrl.analysis import plots  # matplotlib only when plotting

    written = []
    iterations = tables.iterations
    if iterations.empty:
        return written
    for (agent, game), runs in iterations.groupby(['agent', 'game']):
        fig = plots.learning_curves(runs, title=f'{game} ({agent}): mean training return, mean ± std over seeds')
        written.append(plots.save(fig, os.path.join(out_dir, f'curves_{_slug(agent, game)}.png')))
        for method, method_runs in runs[runs['controller'] == estimates.LRRL_CONTROLLER].groupby('method'):
            # None: the arms are schedules (methods/lrrl_scheduler_arms.gin), not fixed rates.
            text = method_runs['candidates'].iloc[0]
            candidates = [float(r) for r in text.split(',')] if isinstance(text, str) else None
            fig = plots.learning_rates(
                method_runs, candidates, title=f'{game} ({agent}), {method}: rate chosen by LRRL'
            )
            written.append(plots.save(fig, os.path.join(out_dir, f'lr_{_slug(agent, game, method)}.png')))
    for (group, score), (thresholds, profiles, label) in report['profiles'].items():
        aggregate = report['aggregate']
        group_aggregate = aggregate[(aggregate['group'] == group) & (aggregate['score'] == label)]
        fig = plots.aggregate(group_aggregate, thresholds, profiles, label)
        written.append(plots.save(fig, os.path.join(out_dir, f'aggregate_{_slug(group, score)}.png')))
    return written


def write_report(
    run_roots,
    out_dir,
    reps=2000,
    seed=0,
    with_plots=True,
    final_iterations=scores_lib.FINAL_ITERATIONS,
    aggregate_scores=scores_lib.SCORES,
    archived=(),
):
    """Loads the runs, then writes every table and plot into ``out_dir``; returns the paths.

    ``archived``: archived runs (``loading.archived_runs``) that stand in for missing run folders.
    """
    if not run_roots and not archived:
        raise errors.ConfigError(
            '--runs is empty: give the folder(s) that hold the run folders, e.g. --runs=runs/table1.'
        )
    if not out_dir:
        raise errors.ConfigError('--out is required: the folder for the tables and plots.')
    if reps < 1:
        raise errors.ConfigError(f'--bootstrap_reps={reps} is not allowed: it must be >= 1.')
    if isinstance(final_iterations, bool) or not isinstance(final_iterations, int) or final_iterations < 1:
        raise errors.ConfigError(f'--final_iterations={final_iterations} is not allowed: it must be an integer >= 1.')
    _check_aggregate_scores(aggregate_scores)
    tables = loading.load_runs(list(run_roots), archived)  # raises NoRunsError before anything is written
    report = build_report(
        tables, reps=reps, seed=seed, final_iterations=final_iterations, aggregate_scores=tuple(aggregate_scores)
    )
    os.makedirs(out_dir, exist_ok=True)
    written = []
    cells = report['cells']
    extra_keys = [k for k in tables.cell_columns if k not in loading.CELL_COLUMNS]
    header, rows, bold = display.per_game_display(cells, extra_keys)
    per_game_md = tables_lib.markdown_table(header, rows, bold)
    caption = 'Per game and method: mean ± std over seeds; bold: final-return interval above all others in its game.'
    written.append(_write_csv(os.path.join(out_dir, 'per_game.csv'), cells))
    written.append(_write_text(os.path.join(out_dir, 'per_game.md'), per_game_md))
    written.append(_write_text(os.path.join(out_dir, 'per_game.tex'), display.latex_table(header, rows, bold, caption)))
    count = _run_count(tables, run_roots, archived)
    sections = [
        '# Results\n\n',
        f'Runs from: {", ".join(run_roots) or "archived records only"} ({count}).\n\n',
        '## Per game and method\n\n',
        per_game_md,
    ]
    sections.append(
        '\nBold: the method whose mean ± std interval of final return lies above every other '
        "method's in that game. A fixed rate marked *best fixed rate, chosen after the fact* is the one "
        'with the highest mean final return on the very seeds it is scored on: an optimistic baseline. '
        'Paper: the value reported for v1 (approximate, from reviews; `lrrl/data/paper_reported.csv`).\n\n'
        + '\n'.join(
            f'- **{scores_lib.SCORE_NAMES[name]}**: {text}.'
            for name, text in scores_lib.score_definitions(final_iterations).items()
        )
        + '\n'
    )
    for name, frame, to_rows, title in (
        ('aggregate', report['aggregate'], display.aggregate_display, 'Across games'),
        ('improvement', report['improvement'], display.improvement_display, 'Probability of improvement'),
    ):
        if frame.empty:
            continue
        header, rows = to_rows(frame)
        table_md = tables_lib.markdown_table(header, rows)
        written.append(_write_csv(os.path.join(out_dir, f'{name}.csv'), frame))
        written.append(_write_text(os.path.join(out_dir, f'{name}.md'), table_md))
        written.append(
            _write_text(os.path.join(out_dir, f'{name}.tex'), display.latex_table(header, rows, caption=title))
        )
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
