"""CLAIMS.md: a line per claim with its verdict and the rule's numbers, then each claim's evidence.

``build_page`` judges the campaign (``judging``) and gathers each claim's verdict,
evidence and section; ``page_text`` writes them as Markdown; ``write_claims`` writes
the page and each claim sweep's full ``lrrl.report``. The rules are docs/claims.md's.
"""

import math
import os

import numpy as np

from lrrl import atomic
from lrrl import tables as tables_lib
from lrrl.analysis.claims import judging
from lrrl.analysis.claims import rules

PRIMARY = judging.PRIMARY
SECONDARY = judging.SECONDARY
ARCHIVE_DIR = 'archive'
MIGRATED_MARK = '‡'
RULE_DATE = '2026-12-07'


def _g(value, digits=3):
    return f'{value:.{digits}g}' if np.isfinite(value) else 'n/a'


def interval_text(point, low, high, digits=3):
    if not np.isfinite(point):
        return 'n/a'
    if not (np.isfinite(low) and np.isfinite(high)):
        return f'{point:.{digits}g} [n/a]'
    return f'{point:.{digits}g} [{low:.{digits}g}, {high:.{digits}g}]'


def _p(value):
    return f'{value:.2g}' if value >= 0.001 else '<0.001'


def detectable_text(c, short=False):
    """The smallest effect the comparison's data could have shown, and what the planned seeds would show
    at the same spread (power and level: docs/claims.md)."""
    if not math.isfinite(c.detectable):
        seeds = f'{c.n_x} + {c.n_y} seeds' if c.n_y else f'{c.n_x} values'
        text = f'nothing detectable with {seeds}' + ('' if short else ' (the exact test cannot reach the level)')
    elif c.kind == rules.COMPETITIVE:
        text = f'shown only if the true difference were above {_g(-c.margin + c.detectable)}'
    elif c.kind == rules.SHARE_ABOVE:
        text = f'detectable: a share of {_g(0.5 + c.detectable, 2)} or more'
    else:
        text = f'detectable: |{"difference" if c.n_y else "mean"}| >= {_g(c.detectable)}'
    if c.planned_seeds and c.planned_seeds > min(c.n_x, c.n_y) and math.isfinite(c.planned_detectable):
        if c.kind == rules.COMPETITIVE:
            text += f'; with {c.planned_seeds} seeds a cell: above {_g(-c.margin + c.planned_detectable)}'
        else:
            text += f'; with {c.planned_seeds} seeds a cell: >= {_g(c.planned_detectable)}'
    return text


def _margin_text(c):
    if c.kind != rules.COMPETITIVE:
        return ''
    if not c.margin > 0:
        return ', no margin (the reference is no better than a random policy)'
    return f', margin {"-" if c.or_better else "±"}{_g(c.margin)}'


def comparison_text(c, what='difference'):
    """The rule's numbers of one comparison: interval, margin, both tests, Holm-adjusted p, verdict."""
    text = f'{what} {interval_text(c.estimate, c.low, c.high)}{_margin_text(c)}'
    if c.n_y:
        text += f', P(X > Y) {c.probability:.2f}; Welch p {_p(c.p_t)}, exact rank-sum p {_p(c.p_exact)}'
    elif c.kind == rules.SHARE_ABOVE:
        text += f'; exact binomial p {_p(c.p_exact)}'
    else:
        text += f'; t p {_p(c.p_t)}, exact sign p {_p(c.p_exact)}'
    text += f'; Holm p {_p(c.adjusted)} (k = {c.family}): **{c.verdict}**'
    if c.verdict == rules.NOT_SHOWN:
        text += f' ({detectable_text(c)})'
    return text


def comparison_short(c):
    """The verdict line's numbers: interval, margin, Holm-adjusted p, verdict, detectable effect."""
    text = f'{interval_text(c.estimate, c.low, c.high)}{_margin_text(c)}, Holm p {_p(c.adjusted)}: {c.verdict}'
    return text + (f' ({detectable_text(c, short=True)})' if c.verdict == rules.NOT_SHOWN else '')


def _table(header, rows):
    return tables_lib.markdown_table(header, rows) if rows else '(no finished run)\n'


def _values_text(values):
    return ', '.join(f'{v:.3g}' for v in sorted(values))


