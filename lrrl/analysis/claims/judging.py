"""Each claim judged from the campaign's runs under its rule (``rules``), as plain results for the page.

One function per kind of claim (``claim_files.RULES``): ``parts_claim`` (claims 1-4 and
8), ``questions_claim`` (7), ``drift_claim`` (5), ``stationary_claim`` (6);
``judge_campaign`` runs them all. They read runs through a ``runs.RunStore`` and
return dictionaries: per cell its summary, per part and game its ``rules.Comparison``,
per part, setup and claim a verdict. No text is written here (``page`` writes it).
"""

import os

import numpy as np
import pandas as pd

from lrrl.analysis import small_sample
from lrrl.analysis.claims import rules
from lrrl.analysis.claims import runs as runs_lib

PRIMARY = runs_lib.PRIMARY
SECONDARY = runs_lib.SECONDARY


def cell_summary(runs, alpha=0.05, success_score=None):
    """One cell's runs: seeds, mean and t interval of each score, the bandit's state, success share."""
    out = {'seeds': len(runs), 'values': runs[PRIMARY].to_numpy(dtype=float)}
    for score in (PRIMARY, SECONDARY):
        out[score] = small_sample.t_interval(runs[score].to_numpy(dtype=float), level=1 - alpha)
    for column in ('share_on_rate', 'final_max_p'):
        values = pd.to_numeric(runs[column], errors='coerce') if column in runs.columns else pd.Series(dtype=float)
        out[column] = float(values.mean()) if values.notna().any() else np.nan
    values = runs[PRIMARY].to_numpy(dtype=float)
    out['success'] = float(np.mean(values >= success_score)) if success_score is not None and len(values) else np.nan
    recorded = runs['config_recorded'] if 'config_recorded' in runs.columns else pd.Series(dtype=object)
    out['migrated'] = int(recorded.eq(False).sum())
    return out


def scale_text(runs):
    if runs.empty:
        return ''
    iterations = int(runs['num_iterations'].max())
    steps = int(runs['training_steps'].max())
    seeds = sorted(int(s) for s in runs['seed'].unique())
    return (
        f'{iterations} iterations x {steps:,} training steps ({iterations * steps:,} agent steps), '
        f'seeds {seeds[0]}-{seeds[-1]} ({len(seeds)}), CPU'
    )


def _setup_runs(store, setup, final_iterations, games=()):
    """A setup's finished runs (of ``games`` only, if given) with their cell names, pooled by code.

    None if the setup's sweeps have no run anywhere.
    """
    tables = store.tables(setup.sweeps)
    if tables is None:
        return None
    found = runs_lib.run_table(tables, final_iterations, share_rate=setup.share_rate)
    if games:
        found = found[found['game'].isin(games)].reset_index(drop=True)
    found['cell'] = runs_lib.cell_names(found, getattr(setup, 'cell_columns', ('method',))).to_numpy()
    found, notes = runs_lib.pool_by_code(found)
    return {'runs': found, 'tables': tables, 'notes': notes}


def _margin(campaign, game, reference_mean):
    """The margin of "competitive" on ``game``: a share of the reference's gain over a random policy."""
    return campaign.margin_share * max(reference_mean - campaign.random_score(game), 0.0)


def _part_comparison(campaign, part, game, x_runs, y_runs, reference_mean):
    if part.kind == rules.BEATS:
        return rules.compare(rules.BEATS, x_runs, y_runs, alpha=campaign.alpha)
    margin = _margin(campaign, game, reference_mean)
    if not margin > 0:
        # The reference is no better than a random policy: no scale to be competitive on.
        found = rules.compare(rules.BEATS, x_runs, y_runs, alpha=campaign.alpha)
        found.kind, found.p_t, found.p_exact, found.margin = rules.COMPETITIVE, 1.0, 1.0, 0.0
        found.or_better = part.or_better
        return found
    return rules.compare(rules.COMPETITIVE, x_runs, y_runs, margin, part.or_better, campaign.alpha)


