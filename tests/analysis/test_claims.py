"""The claims page: its rules on synthetic scores, the claim files' checks, and the page from archived records.

The end-to-end run (a sweep through lrrl.launch, then lrrl.claims) is tests/e2e/test_claims_e2e.py;
the intervals' coverage is measured in test_small_sample.py.
"""

import math
import os
import textwrap

import numpy as np
import pandas as pd
import pytest

from lrrl import gin_files
from lrrl import run_archive
from lrrl.analysis import loading
from lrrl.analysis.claims import claim_files
from lrrl.analysis.claims import judging
from lrrl.analysis.claims import page
from lrrl.analysis.claims import power
from lrrl.analysis.claims import rules
from lrrl.analysis.claims import runs as runs_lib
from lrrl.sweeps import spec

HIGH = [150.0, 170.0, 160.0, 165.0, 155.0]
MID = [100.0, 110.0, 105.0, 115.0, 108.0]


def _verdict(kind, x, y, margin=0.0, or_better=False, family=1):
    found = rules.compare(kind, x, y, margin, or_better)
    others = [rules.compare(rules.BEATS, HIGH, MID) for _ in range(family - 1)]
    return rules.judge([found, *others])[0]


# ---------------------------------------------------------------------------
# The rules.


def test_a_clear_gain_is_reproduced_and_a_clear_loss_refuted():
    assert _verdict(rules.BEATS, HIGH, MID).verdict == rules.REPRODUCED
    assert _verdict(rules.BEATS, MID, HIGH).verdict == rules.REFUTED


def test_a_point_estimate_against_the_claim_is_not_a_refutation():
    """The old rule refuted 'beats' parts whose P(X > Y) was at or below 0.5 with an interval over 0.5
    (claim 2's K_sparse part: 0.20 [0, 0.56]); now they are not shown, with what could have been."""
    x, y = [5.9, 6.4, 6.0, 6.5, 5.9], [6.3, 6.6, 6.5, 6.3, 6.7]
    found = _verdict(rules.BEATS, x, y)
    assert found.estimate < 0 and found.probability < 0.5
    assert found.verdict == rules.NOT_SHOWN
    assert np.isfinite(found.detectable) and found.detectable > abs(found.estimate)


def test_three_seeds_are_never_a_reproduction():
    """Claim 1's IQN 'reproduced' rested on 3 seeds; the exact test's smallest p there is 0.1."""
    found = _verdict(rules.BEATS, [1000.0, 1001.0, 1002.0], [1.0, 2.0, 3.0])
    assert found.p_t < 0.001 and found.p_exact == pytest.approx(0.1)
    assert found.verdict == rules.NOT_SHOWN and math.isinf(found.detectable)
    assert 'nothing detectable with 3 + 3 seeds' in page.detectable_text(found)


def test_holm_makes_a_family_harder_to_pass_than_one_comparison():
    x, y = [10.0, 11.0, 12.0, 13.0, 14.0], [7.0, 8.0, 9.0, 10.0, 11.0]
    alone = _verdict(rules.BEATS, x, y)
    assert alone.verdict == rules.REPRODUCED and alone.adjusted == pytest.approx(alone.p)
    # With four more comparisons of which none passes, the same numbers are no longer enough.
    weak = [rules.compare(rules.BEATS, [1.0, 5.0, 3.0, 2.0, 4.0], [2.0, 4.0, 3.0, 1.0, 5.0]) for _ in range(4)]
    judged = rules.judge([rules.compare(rules.BEATS, x, y), *weak])
    assert judged[0].family == 5 and judged[0].adjusted == pytest.approx(min(1.0, 5 * alone.p))
    assert judged[0].verdict == rules.NOT_SHOWN