def _cell_row(cell, s, share_rate, migrated_column):
    return [
        cell,
        str(s['seeds']),
        interval_text(*s[PRIMARY]),
        interval_text(*s[SECONDARY]),
        _values_text(s['values']),
        f'{s["success"]:.2f}' if np.isfinite(s['success']) else '-',
        *([f'{s["share_on_rate"]:.2f}' if np.isfinite(s['share_on_rate']) else '-'] if share_rate is not None else []),
        f'{s["final_max_p"]:.2f}' if np.isfinite(s['final_max_p']) else '-',
        *([str(s['migrated']) if s['migrated'] else '-'] if migrated_column else []),
    ]


def _cell_header(share_rate, migrated_column):
    """The cell table's columns; the migrated-records column only where a cell has such records."""
    return [
        'final return [95% CI]',
        'AUC [95% CI]',
        'final return per seed',
        'share of runs that succeed',
        *([f'share on {share_rate:g}, 2nd half'] if share_rate is not None else []),
        'max arm p at the end',
        *([f'records from report tables {MIGRATED_MARK}'] if migrated_column else []),
    ]


def _notes(result):
    lines = []
    if result['notes']:
        lines.append('\nRuns not pooled (records of more than one code version in a cell; docs/claims.md):\n')
        lines += [f'- {n}' for n in result['notes']]
    if result['migrated']:
        lines.append(
            f'\n{MIGRATED_MARK} {result["migrated"]} of these {len(result["runs"])} runs are records migrated from '
            'report tables (`config: null`): the code that trained them cannot be named; their cells are to be '
            "rerun with today's code."
        )
    return lines


def _marked(verdict, migrated):
    return f'{verdict} {MIGRATED_MARK}' if migrated else verdict


# ---------------------------------------------------------------------------
# Claims with parts (1-4, 8).


def _part_line(part, game, found):
    c = found['comparison']
    best = found['best'] + (' (best, after the fact)' if len(part.others) > 1 else '')
    return f'{game}: {part.x} vs {best}: {comparison_text(c, "mean difference")}'


def _sweeps_text(setup, owners):
    """Each sweep file of a setup, with a link to its full report (under the first claim that reads it)."""
    return ', '.join(
        f'`configs/experiments/{w}.toml` ([report](claim{owners[w]}/{w}/report.md))' if w in owners else f'`{w}`'
        for w in setup.sweeps
    )


def parts_section(result, owners):
    lines = []
    for s in result['setups']:
        setup = s['setup']
        lines.append(f'### {setup.title}\n')
        lines.append(f'Scale: {s["scale"]}. Sweeps: {_sweeps_text(setup, owners)}.\n')
        if setup.note:
            lines.append(setup.note + '\n')
        migrated = bool(s['migrated'])  # the count its footnote gives (_notes)
        rows = [[r['game'], *_cell_row(r['cell'], r, setup.share_rate, migrated)] for r in s['rows']]
        lines.append(_table(['game', 'cell', 'seeds', *_cell_header(setup.share_rate, migrated)], rows))
        lines += _notes(s)
        lines.append(
            f"\nParts (final return; x - y with Welch's 95% interval, the exact rank-sum test beside it; "
            f"Holm over the claim's {result['family']} comparisons in the verdict, each part beside it a family "
            f'of its own; rule: docs/claims.md). Setup: **{s["verdict"]}**\n'
        )
        for part in setup.parts:
            lines.append(
                f'- **{part.name}**: {s["part_verdicts"][part.name]}'
                + ('' if part.in_verdict else ' (not in the verdict)')
            )
            for game, g in s['games'].items():
                if part.name in g['parts']:
                    lines.append(f'  - {_part_line(part, game, g["parts"][part.name])}')
        lines.append('')
    return '\n'.join(lines) + '\n'


def parts_evidence(result):
    """Per setup and part its verdict, and per game x - y (the best other, after the fact) in short."""
    texts = []
    for s in result['setups']:
        parts = []
        for part in s['setup'].parts:
            found = {game: g['parts'][part.name] for game, g in s['games'].items() if part.name in g['parts']}
            games = [f'{game} {part.x} − {f["best"]}: {comparison_short(f["comparison"])}' for game, f in found.items()]
            if games:
                parts.append(f'*{part.name}*: ' + '; '.join(games))
        texts.append(
            (f'**{s["setup"].title}** ({s["verdict"]}): ' if len(result['claim'].setups) > 1 else '')
            + ' | '.join(parts)
        )
    return ' || '.join(texts)


# ---------------------------------------------------------------------------
# Claim 7, claim 5, claim 6.