def parts_claim(store, campaign, claim, final_iterations):
    """A ``parts`` claim (1-4, 8): per setup, game and part the comparison; Holm over the claim."""
    setups = []
    for setup in claim.setups:
        loaded = _setup_runs(store, setup, final_iterations, setup.games)
        if loaded is None:
            continue
        found = loaded['runs']
        # Every game a sweep file plans counts (or the setup's own games), even one whose runs
        # have not started (the plan names games by their axis label, the runs by the
        # analysis's game name: count them).
        planned = [len(store.planned_games(s)) for s in setup.sweeps]
        expected = len(setup.games) or max(planned + [found['game'].nunique()])
        games, rows = {}, []
        for game in sorted(found['game'].dropna().unique()):
            in_game = found[found['game'] == game]
            success = campaign.success_scores.get(game)
            summary = {cell: cell_summary(group, campaign.alpha, success) for cell, group in in_game.groupby('cell')}
            rows += [{'game': game, 'cell': cell, **s} for cell, s in sorted(summary.items())]
            games[game] = {'summary': summary, 'parts': {}}
            for part in setup.parts:
                others = [c for c in part.others if c in summary]
                if part.x not in summary or len(others) < len(part.others):
                    continue  # a cell of this part has no finished run in this game yet
                best = max(others, key=lambda c: summary[c][PRIMARY][0])
                comparison = _part_comparison(
                    campaign, part, game, summary[part.x]['values'], summary[best]['values'], summary[best][PRIMARY][0]
                )
                games[game]['parts'][part.name] = {'best': best, 'comparison': comparison}
        setups.append(
            {
                'setup': setup,
                'games': games,
                'rows': rows,
                'expected_games': expected,
                'runs': found,
                'tables': loaded['tables'],
                'notes': loaded['notes'],
                'scale': scale_text(found),
                'migrated': int(found['config_recorded'].eq(False).sum()),
            }
        )
    if not setups:
        return None
    # The family: every comparison in the verdict, over setups and games; each part shown
    # beside is a family of its own in each setup (setups differ in agent, bandit or code:
    # claim 1's DQN and IQN, claim 2's Breakout rerun and Seaquest on the default then).
    rules.judge(
        [
            f['comparison']
            for s in setups
            for g in s['games'].values()
            for p in s['setup'].parts
            if p.in_verdict
            for f in [g['parts'].get(p.name)]
            if f
        ],
        campaign.alpha,
        campaign.power,
        campaign.planned_seeds,
    )
    for s in setups:
        for part in (p for p in s['setup'].parts if not p.in_verdict):
            rules.judge(
                [g['parts'][part.name]['comparison'] for g in s['games'].values() if part.name in g['parts']],
                campaign.alpha,
                campaign.power,
                campaign.planned_seeds,
            )
        s['part_verdicts'] = {}
        for part in s['setup'].parts:
            found = [
                g['parts'][part.name]['comparison'].verdict for g in s['games'].values() if part.name in g['parts']
            ]
            complete = s['expected_games'] and len(found) == s['expected_games']
            s['part_verdicts'][part.name] = rules.combine(found) if complete else rules.RUNNING
        s['verdict'] = rules.combine(v for p, v in s['part_verdicts'].items() if _in_verdict(s['setup'], p))
    verdicts = [s['verdict'] for s in setups]
    if len(setups) < len(claim.setups):
        verdicts.append(rules.RUNNING)
    verdict = rules.combine(verdicts)
    if len(set(verdicts)) > 1 and rules.RUNNING not in verdicts:
        verdict += ' (' + '; '.join(f'{s["setup"].title}: {s["verdict"]}' for s in setups) + ')'
    elif len(setups) == 1 and len(set(setups[0]['part_verdicts'].values())) > 1 and verdict != rules.RUNNING:
        in_verdict = {p: v for p, v in setups[0]['part_verdicts'].items() if _in_verdict(setups[0]['setup'], p)}
        if len(set(in_verdict.values())) > 1:
            verdict += ' (' + '; '.join(f'{p}: {v}' for p, v in in_verdict.items()) + ')'
    family = sum(
        1
        for s in setups
        for g in s['games'].values()
        for p in s['setup'].parts
        if p.in_verdict and p.name in g['parts']
    )
    return {'claim': claim, 'setups': setups, 'verdict': verdict, 'family': family}


