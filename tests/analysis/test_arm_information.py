"""The feedback information diagnostic (lrrl.analysis.arm_information) and its command."""

import math

import numpy as np
import pandas as pd
import pytest

from helpers import run_cli
from lrrl import run_archive
from lrrl.analysis import arm_information


def rounds_table(values, arms, before=None, losses=None, q_max=None):
    """A rounds.csv as lrrl.run_folder writes it (rounds of 100 steps)."""
    n = len(values)
    table = pd.DataFrame(
        {
            'iteration': np.arange(n) // 10,
            'round': np.arange(n),
            'start_step': 100 * np.arange(n),
            'end_step': 100 * np.arange(1, n + 1),
            'arm': arms,
            'learning_rate': 1e-3,
            'episodes': 2,
            'value': values,
            'before': before if before is not None else np.full(n, np.nan),
            'feedback': 0.0,
        }
    )
    if losses is not None:
        start, end = losses
        table['loss_start'], table['loss_end'] = start, end
        table['loss_frozen_start'], table['loss_frozen_end'] = start, end
        q_start, q_end = q_max if q_max is not None else (np.ones(n), np.ones(n))
        table['q_max_start'], table['q_max_end'] = q_start, q_end
    return table


def test_round_signals_as_the_controller_computes_them():
    table = rounds_table(
        values=[10.0, 30.0, 20.0, 40.0],
        arms=[0, 1, 2, 0],
        before=[np.nan, 12.0, 25.0, 20.0],
        losses=(np.array([1.0, 1.0, 2.0, 1.0]), np.array([0.5, 4.0, 2.0, np.inf])),
        q_max=(np.array([1.0, 1.0, 0.5, 2.0]), np.array([1.0, 1.0, 20.0, 2.0])),
    )
    signals = arm_information.round_signals(table)
    np.testing.assert_allclose(signals['return_level'], [0.0, 1.0, 0.5, 1.0])
    np.testing.assert_allclose(signals['return_change'], [np.nan, 20.0, -10.0, 20.0])
    # (value - before) / the run's range so far; nothing ended before the first round.
    np.testing.assert_allclose(signals['return_paired'], [np.nan, 18.0 / 20.0, -5.0 / 20.0, 20.0 / 30.0])
    # ln(L_start / L_end), clipped to ±1; a diverged (inf) loss is -1.
    np.testing.assert_allclose(signals['loss_current'], [np.log(2.0), -1.0, 0.0, -1.0])
    # The guard: loss x4 is under its factor 10; |Q| 0.5 -> 20 is over 10 x max(0.5, 1); inf.
    np.testing.assert_array_equal(signals['guard'], [0.0, 0.0, -1.0, -1.0])
    np.testing.assert_allclose(signals['guarded_return_level'], [0.0, 1.0, -1.0, -1.0])
    np.testing.assert_allclose(signals['phase'], [0.25, 0.5, 0.75, 1.0])


def synthetic_runs(effect, runs=6, rounds=300, arms=3, seed=0):
    """Uniform-arm runs whose round value is a trend + effect[arm] + noise (sd 1)."""
    rng = np.random.default_rng(seed)
    out = []
    for run in range(runs):
        arm = rng.integers(arms, size=rounds)
        trend = np.linspace(0, 5, rounds)
        values = trend + np.asarray(effect)[arm] + rng.normal(size=rounds)
        out.append((('task', (('kappa', '0.01'),)), f'run{run}', arms, (1e-4, 1e-3, 1e-2), rounds_table(values, arm)))
    return out


def test_an_arm_effect_is_found_and_no_effect_is_not():
    informative = arm_information.signal_table(synthetic_runs([0.0, 0.5, 0.0]), permutations=200, reps=100)
    row = informative[informative['signal'] == 'return_change'].iloc[0]
    # The change f_n - f_{n-1} carries the arm's effect (and minus the previous arm's).
    assert row['p_value'] < 0.01 and row['best_arm'] == 1 and row['gap'] > row['gap_null']
    assert row['arm_1_low'] > 0  # the t-interval over runs excludes 0
    assert row['rounds'] == 6 * 299 and row['runs'] == 6
    null = arm_information.signal_table(synthetic_runs([0.0, 0.0, 0.0], seed=1), permutations=200, reps=100)
    row = null[null['signal'] == 'return_change'].iloc[0]
    assert row['p_value'] > 0.01 and row['eta2'] < 0.01
    assert row['gap'] < 2 * row['gap_null']
    # No probe recorded: no loss signal.
    assert 'loss_current' not in set(null['signal'])


def test_the_permutation_test_holds_its_level_under_no_effect():
    """Under uniform arms and no effect, p < 0.1 in about 10% of the experiments (not more)."""
    rejections = 0
    experiments = 40
    for seed in range(experiments):
        runs = synthetic_runs([0.0, 0.0, 0.0], runs=3, rounds=60, seed=100 + seed)
        frame = pd.concat([arm_information.round_signals(r[4]).assign(run=r[1]) for r in runs], ignore_index=True)
        rows = arm_information._standardised(frame, 'return_level')
        _, p, _ = arm_information.permutation_test(rows, 3, permutations=99, seed=seed)
        rejections += p < 0.1
    # Binomial(40, 0.1): P(more than 9) < 0.01.
    assert rejections <= 9


def write_archive(root, runs):
    for _, name, _, rates, table in runs:
        record = run_archive.make_record(
            f'information_test/0.01/{name}',
            {'sweep': 'information_test', 'labels': {'kappa': '0.01'}, 'seed': int(name[3:])},
            {
                'sweep': 'information_test',
                'label:kappa': '0.01',
                'candidates': ','.join(f'{r:g}' for r in rates),
                'seed': int(name[3:]),
                'finished': True,
            },
            ['iteration', 'train_return'],
            [[0, 1.0]],
            rounds=(table.columns, table.astype(object).where(table.notna(), None).itertuples(index=False, name=None)),
        )
        run_archive.write_record(str(root), record)


def test_the_command_reads_archived_rounds_and_writes_the_table_and_plot(tmp_path):
    archive = tmp_path / 'archive'
    write_archive(archive, synthetic_runs([0.0, 0.8, 0.0], runs=3, rounds=80))
    out = tmp_path / 'out'
    result = run_cli(
        'lrrl.feedback_information',
        f'--archive_root={archive}',
        '--sweeps=information_test',
        f'--out={out}',
        '--permutations=99',
        '--bootstrap_reps=50',
    )
    assert result.returncode == 0, result.stderr[-3000:]
    text = (out / 'information.md').read_text()
    assert '### information_test' in text and '| kappa 0.01 | return_change |' in text
    assert (out / 'information.png').stat().st_size > 10_000
    table = pd.read_csv(out / 'information.csv')
    assert math.isclose(table[table['signal'] == 'return_change']['best_arm'].iloc[0], 1)
    # Bad input: a sweep the archive does not hold; nothing to read.
    missing = run_cli('lrrl.feedback_information', f'--archive_root={archive}', '--sweeps=nope', f'--out={out}')
    assert missing.returncode == 2 and 'nope has no records' in missing.stderr
    nothing = run_cli('lrrl.feedback_information', f'--out={out}')
    assert nothing.returncode == 2 and '--runs' in nothing.stderr


@pytest.mark.parametrize('signal', ['return_level', 'loss_current'])
def test_a_run_without_spread_is_left_out_not_divided_by_zero(signal):
    constant = rounds_table([5.0] * 10, [0, 1, 2] * 3 + [0], losses=(np.ones(10), np.ones(10)))
    frame = arm_information.round_signals(constant).assign(run='r')
    assert arm_information._standardised(frame, signal).empty
