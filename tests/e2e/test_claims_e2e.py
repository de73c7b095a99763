"""The claims page end to end: claim 1's sweep at toy scale through lrrl.launch, then lrrl.claims."""

import json
import os
import re
import shutil

from helpers import REPO, run_cli

TOY = [
    '--seeds=0,1',
    '--gin_bindings=Runner.num_iterations=3',
    '--gin_bindings=Runner.training_steps=200',
    '--gin_bindings=DQNAgent.min_replay_history=100',
]


def test_claim1_cartpole_sweep_gives_its_setup_a_verdict_and_unstarted_claims_none(tmp_path):
    runs_root, out = tmp_path / 'runs', tmp_path / 'claims'
    launched = run_cli(
        'lrrl.launch', '--sweep=claim1_cartpole_dqn_10seeds', f'--runs_root={runs_root}', '--max_parallel=2', *TOY,
        timeout=1200,
    )
    assert launched.returncode == 0, launched.stderr[-3000:]
    result = run_cli('lrrl.claims', f'--runs_root={runs_root}', f'--out={out}', '--bootstrap_reps=200')
    assert result.returncode == 0, result.stderr[-3000:]
    page = (out / 'CLAIMS.md').read_text()
    line = next(l for l in page.splitlines() if l.startswith('| 1 |'))
    # The CartPole setup finished on the two seeds launched (its file plans ten), the Acrobot and
    # IQN ones have not started: no verdict for the claim yet, the CartPole numbers shown as provisional,
    # and a verdict in the CartPole setup's section.
    assert '**running (22 of 226 runs finished; not started: claim1_acrobot_dqn_10seeds, claim1_cartpole_iqn_6seeds)**' in line, line
    assert 'provisional: **DQN, CartPole-v0**' in line and 'lrrl_with_0.03 − uniform_with_0.03' in line, line
    # Each verdict line shows the rule's numbers: an interval, the margin of a competitive part,
    # the Holm-adjusted p and, where nothing is shown, what could have been detected.
    assert 'margin' in line and 'Holm p' in line and 'detectable' in line
    section = page[page.index('### DQN, CartPole-v0') :]
    assert re.search(r'Setup: \*\*(reproduced|refuted|not shown at this scale)\*\*', section), section[:3000]
    # Two seeds a cell: the exact test cannot reach the level, and the page says so.
    assert 'nothing detectable with 2 + 2 seeds' in section
    lines = {l.split(' | ')[0]: l for l in page.splitlines() if l.startswith('| ')}
    # Claim 5 reads claims 1, 2, 4 and 7; only claim 1's CartPole sweep has run: no verdict yet.
    assert (
        'running (22 of 686 runs finished; not started: claim1_acrobot_dqn_10seeds, claim1_cartpole_iqn_6seeds, '
        'claim2_minatar_dqn_10seeds, claim2_minatar_dqn, claim4_minatar_optimizers, claim7_cartpole_bandits_10seeds, '
        'claim7_cartpole_sensitivity_10seeds, claim7_minatar_sensitivity_10seeds, claim7_cartpole_wide_set_10seeds)'
        in lines['| 5']
    ), lines['| 5']
    # Claim 7's which-bandit question reads that sweep too, but no question has all its sweeps' runs.
    for number in ('2', '3', '4', '6', '7', '8'):
        assert '**not run yet**' in lines[f'| {number}'], lines[f'| {number}']
    report = out / 'claim1' / 'claim1_cartpole_dqn_10seeds'
    assert (report / 'per_game.md').exists() and (report / 'lr_dqn_CartPole_lrrl_with_0.03.png').exists()
    assert '3 iterations x 200 training steps' in page
    # Before a rerun: the seeds each comparison needs, printed, nothing written.
    planned = run_cli('lrrl.claims', f'--runs_root={runs_root}', f'--out={tmp_path / "plan"}', '--plan', '--noarchive')
    assert planned.returncode == 0, planned.stderr[-3000:]
    assert 'seeds per cell for the target' in planned.stdout and 'lrrl_with_0.03 vs uniform_with_0.03' in planned.stdout
    assert not (tmp_path / 'plan').exists()
    # The bootstrap is seeded: the same runs give the same page.
    again = run_cli('lrrl.claims', f'--runs_root={runs_root}', f'--out={out}', '--bootstrap_reps=200', '--noreports')
    assert again.returncode == 0 and (out / 'CLAIMS.md').read_text() == page

    # Every finished run was archived beside the page; without the run folders (a new machine),
    # the page is the same, and relaunching the sweep with the archive trains nothing.
    records = sorted((out / 'archive' / 'claim1_cartpole_dqn_10seeds').rglob('seed_*.json'))
    assert len(records) == 22
    assert json.loads(records[0].read_text())['run'].startswith('claim1_cartpole_dqn_10seeds/')
    shutil.rmtree(runs_root)
    # --report_sweeps rewrites only the reports it names; the page is built from every sweep.
    shutil.rmtree(report)
    other = run_cli(
        'lrrl.claims', f'--runs_root={runs_root}', f'--out={out}', '--report_sweeps=claim1_acrobot_dqn_10seeds'
    )
    assert other.returncode == 0, other.stderr[-3000:]
    assert not report.exists() and (out / 'CLAIMS.md').read_text() == page
    from_archive = run_cli(
        'lrrl.claims',
        f'--runs_root={runs_root}',
        f'--out={out}',
        '--bootstrap_reps=200',
        '--report_sweeps=claim1_cartpole_dqn_10seeds',
    )
    assert from_archive.returncode == 0, from_archive.stderr[-3000:]
    assert (out / 'CLAIMS.md').read_text() == page
    assert '22 run folders, 22 of them read from their archived records' in (report / 'report.md').read_text()
    relaunch = run_cli(
        'lrrl.launch',
        '--sweep=claim1_cartpole_dqn_10seeds',
        f'--runs_root={runs_root}',
        f'--archive_root={out / "archive"}',
        *TOY,
    )
    assert relaunch.returncode == 0, relaunch.stderr[-3000:]
    assert '0 new, 0 resumable, 0 finished (skipped), 22 finished in the archive' in relaunch.stdout
    assert 'nothing to do' in relaunch.stdout and not runs_root.exists()