def _in_verdict(setup, name):
    return next(p for p in setup.parts if p.name == name).in_verdict


def questions_claim(store, campaign, claim, final_iterations):
    """Claim 7: per question each cell against its reference (Holm within the question); no verdict."""
    questions = []
    for setup in claim.setups:
        # A question is answered once each of its sweeps has runs (its first may be another
        # claim's, whose cells it shares).
        if not all(store.has_runs(sweep) for sweep in setup.sweeps):
            continue
        loaded = _setup_runs(store, setup, final_iterations, (setup.game,))
        found = loaded['runs']
        labels = dict(setup.cells)
        reference = found[found['cell'] == labels[setup.reference]]
        rows = []
        for shown, label in setup.cells:
            cell = found[found['cell'] == label]
            if cell.empty:
                continue
            summary = cell_summary(cell, campaign.alpha, campaign.success_scores.get(setup.game))
            comparison = None
            if len(reference) and shown != setup.reference:
                comparison = rules.compare(
                    rules.BEATS, summary['values'], reference[PRIMARY].to_numpy(dtype=float), alpha=campaign.alpha
                )
            rows.append({'cell': shown, 'summary': summary, 'comparison': comparison})
        if not any(r['comparison'] for r in rows):
            continue
        rules.judge(
            [r['comparison'] for r in rows if r['comparison']], campaign.alpha, campaign.power, campaign.planned_seeds
        )
        questions.append(
            {
                'setup': setup,
                'rows': rows,
                'runs': found,
                'tables': loaded['tables'],
                'notes': loaded['notes'],
                'scale': scale_text(found),
                'migrated': int(found['config_recorded'].eq(False).sum()),
            }
        )
    return {'claim': claim, 'questions': questions} if questions else None


# Claim 5's LRRL runs by what their rounds were scored on (``run_description.bandit_feedback``):
# never pooled, since the default changed from the returns to the TD loss (issue 28).
# Records with no feedback recorded predate the loss signals: they scored returns.
LOSS_FEEDBACK = ('LossImprovement', 'DivergenceGuard')
LRRL_ON_LOSS = 'LRRL, rounds scored on the TD loss (default since issue 28)'
LRRL_ON_RETURNS = 'LRRL, rounds scored on returns (v1 and earlier defaults)'
UNIFORM_CONTROL = 'uniform (control)'


def drift_claim(campaign, claim, judged):
    """Claim 5: LRRL's (default bandit) drift of log10 rate per source, uniform beside.

    ``judged``: {claim number: result of ``parts_claim``/``questions_claim``}. The LRRL
    runs of a source are split by their feedback (``LRRL_ON_LOSS``, ``LRRL_ON_RETURNS``).
    The verdict is read from the first source with LRRL runs: its runs on today's default
    (the TD loss) when it has some, else its runs on returns (docs/claims.md, claim 5).
    """
    rows, lrrl = [], {}
    for source in claim.sources:
        frames = []
        for number in source.claims:
            result = judged.get(number)
            for item in (result or {}).get('setups', []) + (result or {}).get('questions', []):
                found = item['runs']
                if source.games:
                    found = found[found['game'].isin(source.games)]
                frames.append(
                    runs_lib.rate_drift(found, item['tables']).reindex(
                        columns=['run_dir', 'method', 'bandit', 'feedback', 'drift', 'config_recorded']
                    )
                )
        if not frames:
            continue
        drift = pd.concat(frames, ignore_index=True).drop_duplicates('run_dir')
        default = drift[drift['method'].astype(str).str.startswith(tuple(claim.default_cells))]
        on_loss = default['feedback'].isin(LOSS_FEEDBACK)
        groups = {
            LRRL_ON_LOSS: default[on_loss],
            LRRL_ON_RETURNS: default[~on_loss],
            UNIFORM_CONTROL: drift[drift['bandit'] == 'UniformBandit'],
        }
        for name, group in groups.items():
            if group.empty:
                continue
            comparison = rules.judge(
                [rules.compare_mean(group['drift'], rules.MEAN_BELOW, campaign.alpha)], campaign.alpha, campaign.power
            )[0]
            if name != UNIFORM_CONTROL and source.name not in lrrl:
                lrrl[source.name] = (name, comparison)
            rows.append(
                {
                    'source': source.name,
                    'runs': name,
                    'comparison': comparison,
                    'lower late': int((group['drift'] < 0).sum()),
                    'migrated': int(group['config_recorded'].eq(False).sum()),
                }
            )
    if not rows:
        return None
    basis = next((s.name for s in claim.sources if s.name in lrrl), None)
    basis_runs, comparison = lrrl[basis] if basis else (None, None)
    verdict = comparison.verdict if basis else rules.NOT_RUN
    return {
        'claim': claim, 'rows': rows, 'verdict': verdict, 'basis': basis, 'basis_runs': basis_runs, 'lrrl': comparison,
    }