def questions_section(result, owners):
    lines = []
    for q in result['questions']:
        setup = q['setup']
        lines.append(f'### {setup.question.capitalize()}: {setup.title}\n')
        lines.append(
            f'Scale: {q["scale"]}. Sweeps: {_sweeps_text(setup, owners)}. Each cell against {setup.reference} '
            '(Holm within the question).\n'
        )
        rows = []
        migrated = bool(q['migrated'])
        for r in q['rows']:
            c = r['comparison']
            against = '-'
            if c:
                against = f'{interval_text(c.estimate, c.low, c.high)}; Holm p {_p(c.adjusted)}: {_short(c)}'
            rows.append([*_cell_row(r['cell'], r['summary'], setup.share_rate, migrated), against])
        header = ['cell', 'seeds', *_cell_header(setup.share_rate, migrated), f'difference from {setup.reference}']
        lines.append(_table(header, rows))
        lines += _notes(q)
        lines.append('')
    return '\n'.join(lines) + '\n'


def _short(c):
    return {rules.REPRODUCED: 'above', rules.REFUTED: 'below'}.get(c.verdict, 'not shown, ' + detectable_text(c))


def questions_evidence(result):
    texts = []
    for q in result['questions']:
        setup, rows = q['setup'], [r for r in q['rows'] if r['comparison']]
        best = max(q['rows'], key=lambda r: r['summary'][PRIMARY][0])
        above = [r['cell'] for r in rows if r['comparison'].verdict == rules.REPRODUCED]
        below = [r['cell'] for r in rows if r['comparison'].verdict == rules.REFUTED]
        texts.append(
            f'{setup.question} ({setup.game}): highest mean final return {best["cell"]} '
            f'({interval_text(*best["summary"][PRIMARY])}); shown above {setup.reference}: '
            f'{", ".join(above) or "none"}; shown below: {", ".join(below) or "none"}'
        )
    return '; '.join(texts)


def drift_section(result, owners):
    del owners  # it reads other claims' sweeps, reported there
    rows = [
        [
            f'{r["source"]}: {r["runs"]}',
            str(r['comparison'].n_x),
            interval_text(r['comparison'].estimate, r['comparison'].low, r['comparison'].high, 2),
            f'{r["lower late"]} of {r["comparison"].n_x}',
            f'{_p(r["comparison"].p_t)} / {_p(r["comparison"].p_exact)}',
            r['comparison'].verdict
            + ('' if r['comparison'].verdict != rules.NOT_SHOWN else f' ({detectable_text(r["comparison"])})'),
        ]
        for r in result['rows']
    ]
    return (
        '### Rates early and late (from the runs of claims 1, 2, 4 and 7)\n\n'
        + _table(
            [
                'runs',
                'n',
                'late - early, mean log10 rate [95% CI]',
                'runs with a lower rate late',
                't p / exact sign p',
                'mean below 0',
            ],
            rows,
        )
        + f'\nRule: reproduced if the mean drift of the LRRL runs is shown below 0 (t interval and exact sign test '
        f'agree), refuted if shown above, read from the first source with LRRL runs ({result["basis"]}): its runs '
        f'on the TD loss when it has some, else on returns (here: {_feedback_short(result["basis_runs"])}); runs on '
        'the two feedbacks are never pooled; uniform runs are the control (docs/claims.md).\n'
    )


def _feedback_short(group):
    return 'on the TD loss' if group == judging.LRRL_ON_LOSS else 'on returns'


def drift_evidence(result):
    c = result['lrrl']
    return (
        f'late − early mean log10 rate of LRRL runs ({result["basis"]}, {_feedback_short(result["basis_runs"])}, '
        f'n = {c.n_x}): {comparison_short(c)}'
        if c
        else ''
    )


def stationary_evidence(result, short=True):
    f, m = result['functions'], result['maclaurin']
    share, mean = (
        (comparison_short(f), comparison_short(m))
        if short
        else (comparison_text(f, 'share'), comparison_text(m, 'mean'))
    )
    wins = round(f.estimate * f.n_x) if f.n_x else 0
    return (
        f'share of the function x optimizer cells where LRRL ranks above uniform among the fixed rates '
        f'({wins} of the {f.n_x} where they differ; {result["ties"]} ties of {result["cells"]}): {share} | '
        f'MaclaurinNet, log10(fixed Adam 1e-3 / LRRL) test error over the last steps, paired by seed: {mean}'
    )