@pytest.mark.parametrize(
    'x, or_better, verdict',
    [
        ([101.0, 99.0, 100.5, 99.5, 100.0], True, rules.REPRODUCED),  # within 10 of the reference
        ([101.0, 99.0, 100.5, 99.5, 100.0], False, rules.REPRODUCED),  # and inside +-10: equivalent
        ([140.0, 141.0, 139.0, 140.5, 139.5], True, rules.REPRODUCED),  # better is fine "or better"
        ([140.0, 141.0, 139.0, 140.5, 139.5], False, rules.REFUTED),  # but not equivalent
        ([70.0, 71.0, 69.0, 70.5, 69.5], True, rules.REFUTED),  # worse by more than the margin
        ([60.0, 140.0, 100.0, 75.0, 125.0], True, rules.NOT_SHOWN),  # too spread to tell
    ],
)
def test_competitive_is_tested_against_a_margin_fixed_before(x, or_better, verdict):
    reference = [100.0, 100.5, 99.5, 100.2, 99.8]
    found = _verdict(rules.COMPETITIVE, x, reference, margin=10.0, or_better=or_better)
    assert found.verdict == verdict, (found.low, found.high, found.p_t, found.p_exact)
    if verdict == rules.REPRODUCED and not or_better:
        assert -10.0 < found.low and found.high < 10.0


def test_a_decision_needs_the_exact_test_to_agree():
    # One seed far off makes the means differ while the ranks do not: Welch alone would decide.
    x, y = [10.0, 10.1, 10.2, 10.3, 60.0], [10.05, 10.15, 10.25, 10.35, 10.4]
    found = rules.compare(rules.BEATS, x, y)
    assert found.p == max(found.p_t, found.p_exact) and found.p_exact > 0.05


def test_a_claim_is_the_conjunction_of_its_parts():
    assert rules.combine([rules.REPRODUCED, rules.REPRODUCED]) == rules.REPRODUCED
    assert rules.combine([rules.REPRODUCED, rules.NOT_SHOWN]) == rules.NOT_SHOWN
    assert rules.combine([rules.NOT_SHOWN, rules.REFUTED]) == rules.REFUTED
    assert rules.combine([rules.REPRODUCED, rules.RUNNING]) == rules.RUNNING
    assert rules.combine([]) == rules.NOT_RUN


def test_a_mean_and_a_share_against_their_null():
    below = rules.judge([rules.compare_mean([-0.3, -0.2, -0.25, -0.35, -0.3, -0.28], rules.MEAN_BELOW)])[0]
    assert below.verdict == rules.REPRODUCED
    assert rules.judge([rules.compare_mean([0.3, 0.2, 0.25, 0.35, 0.3, 0.28], rules.MEAN_BELOW)])[0].verdict == (
        rules.REFUTED
    )
    share = rules.judge([rules.compare_share(2, 2)])[0]
    assert share.verdict == rules.NOT_SHOWN and math.isinf(share.detectable)  # 4 cells: nothing to see
    assert rules.judge([rules.compare_share(17, 1)])[0].verdict == rules.REPRODUCED


# ---------------------------------------------------------------------------
# Per run and per cell.


def test_second_half_share_reads_the_arm_of_the_rate_from_the_logged_candidates():
    # loading's reader, which the page's share column uses.
    iterations = pd.DataFrame(
        {
            'iteration': range(4),
            'rate_0': 1e-3,
            'rate_1': 0.03,
            'share_0': [1.0, 1.0, 0.75, 0.25],
            'share_1': [0.0, 0.0, 0.25, 0.75],
        }
    )
    assert loading.second_half_share(iterations, 0.03) == pytest.approx(0.5)
    assert np.isnan(loading.second_half_share(iterations, 0.3))


def test_final_max_probability_is_the_largest_arm_probability_of_the_last_iteration():
    iterations = pd.DataFrame({'iteration': [1, 0], 'p_0': [0.2, 0.5], 'p_1': [0.7, 0.25], 'p_2': [0.1, 0.25]})
    assert runs_lib.final_max_probability(iterations) == pytest.approx(0.7)
    assert np.isnan(runs_lib.final_max_probability(pd.DataFrame({'iteration': [0], 'p_0': [1.0]})))


