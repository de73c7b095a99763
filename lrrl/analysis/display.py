"""Display rows for the report's tables, as Markdown and as LaTeX (booktabs), from one list of rows."""

import re

import numpy as np
import pandas as pd


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
        'final return',
        'AUC',
        'max average return',
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
        if cell.get('best_fixed_after_the_fact'):
            notes.append('best fixed rate, chosen after the fact')
        rows.append(
            [
                *(str(cell[k]) for k in extra_keys),
                str(cell['agent']),
                str(cell['game']),
                str(cell['method']),
                _mean_std(cell['final_return_mean'], cell['final_return_std']),
                _mean_std(cell['auc_mean'], cell['auc_std']),
                _mean_std(cell['max_average_return_mean'], cell['max_average_return_std']),
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
    header = ['group', 'LRRL method', 'baseline', 'games', 'P(LRRL > baseline) [95% CI]', 'score']
    rows = [
        [
            str(r['group']),
            str(r['method']),
            str(r['baseline']),
            str(r['games']),
            _interval(r['probability'], r['low'], r['high']),
            str(r.get('score', '')),
        ]
        for _, r in improvement.iterrows()
    ]
    return header, rows
