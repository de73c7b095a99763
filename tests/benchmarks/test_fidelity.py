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
    # Beside a verdict: the seeds a rerun would need to show equivalence, from the two cells' spreads.
    from lrrl.analysis import small_sample

    spreads = [np.std(result['cells'][method_of[c]]['final_return'], ddof=1) for c in ('lrrl', 'fixed')]
    assert comparison['equivalence_seeds_needed'] == small_sample.equivalence_seeds_needed(*spreads, 25.0)
    assert 'seeds a cell to show equivalence, power 0.8' in text


def test_the_command_reads_archived_records_when_the_run_folders_are_gone(cartpole_runs, tmp_path):
    """A clone without the run folders regenerates the table from the records lrrl.launch archived."""
    import json
    import shutil

    from helpers import run_cli

    from lrrl import run_archive
    from lrrl.analysis import loading

    sweep = tmp_path / 'runs' / 'toy'
    shutil.copytree(cartpole_runs, sweep)
    tables = loading.load_runs([str(sweep)])
    method_of = {('lrrl' if '/lrrl/' in d else 'fixed'): m for d, m in zip(tables.runs['run_dir'], tables.runs['method'])}
    command = ['--axis=method', f'--reference={method_of["fixed"]}', f'--candidate={method_of["lrrl"]}']
    before = run_cli('lrrl.fidelity', f'--runs={sweep}', *command, f'--out={tmp_path / "before.md"}')
    assert before.returncode == 0, before.stderr[-3000:]
    assert run_archive.archive_finished([str(sweep)], str(tmp_path / 'runs'), str(tmp_path / 'archive')) == 4
    shutil.rmtree(sweep)
    archive = [f'--archive_root={tmp_path / "archive"}', '--sweep=toy']
    after = run_cli('lrrl.fidelity', f'--runs={sweep}', *archive, *command, f'--out={tmp_path / "after.md"}')
    assert after.returncode == 0, after.stderr[-3000:]
    numbers = [json.loads((tmp_path / f'{name}.json').read_text())['comparisons'] for name in ('before', 'after')]
    assert numbers[0]['final_return']['difference'] == pytest.approx(numbers[1]['final_return']['difference'])
    assert numbers[0]['auc']['high'] == pytest.approx(numbers[1]['auc']['high'])
    # A sweep the archive does not hold is refused, naming it.
    wrong = run_cli('lrrl.fidelity', f'--runs={sweep}', f'--archive_root={tmp_path / "archive"}', '--sweep=nope', *command)
    assert wrong.returncode == 2 and '--sweep=nope' in wrong.stderr


def test_a_look_reads_the_rules_seeds_only_and_waits_until_each_cell_has_them_all(cartpole_runs, tmp_path):
    """--seeds: a later look's archived runs do not leak into an earlier look, and a look is not taken early.

    Real CartPole runs: the session's (fixed 0, 2 finished, 1 unfinished; LRRL 0, 1) and one more LRRL run, seed 2.
    """
    import shutil

    import numpy as np
    from helpers import CARTPOLE_LRRL
    from helpers import CARTPOLE_RUN_BINDINGS
    from helpers import run_cli

    from lrrl.analysis import loading
    from lrrl.analysis import scores
    from lrrl.benchmarks import fidelity

    sweep = tmp_path / 'toy'
    shutil.copytree(cartpole_runs, sweep)
    extra = run_cli('lrrl.train', f'--base_dir={sweep / "lrrl" / "seed_2"}', *CARTPOLE_RUN_BINDINGS, *CARTPOLE_LRRL, '--seed=2')
    assert extra.returncode == 0, extra.stderr[-4000:]
    tables = loading.load_runs([str(sweep)])
    method_of = {('lrrl' if '/lrrl/' in d else 'fixed'): m for d, m in zip(tables.runs['run_dir'], tables.runs['method'])}
    fixed, lrrl = method_of['fixed'], method_of['lrrl']

    result = fidelity.compare([str(sweep)], 'method', fixed, lrrl, margin=25.0, seeds=[0, 2])
    assert result['cells'][lrrl]['seeds'] == [0, 2]  # LRRL's seed 1 is not the rule's: left out
    table = scores.run_scores(tables).reset_index()
    chosen = table[table['seed'].isin([0, 2]) & table['finished'].astype(bool)]
    expected = chosen[chosen['method'] == lrrl]['auc'].mean() - chosen[chosen['method'] == fixed]['auc'].mean()
    assert result['comparisons']['auc']['difference'] == np.float64(expected)
    everything = fidelity.compare([str(sweep)], 'method', fixed, lrrl, margin=25.0)
    assert everything['cells'][lrrl]['seeds'] == [0, 1, 2]

    # Fixed seed 1 is unfinished: a look at seeds 0-2 is refused, naming the cell and the seed.
    with pytest.raises(ValueError, match=r"method = '.*': 1 of the 3 seeds the rule names .*\(seeds 1\)"):
        fidelity.compare([str(sweep)], 'method', fixed, lrrl, margin=25.0, seeds=[0, 1, 2])

    cells = ['--axis=method', f'--reference={fixed}', f'--candidate={lrrl}']
    taken = run_cli('lrrl.fidelity', f'--runs={sweep}', *cells, '--seeds=0,2', f'--out={tmp_path / "look.md"}')
    assert taken.returncode == 0, taken.stderr[-3000:]
    assert '| 2 | 0, 2 |' in (tmp_path / 'look.md').read_text()
    early = run_cli('lrrl.fidelity', f'--runs={sweep}', *cells, '--seeds=0-2', f'--out={tmp_path / "early.md"}')
    assert early.returncode == 2 and '(seeds 1)' in early.stderr and not (tmp_path / 'early.md').exists()
    bad = run_cli('lrrl.fidelity', f'--runs={sweep}', *cells, '--seeds=3-1')
    assert bad.returncode == 2 and "'3-1' is not allowed" in bad.stderr


def test_the_committed_first_look_regenerates_from_its_archived_records(tmp_path):
    """results/jax/fidelity_cartpole.md is what its own command gives on this clone, however many later seeds are archived."""
    import json
    import os
    import re
    import shlex

    from helpers import REPO
    from helpers import run_cli

    committed = os.path.join(REPO, 'results', 'jax', 'fidelity_cartpole.md')
    with open(committed) as f:
        text = f.read()
    command = shlex.split(re.search(r'Command: `python -m lrrl\.fidelity (.*?)`\.', text).group(1))
    assert '--seeds=0-9' in command
    out = tmp_path / 'fidelity_cartpole.md'
    args = [a if not a.startswith('--out=') else f'--out={out}' for a in command]
    result = run_cli('lrrl.fidelity', *args)
    assert result.returncode == 0, result.stderr[-3000:]
    with open(os.path.splitext(committed)[0] + '.json') as f:
        expected = json.load(f)
    regenerated = json.loads(out.with_suffix('.json').read_text())
    assert regenerated['cells'] == expected['cells']
    for score, numbers in expected['comparisons'].items():
        for key in ('difference', 'low', 'high'):
            assert regenerated['comparisons'][score][key] == pytest.approx(numbers[key], rel=1e-9)
    assert out.read_text().split('\n', 3)[3] == text.split('\n', 3)[3]  # all but the command line