def test_rate_drift_is_late_minus_early_share_weighted_log10_rate():
    iterations = pd.DataFrame(
        {
            'run_dir': 'r',
            'iteration': range(8),
            'rate_0': 1e-4,
            'rate_1': 1e-2,
            'share_0': [0.0, 0.0, 0.5, 0.5, 0.5, 0.5, 1.0, 1.0],
            'share_1': [1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.0, 0.0],
        }
    )
    runs = pd.DataFrame({'run_dir': ['r'], 'method': ['lrrl_with_0.03'], 'seed': [0], 'bandit': ['Exp3Bandit']})
    drift = runs_lib.rate_drift(runs, type('T', (), {'iterations': iterations}))
    assert drift['drift'].iloc[0] == pytest.approx(-2.0)


def _drift_runs(feedbacks_and_drifts, method='lrrl_with_0.03'):
    """Runs (and their iterations) whose share moves from rate 1e-2 to 1e-4 by ``drift`` decades."""
    runs, frames = [], []
    for i, (feedback, drift) in enumerate(feedbacks_and_drifts):
        # Shares of 1e-4 in the first and last quarter: drift = -2 decades x (late - early).
        early, late = max(drift, 0.0) / 2.0, max(-drift, 0.0) / 2.0
        share_0 = [early] * 2 + [0.5] * 4 + [late] * 2
        frames.append(
            pd.DataFrame(
                {
                    'run_dir': f'r{i}', 'iteration': range(8), 'rate_0': 1e-4, 'rate_1': 1e-2,
                    'share_0': share_0, 'share_1': [1 - s for s in share_0],
                }
            )
        )
        runs.append({'run_dir': f'r{i}', 'method': method, 'seed': i, 'bandit': 'Exp3Bandit', 'feedback': feedback,
                     'config_recorded': True})
    return pd.DataFrame(runs), type('T', (), {'iterations': pd.concat(frames, ignore_index=True)})


def test_claim5_never_pools_lrrl_on_the_loss_with_lrrl_on_returns_and_the_loss_decides():
    """Issue 28 changed the default's feedback from returns to the TD loss: a source holding both
    shows two rows, and its verdict is read from the runs on the loss (docs/claims.md, claim 5)."""
    on_loss = [('LossImprovement', -0.5 - 0.01 * i) for i in range(10)]
    on_returns = [(feedback, 0.3 + 0.01 * i) for i, feedback in enumerate(['RoundImprovement'] * 5 + [None] * 5)]
    runs, tables = _drift_runs(on_loss + on_returns)
    claim = claim_files.Claim(
        number=5, title='t', source='s', experiment='e', rule='drift', path='p',
        sources=(claim_files.DriftSource(name='CartPole', claims=(1,)),), default_cells=('lrrl_with_',),
    )
    campaign = type('C', (), {'alpha': 0.05, 'power': 0.8})
    result = judging.drift_claim(campaign, claim, {1: {'setups': [{'runs': runs, 'tables': tables}]}})
    rows = {r['runs']: r['comparison'] for r in result['rows']}
    assert rows[judging.LRRL_ON_LOSS].n_x == 10 and rows[judging.LRRL_ON_RETURNS].n_x == 10
    assert rows[judging.LRRL_ON_LOSS].estimate == pytest.approx(-0.545)
    assert rows[judging.LRRL_ON_RETURNS].estimate == pytest.approx(0.345)
    assert result['basis_runs'] == judging.LRRL_ON_LOSS and result['verdict'] == rules.REPRODUCED
    # Without runs on the loss, the runs on returns decide (here: above 0, refuted).
    runs, tables = _drift_runs(on_returns)
    result = judging.drift_claim(campaign, claim, {1: {'setups': [{'runs': runs, 'tables': tables}]}})
    assert result['basis_runs'] == judging.LRRL_ON_RETURNS and result['verdict'] == rules.REFUTED