def stationary_section(result, owners):
    del owners  # no sweep: the numpy benchmarks' outputs
    folder = result['claim'].folder
    firsts = result['firsts']
    return (
        f"The numpy benchmarks' tables, plots, commands and discussion: [`{folder}/README.md`]({folder}/README.md) "
        '(six test functions x SGD/Adam/RMSProp, d = 10, 2,000 steps; MaclaurinNet, 10,000 Adam steps; seeds '
        '100-109; LRRL default, paper-literal and uniform).\n\n'
        f'First among the fixed rates and itself: LRRL in {firsts["LRRL"]} cells, uniform in {firsts["uniform"]}.\n\n'
        f'{stationary_evidence(result, short=False)}. Rule: docs/claims.md (written after these runs).\n'
    )


# ---------------------------------------------------------------------------
# The page.


def _running(campaign, store, claim, verdict, evidence):
    """A claim whose sweeps have not all finished gets no verdict: its numbers are provisional."""
    sweeps = judging.claim_sweeps(campaign, claim)
    if not sweeps:
        return verdict, evidence
    finished, total, missing = store.progress(sweeps)
    if finished < total or missing:
        verdict = f'running ({finished} of {total} runs finished' + (
            f'; not started: {", ".join(missing)})' if missing else ')'
        )
        evidence = 'provisional: ' + evidence if evidence else evidence
    return verdict, evidence


def _migrated(claim, result, items):
    """How many runs the claim's verdict reads are records migrated from report tables."""
    if claim.rule == 'drift':
        return sum(
            r['migrated'] for r in result['rows'] if r['source'] == result['basis'] and r['runs'] == result['basis_runs']
        )
    return sum(i['migrated'] for i in items)


def build_page(store, campaign, final_iterations, results_root):
    """Every claim's verdict, evidence and section from the runs (no files written).

    ``results_root``: the folder of CLAIMS.md (claim 6's benchmark outputs lie there).
    """
    judged = judging.judge_campaign(store, campaign, final_iterations, results_root)
    writers = {
        'parts': (parts_evidence, parts_section),
        'questions': (questions_evidence, questions_section),
        'drift': (drift_evidence, drift_section),
        'stationary': (stationary_evidence, stationary_section),
    }
    verdicts, evidence, sections, migrated = {}, {}, {}, {}
    for claim in campaign.claims:
        result = judged.get(claim.number)
        if not result:
            continue
        evidence_of, section_of = writers[claim.rule]
        items = result.get('setups', []) + result.get('questions', [])
        migrated[claim.number] = _migrated(claim, result, items)
        if claim.rule == 'questions':
            verdict = 'answered for: ' + ', '.join(
                f'{q["setup"].question} ({q["setup"].game})' for q in result['questions']
            )
        else:
            verdict = result['verdict']
        verdict, text = _running(campaign, store, claim, verdict, evidence_of(result))
        sections[claim.number] = section_of(result, report_sweeps(campaign))
        verdicts[claim.number], evidence[claim.number] = verdict, text
    return {'verdicts': verdicts, 'evidence': evidence, 'sections': sections, 'migrated': migrated, 'judged': judged}


PAGE_HEADER = """# Does LRRL do what the paper says? Each claim at CPU scale

Written by `python -m lrrl.claims` from the claim files (`configs/claims/*.toml`) and the campaign's
runs (its sweeps are `configs/experiments/claim*.toml`, run with `python -m lrrl.launch`; every
finished run is kept in [`archive/`](archive/), so the page regenerates without the run folders);
docs/claims.md says how each verdict is decided. Scale: classic control (CartPole, Acrobot),
MinAtar and two MuJoCo tasks on a 2-core CPU, 40k to 300k agent steps per run; the paper's DQN
runs are 200 iterations x 250k agent steps (200M Atari frames), its PPO runs are assumed to be 1M
steps. **None of this is a reproduction at the paper's scale**: a verdict says whether the claim
holds in these small settings, where it can be measured.

Rules of {date} (docs/claims.md, written before any rerun; the archived runs re-judged under
them): a comparison is **reproduced** when the evidence puts it on the claimed side, **refuted**
only when it puts it on the other side, and otherwise **not shown at this scale**, with the
smallest effect its data could have detected ({power:.0%} power at the family's Bonferroni level).
The evidence is Welch's 95% t interval of the difference of means and, beside it, the exact
rank-sum test; both must agree. "Competitive" means the difference's interval lies above −m (or
within ±m), m = {margin:.0%} of the reference's gain over a random policy. The comparisons in a
claim's verdict are one family, Holm-adjusted at {alpha}. Cell intervals are 95% t intervals
over seeds (the old page's percentile bootstrap was too narrow at 3-5 seeds). Reported seeds
are named per setup: 0-4 on the first campaign (0-2 for IQN), 0-4 and 10-14 on its reruns
(`*_10seeds`; 0-2 and 10-12 on IQN's, `*_6seeds`); anything chosen was chosen on other seeds
(5-9: the unstable rates; 100-105: the default bandit). Final return = mean training return over
the last {final_iterations} iterations. A cell pools only runs of one code version
(behaviour and settings fingerprint, `lrrl/provenance.py`).{migrated_note}
"""