FUNCTIONS_TABLE = 'functions_table.csv'
MACLAURIN_RUNS = 'maclaurin_runs.csv'


def stationary_claim(campaign, claim, root):
    """Claim 6 from the numpy benchmarks' outputs in ``root/<claim.folder>``; None if they are not there.

    Two comparisons, one family: (a) over the function x optimizer cells, LRRL's default
    ranks above uniform among the fixed rates in more cells than below (exact binomial
    test of the share of cells it wins, ties left out); (b) on MaclaurinNet, LRRL's test
    error over the last steps is below fixed Adam 1e-3's, paired by seed (t interval of
    log10(fixed / LRRL) and exact sign test).
    """
    folder = os.path.join(root, claim.folder)
    functions, maclaurin = os.path.join(folder, FUNCTIONS_TABLE), os.path.join(folder, MACLAURIN_RUNS)
    if not (os.path.exists(functions) and os.path.exists(maclaurin)):
        return None
    cells = pd.read_csv(functions)
    ranks = cells[cells['method'].isin(['LRRL', 'uniform'])].pivot_table(
        index=['function', 'optimizer'], columns='method', values='rank_vs_fixed'
    )
    wins, losses = int((ranks['LRRL'] < ranks['uniform']).sum()), int((ranks['LRRL'] > ranks['uniform']).sum())
    runs = pd.read_csv(maclaurin)
    tail = runs.pivot_table(index='seed', columns='method', values='test_error_tail')
    ratios = np.log10(tail['fixed'] / tail['LRRL']).dropna()
    functions_part = rules.compare_share(wins, losses, campaign.alpha)
    maclaurin_part = rules.compare_mean(ratios, rules.MEAN_ABOVE, campaign.alpha)
    rules.judge([functions_part, maclaurin_part], campaign.alpha, campaign.power)
    firsts = {m: int((cells.loc[cells['method'] == m, 'rank_vs_fixed'] == 1).sum()) for m in ('LRRL', 'uniform')}
    return {
        'claim': claim,
        'functions': functions_part,
        'maclaurin': maclaurin_part,
        'ties': int(len(ranks) - wins - losses),
        'cells': len(ranks),
        'firsts': firsts,
        'verdict': rules.combine([functions_part.verdict, maclaurin_part.verdict]),
    }


def judge_campaign(store, campaign, final_iterations, results_root):
    """Every claim of ``campaign`` judged from ``store``'s runs: {claim number: result or None}.

    ``results_root``: the folder of CLAIMS.md, where claim 6's benchmark outputs lie.
    """
    judged = {}
    for claim in campaign.claims:
        if claim.rule == 'parts':
            judged[claim.number] = parts_claim(store, campaign, claim, final_iterations)
        elif claim.rule == 'questions':
            judged[claim.number] = questions_claim(store, campaign, claim, final_iterations)
    for claim in campaign.claims:
        if claim.rule == 'drift':
            judged[claim.number] = drift_claim(campaign, claim, judged)
        elif claim.rule == 'stationary':
            judged[claim.number] = stationary_claim(campaign, claim, results_root)
    return judged


def claim_sweeps(campaign, claim):
    """The sweeps whose runs a claim reads (a drift claim: its sources' claims', in claim order)."""
    if claim.rule == 'drift':
        read = {n for source in claim.sources for n in source.claims}
        return tuple(dict.fromkeys(s for c in campaign.claims if c.number in read for s in c.sweeps))
    return claim.sweeps