def test_a_cell_whose_records_span_a_behaviour_change_keeps_only_the_newest():
    runs = pd.DataFrame(
        {
            'game': 'CartPole',
            'cell': ['a'] * 6 + ['b'] * 3,
            'behaviour': [None, None, None, 1, 1, 'mixed', None, None, None],
            'fingerprint': [None, None, None, 'f1', 'f1', 'mixed', None, None, None],
        }
    )
    kept, notes = runs_lib.pool_by_code(runs)
    assert list(kept[kept['cell'] == 'a']['behaviour']) == [1, 1]
    assert len(kept[kept['cell'] == 'b']) == 3  # one group: pooled as it is
    assert any('CartPole/a: 1 run(s) left out, trained across a behaviour change' in n for n in notes)
    assert any('kept behaviour 1, settings f1 (2 runs), left out code unknown' in n for n in notes)


# ---------------------------------------------------------------------------
# The claim files.


def test_the_shipped_claim_files_load_and_name_cells_of_their_sweeps():
    campaign = claim_files.load_campaign(spec.axis_labels)
    assert [c.number for c in campaign.claims] == list(range(1, 9))
    assert campaign.margin_share == pytest.approx(0.1) and campaign.alpha == pytest.approx(0.05)
    one = campaign.claim(1)
    # Every setup reads its rerun with today's default (DQN 10 seeds, IQN 6).
    assert one.sweeps == ('claim1_cartpole_dqn_10seeds', 'claim1_acrobot_dqn_10seeds', 'claim1_cartpole_iqn_6seeds')
    assert sum(p.in_verdict for s in one.setups for p in s.parts) == 12
    # Claim 2: Breakout read from its rerun, Seaquest still from the first campaign's sweep.
    breakout, seaquest = campaign.claim(2).setups
    assert (breakout.sweeps, breakout.games) == (('claim2_minatar_dqn_10seeds',), ())
    assert (seaquest.sweeps, seaquest.games) == (('claim2_minatar_dqn',), ('Seaquest-MinAtar',))
    assert campaign.random_score('Breakout-MinAtar') == pytest.approx(0.5)  # from lrrl/data
    assert campaign.claim(5).sources[0].claims == (2, 4)


SWEEP = """
name = "{name}"
seeds = [0, 1, 2, 3, 4]
gin_files = ["agents/dqn_cartpole.gin"]
[axes.method]
{methods}
"""

CAMPAIGN = """
alpha = 0.05
power = 0.8
margin_share = 0.1
planned_seeds = 10
[random_scores]
CartPole = 22.0
[success_scores]
CartPole = 195.0
"""

CLAIM = """
[claim]
number = 1
title = "Robust"
source = "v3"
experiment = "toy"
rule = "parts"

[[setups]]
title = "DQN, CartPole"
sweeps = ["{sweep}"]

[[setups.parts]]
name = "LRRL beats uniform"
kind = "beats"
x = "lrrl"
others = ["uniform"]

[[setups.parts]]
name = "LRRL competitive with the best fixed rate"
kind = "competitive"
or_better = true
x = "lrrl"
others = ["fixed_a", "fixed_b"]
"""


@pytest.fixture
def configs(tmp_path, monkeypatch):
    """A configs/ folder with toy sweep files and a claims/ folder: returns a writer."""
    root = tmp_path / 'configs'
    (root / 'experiments').mkdir(parents=True)
    (root / 'claims').mkdir()
    monkeypatch.setattr(gin_files, 'CONFIG_DIR', str(root))

    def write(relative, text):
        path = root / relative
        path.write_text(textwrap.dedent(text))
        return str(path)

    methods = '\n'.join(f'{m} = {{}}' for m in ('lrrl', 'uniform', 'fixed_a', 'fixed_b'))
    write('experiments/toy.toml', SWEEP.format(name='toy', methods=methods))
    write('experiments/toy_10seeds.toml', SWEEP.format(name='toy_10seeds', methods=methods))
    write('claims/campaign.toml', CAMPAIGN)
    write('claims/claim1.toml', CLAIM.format(sweep='toy'))
    return write