def test_claim4_sweep_gives_a_verdict_per_part_and_game(tmp_path):
    """A per-game claim (MinAtar, two optimizers x two methods x two games) on one seed at toy scale."""
    runs_root, out = tmp_path / 'runs', tmp_path / 'claims'
    launched = run_cli(
        'lrrl.launch',
        '--sweep=claim4_minatar_optimizers',
        f'--runs_root={runs_root}',
        '--max_parallel=2',
        *(['--seeds=0'] + TOY[1:]),
        timeout=1200,
    )
    assert launched.returncode == 0, launched.stderr[-3000:]
    # Launched on seed 0 only: by the file's seeds (0-4) the claim is still running; told the
    # campaign's seeds, it gets its verdict.
    result = run_cli('lrrl.claims', f'--runs_root={runs_root}', f'--out={out}', '--bootstrap_reps=200', '--noreports')
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(l for l in (out / 'CLAIMS.md').read_text().splitlines() if l.startswith('| 4 |'))
    assert '**running (8 of 40 runs finished)**' in line, line
    result = run_cli(
        'lrrl.claims', f'--runs_root={runs_root}', f'--out={out}', '--bootstrap_reps=200', '--noreports', '--seeds=0'
    )
    assert result.returncode == 0, result.stderr[-3000:]
    page = (out / 'CLAIMS.md').read_text()
    line = next(l for l in page.splitlines() if l.startswith('| 4 |'))
    assert re.search(r'\*\*(reproduced|refuted|not shown at this scale)', line), line
    # The evidence names each part's cells on both games.
    for game in ('Asterix-MinAtar', 'SpaceInvaders-MinAtar'):
        assert f'{game} adam/lrrl_k5 − adam/fixed' in line, line
        assert f'{game} rmsprop_momentum/fixed − rmsprop_momentum/lrrl_k5' in line, line
    section = page[page.index('## Claim 4') :]
    assert '**with Adam, LRRL beats the fixed rate**' in section
    assert '3 iterations x 200 training steps' in section


