"""Seeds before runs: what the archived spread lets a rerun detect, and how many seeds the paper's effect needs.

``plan`` reads the campaign's runs (the archive is enough) and, for every comparison
of a ``parts`` claim and every cell of a question, gives the spread of both cells,
the share of their runs that succeed, the smallest difference detectable now and at
the planned seed count, and the seeds per cell needed to detect an effect of the size
the paper reports: ``paper_effect_share`` of the game's best cell's gain over a random
policy (for a "competitive" part: the margin, i.e. showing a cell as good as its
reference to be within the margin). All at the claim family's Bonferroni level and the
campaign's power (``lrrl.analysis.small_sample``). ``python -m lrrl.claims --plan``
prints it.
"""

import math

import numpy as np
import pandas as pd

from lrrl import tables as tables_lib
from lrrl.analysis import estimates
from lrrl.analysis import normalization
from lrrl.analysis import small_sample
from lrrl.analysis.claims import judging
from lrrl.analysis.claims import rules

PAPER_BASELINE = 'best_fixed'
PAPER_LRRL = 'lrrl_k5'


def paper_effect_share(path=estimates.PAPER_REPORTED):
    """(the smallest, {game: share}): the paper's gain of LRRL over 𝒦(5) over the best fixed rate, as a
    share of the best fixed rate's gain over a random policy (lrrl/data/paper_reported.csv, Atari random scores)."""
    reported = pd.read_csv(path, comment='#')
    shares = {}
    for game, rows in reported.groupby('game'):
        values = rows.set_index('method')['mean']
        if PAPER_BASELINE in values and PAPER_LRRL in values and normalization.has_reference(game):
            best, lrrl = (float(normalization.human_normalized(values[m], game)) for m in (PAPER_BASELINE, PAPER_LRRL))
            shares[game] = (lrrl - best) / best
    if not shares:
        raise ValueError(f'{path}: no game has both a {PAPER_BASELINE} and a {PAPER_LRRL} row.')
    return min(shares.values()), shares


def _row(claim, where, what, game, c, summary_x, summary_y, target, seeds, alpha, power):
    level = alpha / c.family
    planned = small_sample.detectable_difference(c.sd_x, seeds, c.sd_y, seeds, level, power)
    success_x, success_y = summary_x['success'], summary_y['success']
    return {
        'claim': claim.number,
        'setup': where,
        'comparison': what,
        'game': game,
        'seeds now': f'{c.n_x} + {c.n_y}',
        'sd x / y': f'{c.sd_x:.3g} / {c.sd_y:.3g}',
        'succeed x / y': f'{success_x:.1f} / {success_y:.1f}' if np.isfinite(success_x) else '-',
        'k': c.family,
        'target': target,
        'detectable now': c.detectable,
        f'detectable at {seeds}': planned,
        'share gap detectable': small_sample.detectable_share_difference(success_y, seeds, level, power)
        if np.isfinite(success_y)
        else np.nan,
        'seeds per cell for the target': small_sample.seeds_needed(c.sd_x, c.sd_y, target, level, power),
    }


def plan(store, campaign, final_iterations, seeds=None):
    """One row per comparison of the ``parts`` and ``questions`` claims, from the runs in ``store``."""
    seeds = seeds or campaign.planned_seeds
    share, _ = paper_effect_share()
    rows = []
    for claim in campaign.claims:
        if claim.rule == 'parts':
            result = judging.parts_claim(store, campaign, claim, final_iterations)
            for s in (result or {}).get('setups', []):
                for game, g in s['games'].items():
                    summary = g['summary']
                    scale = max(v[judging.PRIMARY][0] for v in summary.values()) - campaign.random_score(game)
                    for part in s['setup'].parts:
                        if part.name not in g['parts']:
                            continue
                        found = g['parts'][part.name]
                        c = found['comparison']
                        target = c.margin if part.kind == rules.COMPETITIVE else share * scale
                        what = f'{part.x} vs {found["best"]}' + ('' if part.in_verdict else ' (beside)')
                        rows.append(
                            _row(
                                claim,
                                s['setup'].title,
                                what,
                                game,
                                c,
                                summary[part.x],
                                summary[found['best']],
                                target,
                                seeds,
                                campaign.alpha,
                                campaign.power,
                            )
                        )
        elif claim.rule == 'questions':
            result = judging.questions_claim(store, campaign, claim, final_iterations)
            for q in (result or {}).get('questions', []):
                setup = q['setup']
                by_cell = {r['cell']: r for r in q['rows']}
                reference = by_cell.get(setup.reference)
                if reference is None:
                    continue
                scale = max(r['summary'][judging.PRIMARY][0] for r in q['rows']) - campaign.random_score(setup.game)
                for r in q['rows']:
                    if r['comparison']:
                        rows.append(
                            _row(
                                claim,
                                f'{setup.question}, {setup.title}',
                                f'{r["cell"]} vs {setup.reference}',
                                setup.game,
                                r['comparison'],
                                r['summary'],
                                reference['summary'],
                                share * scale,
                                seeds,
                                campaign.alpha,
                                campaign.power,
                            )
                        )
    return rows


def _number(value):
    if value is None:
        return '> 10,000'
    if isinstance(value, float) and (math.isinf(value) or np.isnan(value)):
        return 'none' if math.isinf(value) else '-'
    return f'{value:,}' if isinstance(value, int) else f'{value:.3g}'


def plan_text(rows, campaign, seeds=None):
    """The plan as Markdown: a table and how to read it."""
    seeds = seeds or campaign.planned_seeds
    share, per_game = paper_effect_share()
    games = ', '.join(f'{g} {v:.0%}' for g, v in sorted(per_game.items()))
    header = [
        'claim',
        'setup',
        'comparison',
        'game',
        'seeds now',
        'sd x / y',
        'succeed x / y',
        'k',
        'target',
        'detectable now',
        f'detectable at {seeds}',
        f'share gap detectable at {seeds}',
        'seeds per cell for the target',
    ]
    keys = [h if not h.startswith('share gap') else 'share gap detectable' for h in header]
    body = [[_number(r[k]) if not isinstance(r[k], str) else r[k] for k in keys] for r in rows]
    return (
        f'# Seeds for the reruns (python -m lrrl.claims --plan)\n\n'
        f"The target of a 'beats' comparison is the paper's smallest reported gain of LRRL over 𝒦(5) over the "
        f"best fixed rate, {share:.0%} of the best fixed rate's gain over a random policy ({games}; "
        "lrrl/data/paper_reported.csv), applied to the best cell's gain over a random policy in that game here; "
        "of a 'competitive' part, its margin (to show a cell as good as its reference within the margin). "
        f'Detectable differences and seeds are at power {campaign.power:.0%} and the level alpha / k of the '
        "claim's family (k comparisons), from the spread of the archived runs (sd of x and y); 'none': the "
        'exact rank-sum test cannot reach that level with so few seeds. The share gap is the smallest rise of '
        "the share of runs that succeed above y's that the planned seeds detect (normal approximation).\n\n"
        + tables_lib.markdown_table(header, body)
    )