@pytest.mark.parametrize(
    'old, new, message',
    [
        (
            'kind = "beats"',
            'kind = "better"',
            "kind = 'better' is not allowed: it must be one of ['beats', 'competitive']",
        ),
        (
            'x = "lrrl"\nothers = ["uniform"]',
            'x = "lrrl_k5"\nothers = ["uniform"]',
            "x = 'lrrl_k5' is not allowed: it is no cell of the sweeps ['toy']",
        ),
        ('sweeps = ["toy"]', 'sweeps = ["nope"]', "sweeps names the sweep 'nope', which cannot be read"),
        ('sweeps = ["toy"]', 'sweeps = ["toy", "toy_10seeds"]', 'it is a cell of more than one of the sweeps'),
        ('rule = "parts"', 'rule = "parts"\nmargin = 3', "unknown key(s) ['margin']"),
        ('or_better = true', 'or_better = "yes"', "or_better = 'yes' is not allowed: it must be true or false"),
        (
            '[[setups.parts]]\nname = "LRRL beats uniform"',
            '[[setups.parts]]\nname = "LRRL beats uniform"\nor_better = true',
            'it is only for kind = "competitive"',
        ),
    ],
)
def test_a_bad_claim_file_is_refused_naming_the_file_key_and_value(configs, old, new, message):
    path = configs('claims/claim1.toml', CLAIM.format(sweep='toy').replace(old, new))
    assert CLAIM.format(sweep='toy').replace(old, new) != CLAIM.format(sweep='toy')
    with pytest.raises(claim_files.ClaimFileError) as raised:
        claim_files.load_campaign(spec.axis_labels, os.path.dirname(path))
    assert path in str(raised.value) and message in str(raised.value), str(raised.value)


def test_bad_campaign_rules_and_repeated_claim_numbers_are_refused(configs):
    folder = os.path.dirname(configs('claims/campaign.toml', CAMPAIGN.replace('alpha = 0.05', 'alpha = 0.7')))
    with pytest.raises(
        claim_files.ClaimFileError, match=r'campaign.toml: alpha = 0.7 is not allowed: it must lie in \(0, 0.5\)'
    ):
        claim_files.load_campaign(spec.axis_labels, folder)
    configs('claims/campaign.toml', CAMPAIGN)
    configs('claims/claim1_again.toml', CLAIM.format(sweep='toy'))
    with pytest.raises(claim_files.ClaimFileError, match='number = 1 is used by more than one file'):
        claim_files.load_campaign(spec.axis_labels, folder)


def test_a_game_with_no_random_score_is_named_when_a_margin_needs_it(configs):
    campaign = claim_files.load_campaign(spec.axis_labels, os.path.dirname(configs('claims/campaign.toml', CAMPAIGN)))
    with pytest.raises(claim_files.ClaimFileError, match="no score for the game 'Pong'"):
        campaign.random_score('Pong')


# ---------------------------------------------------------------------------
# The page, from archived records.

RETURNS = {  # final returns per seed, a cell per method
    'lrrl': [150.0, 170.0, 160.0, 165.0, 155.0],
    'uniform': [100.0, 110.0, 105.0, 115.0, 108.0],
    'fixed_a': [148.0, 168.0, 158.0, 163.0, 153.0],
    'fixed_b': [30.0, 20.0, 25.0, 35.0, 28.0],
}


def _archive(archive_root, sweep, method, seed, final, config='x', provenance=None, game='CartPole'):
    settings = {
        'sweep': sweep,
        'agent': 'dqn',
        'game': game,
        'method': method,
        'seed': seed,
        'controller': 'FixedLearningRate' if method.startswith('fixed') else 'BanditLearningRate',
        'bandit': 'UniformBandit' if method == 'uniform' else None,
        'training_steps': 100,
        'num_iterations': 2,
        'state': 'finished',
        'iterations_logged': 2,
        'finished': True,
        **(provenance or {}),
    }
    labels = {'method': method} if game == 'CartPole' else {'game': game, 'method': method}
    run_settings = {'sweep': sweep, 'labels': labels, 'seed': seed, 'gin_files': [], 'gin_bindings': []}
    rows = [(0, final / 2, 3, np.nan), (1, final, 3, np.nan)]
    record = run_archive.make_record(
        f'{sweep}/' + ('' if game == 'CartPole' else f'{game}/') + f'{method}/seed_{seed}',
        run_settings,
        settings,
        ('iteration', 'train_return', 'train_episodes', 'eval_return'),
        rows,
        config=config,
    )
    run_archive.write_record(archive_root, record)