# A number as the page prints it: a sign (ASCII or U+2212), digits with thousands commas, a
# fraction, an exponent.
NUMBER = re.compile(r'[-\u2212]?\d[\d,]*(?:\.\d+)?(?:e[-+\u2212]?\d+)?')


def _value(text):
    return float(text.replace(',', '').replace('\u2212', '-'))


def _last_digit(text):
    """One unit in the last printed digit of ``text`` (a number as the page prints it)."""
    mantissa, _, exponent = text.replace('\u2212', '-').partition('e')
    decimals = len(mantissa.partition('.')[2])
    return 10.0 ** (-decimals + (int(exponent) if exponent else 0))


def test_the_committed_page_is_what_the_claim_files_and_the_archive_give(tmp_path):
    """results/claims/CLAIMS.md regenerates from configs/claims/ and the committed archive.

    The text around the numbers must match exactly; each number within one unit of its last
    printed digit (a float computed on another CPU may round the other way).
    """
    committed = os.path.join(REPO, 'results', 'claims')
    out, runs_root = tmp_path / 'claims', tmp_path / 'runs'
    shutil.copytree(committed, out)  # the archive, and claim 6's benchmark outputs
    runs_root.mkdir()
    result = run_cli('lrrl.claims', f'--runs_root={runs_root}', f'--out={out}', '--noreports')
    assert result.returncode == 0, result.stderr[-3000:]
    with open(os.path.join(committed, 'CLAIMS.md')) as f:
        expected = f.read()
    page = (out / 'CLAIMS.md').read_text()
    assert NUMBER.split(page) == NUMBER.split(expected), 'the page\'s text differs: regenerate it (docs/claims.md)'
    # Same text around them: the same count of numbers, in order.
    found, wanted = NUMBER.findall(page), NUMBER.findall(expected)
    far = [
        (a, b)
        for a, b in zip(found, wanted)
        if abs(_value(a) - _value(b)) > 1.01 * max(_last_digit(a), _last_digit(b))
    ]
    assert not far, f'numbers that differ from the committed page (regenerated, committed): {far[:10]}'


def test_a_missing_runs_root_is_a_config_error_and_nothing_is_written(tmp_path):
    result = run_cli('lrrl.claims', f'--runs_root={tmp_path / "nope"}', f'--out={tmp_path / "out"}')
    assert result.returncode == 2 and '--runs_root=' in result.stderr
    assert not (tmp_path / 'out').exists()


def test_bad_seeds_are_a_config_error_and_nothing_is_written(tmp_path):
    (tmp_path / 'runs').mkdir()
    result = run_cli('lrrl.claims', f'--runs_root={tmp_path / "runs"}', f'--out={tmp_path / "out"}', '--seeds=0-x')
    assert result.returncode == 2 and '--seeds=0-x' in result.stderr, result.stderr[-2000:]
    assert not (tmp_path / 'out').exists()


def test_report_sweeps_naming_no_claim_sweep_is_refused_before_anything_is_written(tmp_path):
    (tmp_path / 'runs').mkdir()
    result = run_cli(
        'lrrl.claims', f'--runs_root={tmp_path / "runs"}', f'--out={tmp_path / "out"}', '--report_sweeps=claim1_nope'
    )
    assert result.returncode == 2, result.stderr[-3000:]
    assert '--report_sweeps=claim1_nope' in result.stderr and 'claim1_nope is not a claim sweep' in result.stderr
    assert 'allowed: ' in result.stderr and 'claim1_cartpole_dqn_10seeds' in result.stderr
    assert not (tmp_path / 'out').exists()
