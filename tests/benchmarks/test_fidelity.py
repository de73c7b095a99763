"""The fidelity check's verdicts follow the rule (its intervals are analysis.small_sample's, tested there)."""

import pytest


@pytest.mark.parametrize(
    'low, high, verdict',
    [
        (-10.0, 12.0, 'equivalent'),
        (-30.0, 5.0, 'not shown'),
        (2.0, 20.0, 'equivalent (a difference inside the margin)'),
        (5.0, 40.0, 'different'),
    ],
)
def test_the_verdict_is_the_rules(low, high, verdict):
    from lrrl.benchmarks import fidelity

    assert fidelity.verdict(low, high, 25.0) == verdict


def test_compare_reads_the_finished_runs_of_each_cell(cartpole_runs):
    """Real CartPole runs (tests/conftest.py): fixed seeds 0 and 2 (seed 1 unfinished, left out), LRRL seeds 0 and 1."""
    import numpy as np

    from lrrl.analysis import loading
    from lrrl.analysis import scores
    from lrrl.benchmarks import fidelity

    tables = loading.load_runs([str(cartpole_runs)])
    runs = zip(tables.runs['run_dir'], tables.runs['method'])
    method_of = {('lrrl' if '/lrrl/' in run_dir else 'fixed'): method for run_dir, method in runs}
    result = fidelity.compare([str(cartpole_runs)], 'method', method_of['fixed'], method_of['lrrl'], margin=25.0)
    assert result['cells'][method_of['fixed']]['seeds'] == [0, 2]
    assert result['cells'][method_of['lrrl']]['seeds'] == [0, 1]
    assert result['unfinished'] == 1
    table = scores.run_scores(tables).reset_index()
    final = {
        cell: table[(table['method'] == method_of[cell]) & table['finished'].astype(bool)]['final_return'].mean()
        for cell in ('fixed', 'lrrl')
    }
    comparison = result['comparisons']['final_return']
    assert comparison['difference'] == np.float64(final['lrrl'] - final['fixed'])
    assert comparison['low'] < comparison['difference'] < comparison['high']
    assert comparison['verdict'] == fidelity.verdict(comparison['low'], comparison['high'], 25.0)
    text = fidelity.report_text(result, 'python -m lrrl.fidelity ...', 'CartPole, 3 x 300 steps')
    assert '| final return |' in text and 'CartPole, 3 x 300 steps' in text