def _page(tmp_path, campaign):
    store = runs_lib.RunStore(str(tmp_path / 'runs'), str(tmp_path / 'archive'))
    built = page.build_page(store, campaign, final_iterations=1, results_root=str(tmp_path))
    return built, page.page_text(built, campaign, final_iterations=1)


def test_the_page_shows_each_verdicts_numbers_and_marks_records_without_a_configuration(tmp_path, configs):
    campaign = claim_files.load_campaign(spec.axis_labels, os.path.dirname(configs('claims/campaign.toml', CAMPAIGN)))
    for method, values in RETURNS.items():
        for seed, value in enumerate(values):
            _archive(str(tmp_path / 'archive'), 'toy', method, seed, value, config=None if method == 'uniform' else 'x')
    built, text = _page(tmp_path, campaign)
    result = built['judged'][1]
    part = result['setups'][0]['games']['CartPole']['parts']
    assert part['LRRL beats uniform']['comparison'].verdict == rules.REPRODUCED
    competitive = part['LRRL competitive with the best fixed rate']
    assert competitive['best'] == 'fixed_a'  # the best other, picked after the fact
    # The margin: 10% of the best fixed rate's gain over a random policy (22).
    assert competitive['comparison'].margin == pytest.approx(0.1 * (np.mean(RETURNS['fixed_a']) - 22.0))
    line = next(l for l in text.splitlines() if l.startswith('| 1 |'))
    assert f'**{rules.REPRODUCED} {page.MIGRATED_MARK}**' in line  # 5 uniform records have no configuration
    assert 'margin -13.6' in line and 'Holm p' in line and '[' in line
    assert '5 of these 20 runs are records migrated from report tables' in text
    assert f'| records from report tables {page.MIGRATED_MARK} |' in text  # the column, and why the mark is there
    assert f'{page.MIGRATED_MARK} marks a verdict resting on' in text
    assert '150, 155, 160, 165, 170' in text  # every seed's final return beside the interval


def test_a_not_shown_verdict_prints_what_it_could_have_detected(tmp_path, configs):
    campaign = claim_files.load_campaign(spec.axis_labels, os.path.dirname(configs('claims/campaign.toml', CAMPAIGN)))
    spread = {**RETURNS, 'lrrl': [60.0, 170.0, 100.0, 175.0, 110.0]}
    for method, values in spread.items():
        for seed, value in enumerate(values):
            _archive(str(tmp_path / 'archive'), 'toy', method, seed, value)
    _, text = _page(tmp_path, campaign)
    line = next(l for l in text.splitlines() if l.startswith('| 1 |'))
    assert f'**{rules.NOT_SHOWN}**' in line
    assert 'not shown at this scale (detectable: \\|difference\\| >=' in line
    assert 'shown only if the true difference were above' in line
    assert 'with 10 seeds a cell' in line  # campaign.toml's planned_seeds, at the same spread


def test_switching_a_claim_to_a_rerun_sweep_is_an_edit_of_its_file(tmp_path, configs):
    """The lead reruns a claim's cells under a new sweep name: the claim file's `sweeps` is the only change."""
    for method, values in RETURNS.items():
        for seed, value in enumerate(values):
            _archive(str(tmp_path / 'archive'), 'toy', method, seed, value, config=None)
            _archive(
                str(tmp_path / 'archive'),
                'toy_10seeds',
                method,
                seed,
                value + (5 if method == 'lrrl' else 0),
                provenance={'commit': 'abc', 'behaviour': 1, 'fingerprint': 'f'},
            )
    folder = os.path.dirname(configs('claims/claim1.toml', CLAIM.format(sweep='toy_10seeds')))
    built, text = _page(tmp_path, claim_files.load_campaign(spec.axis_labels, folder))
    # No record without a configuration is read: no mark, no column and no sentence about them.
    assert built['migrated'][1] == 0 and page.MIGRATED_MARK not in text
    assert '`toy_10seeds`' in text and '`configs/experiments/toy_10seeds.toml`' in text
    assert built['judged'][1]['setups'][0]['games']['CartPole']['summary']['lrrl'][judging.PRIMARY][0] == pytest.approx(
        165.0
    )