# Said only while some verdict still rests on such records (their cells are rerun under new sweeps).
MIGRATED_NOTE = f""" {MIGRATED_MARK} marks a verdict resting on
records migrated from report tables (`config: null`: the code that trained them cannot be named)."""


def page_text(page, campaign, final_iterations):
    """CLAIMS.md: a line per claim, what changed, then each claim's evidence."""
    verdicts, evidence = page['verdicts'], page['evidence']
    lines = [
        PAGE_HEADER.format(
            date=RULE_DATE,
            power=campaign.power,
            margin=campaign.margin_share,
            alpha=campaign.alpha,
            final_iterations=final_iterations,
            migrated_note=MIGRATED_NOTE if any(page['migrated'].values()) else '',
        )
    ]
    rows = []
    for claim in campaign.claims:
        verdict = _marked(verdicts.get(claim.number, rules.NOT_RUN), page['migrated'].get(claim.number))
        rows.append(
            [
                str(claim.number),
                f'{claim.title} ({claim.source})',
                f'**{verdict}**',
                evidence.get(claim.number, '') or claim.experiment,
                ', '.join(f'`{s}`' for s in claim.sweeps) or '-',
            ]
        )
    lines.append(tables_lib.markdown_table(['#', 'claim (paper)', 'at this scale', 'evidence', 'sweeps'], rows))
    changed = [c for c in campaign.claims if c.previous_verdict]
    if changed:
        lines.append(f'\n## Verdicts under the rules of {RULE_DATE}, against the page before them\n')
        lines.append(
            _table(
                ['claim', 'before (old rules)', 'now', 'why'],
                [
                    [f'claim {c.number}', c.previous_verdict, verdicts.get(c.number, rules.NOT_RUN), c.change or '-']
                    for c in changed
                ],
            )
        )
    for claim in campaign.claims:
        lines.append(f'\n## Claim {claim.number}: {claim.title} ({claim.source})\n')
        lines.append(f'Experiment: {claim.experiment}.\n')
        if claim.number in page['migrated'] and page['migrated'][claim.number]:
            lines.append(
                f'{MIGRATED_MARK} This verdict rests on {page["migrated"][claim.number]} records migrated from report '
                'tables, whose code cannot be named: their cells are to be rerun.\n'
            )
        lines.append(page['sections'].get(claim.number, f'Not run yet at this scale: **{rules.NOT_RUN}**.\n'))
    return '\n'.join(lines)


def report_sweeps(campaign):
    """{sweep: claim number}: each claim sweep's full report goes to the first claim that reads it."""
    owners = {}
    for claim in campaign.claims:
        for sweep in claim.sweeps:
            owners.setdefault(sweep, claim.number)
    return owners


def write_claims(
    store, campaign, out_dir, reps=2000, seed=0, final_iterations=10, with_reports=True, log=None, report_only=None
):
    """Writes ``out_dir/CLAIMS.md`` and, with ``with_reports``, each claim sweep's full report
    (``lrrl.report``: tables, curves, rates, rliable aggregates) into ``out_dir/claim<N>/<sweep>/``;
    ``report_only``: the names of the only sweeps whose reports are rewritten (all when None).

    ``reps``, ``seed``: the reports' bootstrap (rliable, for IQM and profiles). Returns the paths written.
    """
    log = log or (lambda line: None)
    page = build_page(store, campaign, final_iterations, out_dir)
    written = []
    if with_reports:
        for sweep, number in report_sweeps(campaign).items():
            if report_only is not None and sweep not in report_only:
                continue
            target = os.path.join(out_dir, f'claim{number}', sweep)
            paths = store.write_report(sweep, target, reps, seed, final_iterations)
            if paths:
                log(f'claim {number}: report of {sweep} -> {target}')
            written += paths
    path = os.path.join(out_dir, 'CLAIMS.md')
    os.makedirs(out_dir, exist_ok=True)
    atomic.write_text(path, page_text(page, campaign, final_iterations))
    written.append(path)
    for number, verdict in sorted(page['verdicts'].items()):
        log(f'claim {number}: {verdict}')
    return written