def test_a_game_rerun_under_a_new_sweep_and_one_left_on_the_old_are_two_setups(tmp_path, configs):
    """Claim 2's case: Breakout rerun on 10 seeds, Seaquest still read from the first campaign."""
    configs('claims/campaign.toml', CAMPAIGN.replace('CartPole = 22.0', 'CartPole = 22.0\nAcrobot = -500.0'))
    for method, values in RETURNS.items():
        for seed, value in enumerate(values):
            for game in ('CartPole', 'Acrobot'):  # the old sweep ran both games
                _archive(str(tmp_path / 'archive'), 'toy', method, seed, value - 1000, config=None, game=game)
            _archive(
                str(tmp_path / 'archive'),
                'toy_10seeds',
                method,
                seed,
                value,
                provenance={'commit': 'abc', 'behaviour': 1, 'fingerprint': 'f'},
            )
    setups = CLAIM.format(sweep='toy').split('[[setups]]')[1]
    claim = CLAIM.format(sweep='toy_10seeds') + '[[setups]]' + setups.replace(
        'sweeps = ["toy"]', 'sweeps = ["toy"]\ngames = ["Acrobot"]'
    ).replace('DQN, CartPole', 'DQN, Acrobot (first campaign)')
    folder = os.path.dirname(configs('claims/claim1.toml', claim))
    built, text = _page(tmp_path, claim_files.load_campaign(spec.axis_labels, folder))
    rerun, old = built['judged'][1]['setups']
    assert list(rerun['games']) == ['CartPole'] and list(old['games']) == ['Acrobot']
    assert rerun['games']['CartPole']['summary']['lrrl'][judging.PRIMARY][0] == pytest.approx(160.0)
    assert old['games']['Acrobot']['summary']['lrrl'][judging.PRIMARY][0] == pytest.approx(160.0 - 1000)
    assert old['expected_games'] == 1 and old['migrated'] == 20 and rerun['migrated'] == 0
    # One family over both setups: 2 parts x 2 games.
    assert built['judged'][1]['family'] == 4
    families = {c['comparison'].family for s in (rerun, old) for g in s['games'].values() for c in g['parts'].values()}
    assert families == {4}
    bad = claim.replace('games = ["Acrobot"]', 'games = ["Acrobot", "Acrobot"]')
    with pytest.raises(claim_files.ClaimFileError, match='a game is listed twice'):
        claim_files.load_campaign(spec.axis_labels, os.path.dirname(configs('claims/claim1.toml', bad)))


def test_cells_with_records_of_two_code_versions_are_not_pooled_and_the_page_says_so(tmp_path, configs):
    campaign = claim_files.load_campaign(spec.axis_labels, os.path.dirname(configs('claims/campaign.toml', CAMPAIGN)))
    for method, values in RETURNS.items():
        for seed, value in enumerate(values):
            _archive(str(tmp_path / 'archive'), 'toy', method, seed, value)
    for seed in (5, 6, 7):  # newer runs of one cell, with provenance
        _archive(str(tmp_path / 'archive'), 'toy', 'lrrl', seed, 20.0, provenance={'behaviour': 1, 'fingerprint': 'f'})
    built, text = _page(tmp_path, campaign)
    summary = built['judged'][1]['setups'][0]['games']['CartPole']['summary']['lrrl']
    assert summary['seeds'] == 3 and summary[judging.PRIMARY][0] == pytest.approx(20.0)
    assert 'CartPole/lrrl: records of 2 code versions; kept behaviour 1, settings f (3 runs)' in text


def _stationary_outputs(folder, lrrl_ranks, uniform_ranks, ratios):
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for k, (a, b) in enumerate(zip(lrrl_ranks, uniform_ranks)):
        rows.append({'function': f'f{k}', 'optimizer': 'sgd', 'method': 'LRRL', 'rank_vs_fixed': a})
        rows.append({'function': f'f{k}', 'optimizer': 'sgd', 'method': 'uniform', 'rank_vs_fixed': b})
    pd.DataFrame(rows).to_csv(folder / judging.FUNCTIONS_TABLE, index=False)
    runs = [{'method': 'fixed', 'seed': s, 'test_error_tail': 1.0} for s in range(len(ratios))]
    runs += [{'method': 'LRRL', 'seed': s, 'test_error_tail': 1.0 / r} for s, r in enumerate(ratios)]
    pd.DataFrame(runs).to_csv(folder / judging.MACLAURIN_RUNS, index=False)


def test_claim6_is_judged_from_the_benchmarks_outputs(tmp_path):
    campaign = claim_files.load_campaign(spec.axis_labels)
    claim = campaign.claim(6)
    assert judging.stationary_claim(campaign, claim, str(tmp_path)) is None
    _stationary_outputs(
        tmp_path / claim.folder,
        [1] * 16 + [3, 1],
        [3] * 16 + [1, 1],
        [2.0, 1.8, 2.2, 1.9, 2.1, 2.0, 1.7, 2.3, 2.0, 1.9],
    )
    result = judging.stationary_claim(campaign, claim, str(tmp_path))
    assert (result['ties'], result['cells']) == (1, 18)
    assert result['functions'].verdict == rules.REPRODUCED and result['maclaurin'].verdict == rules.REPRODUCED
    assert result['verdict'] == rules.REPRODUCED
    _stationary_outputs(tmp_path / claim.folder, [1, 3, 1, 3], [3, 1, 3, 1], [0.5, 2.0, 0.7, 1.5, 1.0, 0.9])
    assert judging.stationary_claim(campaign, claim, str(tmp_path))['verdict'] == rules.NOT_SHOWN


def test_the_plan_sizes_reruns_for_the_papers_effect(tmp_path, configs):
    share, per_game = power.paper_effect_share()
    # The paper's LRRL over K(5) against its best fixed rate (lrrl/data/paper_reported.csv):
    # Breakout (253 - 217) / (217 - 1.7), Seaquest (6799 - 5881) / (5881 - 68.4).
    assert per_game['Breakout'] == pytest.approx(36 / 215.3) and share == pytest.approx(918 / 5812.6)
    campaign = claim_files.load_campaign(spec.axis_labels, os.path.dirname(configs('claims/campaign.toml', CAMPAIGN)))
    for method, values in {**RETURNS, 'lrrl': [60.0, 170.0, 100.0, 175.0, 110.0]}.items():
        for seed, value in enumerate(values):
            _archive(str(tmp_path / 'archive'), 'toy', method, seed, value)
    store = runs_lib.RunStore(str(tmp_path / 'runs'), str(tmp_path / 'archive'))
    rows = power.plan(store, campaign, final_iterations=1, seeds=10)
    beats = next(r for r in rows if r['comparison'] == 'lrrl vs uniform')
    assert beats['k'] == 2 and beats['target'] == pytest.approx(share * (np.mean(RETURNS['fixed_a']) - 22.0))
    assert beats['detectable at 10'] < beats['detectable now']
    assert beats['seeds per cell for the target'] > 10
    assert 'seeds per cell for the target' in power.plan_text(rows, campaign, 10)


def test_a_reference_no_better_than_random_gives_no_margin_and_no_verdict(tmp_path, configs):
    campaign = claim_files.load_campaign(spec.axis_labels, os.path.dirname(configs('claims/campaign.toml', CAMPAIGN)))
    for method in RETURNS:  # every cell at about a random policy's 22 on CartPole
        for seed, value in enumerate([20.0, 21.0, 19.0, 20.5, 19.5]):
            _archive(str(tmp_path / 'archive'), 'toy', method, seed, value)
    built, text = _page(tmp_path, campaign)
    found = built['judged'][1]['setups'][0]['games']['CartPole']['parts']['LRRL competitive with the best fixed rate']
    assert found['comparison'].verdict == rules.NOT_SHOWN
    assert 'no margin (the reference is no better than a random policy)' in text
