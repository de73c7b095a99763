"""Choosing the default on real agents: the plan, stage 1's parts and rule, stage 2's rule, the command."""

import json

import numpy as np
import pandas as pd
import pytest

from helpers import run_cli
from lrrl import errors
from lrrl import run_archive
from lrrl.benchmarks import default_selection as selection


def test_the_committed_plan_reads_and_every_candidate_builds():
    plan = selection.read_plan()
    candidates = plan.candidates()
    assert len(candidates) == 24 * 7 * 3
    assert len({c.name for c in candidates}) == len(candidates)
    # Every candidate's bindings name its bandit class, round length and signal.
    candidate = next(c for c in candidates if c.bandit == 'exp3_ix' and c.signal == 'loss_current')
    bindings = candidate.gin_bindings(plan.signals['loss_current']['bindings'], plan.burn_in)
    assert 'BanditLearningRate.bandit = @Exp3IXBandit' in bindings
    assert any(b.startswith('Exp3IXBandit.learning_rate = ') for b in bindings)
    assert 'BanditLearningRate.feedback = @LossImprovement()' in bindings


PLAN = """
kappas = [0.01]
burn_in = 0.5
[tasks.cartpole]
sweep = "information_cartpole_dqn"
random = { gym = "CartPole-v0", max_steps = 200 }
[signals.return_level]
replay = "return_level"
bindings = ["BanditLearningRate.feedback = @RoundImprovement()"]
[signals.guarded_return_level]
replay = "guarded_return_level"
bindings = ["BanditLearningRate.feedback = @DivergenceGuard()", "DivergenceGuard.signal = @RoundImprovement()"]
[bandits.exp3]
class = "Exp3Bandit"
fixed = { window = "None", denominator = "'max_one'", decay_all_arms = "True" }
grid = { alpha = [0.3, 30.0] }
[stage1]
alpha = 0.05
informative_tasks = 1
replay_runs = 4
noise_rounds = 300
noise_runs = 20
noise_max_share = 0.9
noise_max_lock_in = 0.05
finalists = 5
[stage2]
seeds = [100, 101, 102]
final_share = 0.25
[report]
seeds = [0, 1, 2]
[report.tasks.cartpole]
sweep = "claim1_cartpole_dqn"
archive = "REPORT_ARCHIVE"
cells = { default = "a", uniform = "b", v1 = "c", paper_literal = "d" }
share_rate = 0.03
"""


@pytest.mark.parametrize(
    'change, message',
    [
        (('kappas = [0.01]', 'kappas = [0.0]'), 'kappas'),
        (('class = "Exp3Bandit"', 'class = "Exp4Bandit"'), 'bandits.exp3.class'),
        (('alpha = [0.3, 30.0]', 'alpha = [-1.0]'), 'Exp3Bandit.alpha'),
        (('random = { gym = "CartPole-v0", max_steps = 200 }', 'random = 22'), 'tasks.cartpole.random'),
        (('burn_in = 0.5', 'burn_in = 1.5'), 'burn_in'),
    ],
)
def test_a_bad_plan_is_refused_naming_the_key(tmp_path, change, message):
    path = tmp_path / 'plan.toml'
    path.write_text(PLAN.replace(*change))
    with pytest.raises(errors.ConfigError, match=message.replace('.', r'\.')):
        selection.read_plan(str(path))


def test_eligibility_is_holm_corrected_within_a_task():
    p_values = {
        'a': {('loss', 0.01): 0.001, ('level', 0.01): 0.04},
        'b': {('loss', 0.01): 0.02, ('level', 0.01): 0.5},
    }
    # Holm within a task: 'a' rejects both (0.002, 0.04); 'b' rejects loss only (0.04).
    assert selection.eligible(p_values, 0.05, 2) == [('loss', 0.01)]
    assert selection.eligible(p_values, 0.05, 1) == [('level', 0.01), ('loss', 0.01)]


def make_task(effect, runs=4, rounds=100, seed=0):
    rng = np.random.default_rng(seed)
    recorded = []
    for _ in range(runs):
        arms = rng.integers(3, size=rounds)
        values = np.asarray(effect)[arms] + rng.normal(size=rounds)
        z = (values - values.mean()) / values.std()
        recorded.append((arms, (np.arange(rounds) + 1) / rounds, values, z))
    return selection.replay_task(recorded, 3), [r[2] for r in recorded]


def candidate(bandit_class='Exp3Bandit', alpha=1.0, **fixed):
    fixed = {'window': 'None', 'denominator': "'max_one'", 'decay_all_arms': 'True', **fixed}
    grid = (('alpha', alpha),) if bandit_class == 'Exp3Bandit' else ()
    if bandit_class != 'Exp3Bandit':
        fixed = {}
    return selection.Candidate('b', bandit_class, tuple(sorted(fixed.items())), grid, 'signal', 0.01)


def test_replay_score_is_near_one_for_a_learner_and_zero_for_a_uniform_choice():
    task, _ = make_task([0.0, 2.0, 0.0])
    assert selection.replay_score(candidate(alpha=3.0), task, runs=5) > 0.6
    assert abs(selection.replay_score(candidate('UniformBandit'), task, runs=5)) < 0.15


def test_lock_in_on_feedback_independent_of_the_arm():
    _, values = make_task([0.0, 0.0, 0.0])
    assert selection.lock_in(candidate('UniformBandit'), values, 3, rounds=300, runs=10, max_share=0.9) == (0.0, 0.0)
    played_only = candidate(alpha=30.0, decay_all_arms='False', denominator="'exp_weight'")
    assert max(selection.lock_in(played_only, values, 3, rounds=300, runs=10, max_share=0.9)) > 0.5


def test_stage_two_rule():
    assert selection.relative_final_return([100.0, 120.0], [60.0, 60.0], 20.0) == pytest.approx(90.0 / 40.0)
    assert np.isnan(selection.relative_final_return([100.0], [10.0], 20.0))  # uniform not above random
    name, mean = selection.choose({'a': {'x': 2.0, 'y': 0.5}, 'b': {'x': 1.1, 'y': 1.1}})
    assert name == 'b' and mean == pytest.approx(1.1)


def archive_information_runs(root, effect, seeds=(100, 101, 102), rounds=120):
    rng = np.random.default_rng(0)
    for seed in seeds:
        arms = rng.integers(3, size=rounds)
        values = 50 + np.asarray(effect)[arms] + rng.normal(scale=5, size=rounds)
        table = pd.DataFrame(
            {
                'iteration': np.arange(rounds) // 3,
                'round': np.arange(rounds),
                'start_step': 100 * np.arange(rounds),
                'end_step': 100 * np.arange(1, rounds + 1),
                'arm': arms,
                'value': values,
                'before': values - 1,
            }
        )
        iterations = [[i, float(50 + seed % 7)] for i in range(40)]
        key = f'information_cartpole_dqn/0.01/seed_{seed}'
        settings = {
            'sweep': 'information_cartpole_dqn',
            'label:kappa': '0.01',
            'candidates': '0.0001,0.001,0.03',
            'seed': seed,
            'finished': True,
            'method': 'lrrl',
        }
        rounds_rows = table.itertuples(index=False, name=None)
        record = run_archive.make_record(
            key, {'seed': seed}, settings, ['iteration', 'train_return'], iterations, rounds=(table.columns, rounds_rows)
        )
        run_archive.write_record(str(root), record)


def archive_report_runs(root):
    """Cells a (the default: 120, 10% on 0.03), b (uniform: 60, 40% on 0.03), c, d; seeds 0-2."""
    for cell, final, share in (('a', 120.0, 0.1), ('b', 60.0, 0.4), ('c', 60.0, 0.4), ('d', 50.0, 0.5)):
        for seed in (0, 1, 2):
            rows = [
                [i, final + seed, 1e-4, 1e-3, 0.03, (1 - share) / 2, (1 - share) / 2, share] for i in range(40)
            ]
            key = f'claim1_cartpole_dqn/{cell}/seed_{seed}'
            settings = {'seed': seed, 'finished': True, 'method': cell}
            columns = ['iteration', 'train_return', 'rate_0', 'rate_1', 'rate_2', 'share_0', 'share_1', 'share_2']
            run_archive.write_record(str(root), run_archive.make_record(key, {'seed': seed}, settings, columns, rows))


def test_the_command_runs_both_stages_on_archived_runs(tmp_path):
    plan = tmp_path / 'plan.toml'
    archive_report_runs(tmp_path / 'report')
    plan.write_text(PLAN.replace('REPORT_ARCHIVE', str(tmp_path / 'report')))
    information = tmp_path / 'information'
    archive_information_runs(information, [0.0, 8.0, 0.0])
    sweeps, out = tmp_path / 'sweeps', tmp_path / 'out'
    common = [f'--plan={plan}', f'--information_archive={information}', f'--out={out}', f'--sweep_dir={sweeps}']
    first = run_cli('lrrl.select_default', '--stage=1', '--permutations=99', *common)
    assert first.returncode == 0, first.stderr[-3000:]
    # The guarded signal equals the unguarded one (no probe, no guard): counted once.
    assert 'counted once' in first.stdout
    text = (out / 'stage1.md').read_text()
    assert '## Finalists (stage 2)' in text and 'exp3_alpha0.3+return_level+k0.01' in text
    sweep_text = (sweeps / 'selection_stage2_cartpole.toml').read_text()
    assert '"exp3_alpha0.3+return_level+k0.01"' in sweep_text and 'UniformBandit' not in sweep_text
    from lrrl.sweeps import spec

    (axis,) = spec.load_sweep(str(sweeps / 'selection_stage2_cartpole.toml')).axes
    # The bandit that locks onto an arm with alpha 30 on noise is not a finalist.
    assert [c.label for c in axis.choices] == ['exp3_alpha0.3+return_level+k0.01']
    # Stage 2 on the finalist's (archived) runs: 70 against uniform's mean 51, random ~22.
    stage2 = tmp_path / 'stage2'
    for seed in (100, 101, 102):
        key = f'selection_stage2_cartpole/exp3_alpha0.3+return_level+k0.01/seed_{seed}'
        settings = {'seed': seed, 'finished': True, 'method': 'exp3_alpha0.3+return_level+k0.01'}
        run_archive.write_record(
            str(stage2),
            run_archive.make_record(key, {'seed': seed}, settings, ['iteration', 'train_return'], [[i, 70.0] for i in range(40)]),
        )
    second = run_cli('lrrl.select_default', '--stage=2', f'--stage2_archive={stage2}', *common)
    assert second.returncode == 0, second.stderr[-3000:]
    assert 'Chosen: exp3_alpha0.3+return_level+k0.01' in second.stdout
    table = pd.read_csv(out / 'stage2.csv')
    uniform = np.mean([50 + s % 7 for s in (100, 101, 102)])
    random = float(table['random_policy'].iloc[0])
    assert 18 < random < 26
    assert table['relative'].iloc[0] == pytest.approx((70 - random) / (uniform - random))
    assert json.loads(json.dumps(table.to_dict()))  # plain data
    # The report on the reported seeds: the targets, said met or missed.
    third = run_cli('lrrl.select_default', '--stage=report', *common)
    assert third.returncode == 0, third.stderr[-3000:]
    text = (out / 'report.md').read_text()
    assert 'cartpole: final return relative to uniform' in text and 'above 1 (met)' in text
    assert 'mean training return over the last 25% of the iterations' in text
    # How each cell moved over the run: per quarter, its return and its share of steps per rate.
    assert '| cartpole | default | 1 | 121 | 0.0001: 0.45, 0.001: 0.45, 0.03: 0.10 |' in text
    assert '| cartpole | uniform | 4 | 61 | 0.0001: 0.30, 0.001: 0.30, 0.03: 0.40 |' in text
    assert 'share of the second half on 0.03: default 0.10, uniform 0.40' in text and '(met)' in text
    report = pd.read_csv(out / 'report.csv').set_index('role')
    assert report.loc['default', 'final_return'] == pytest.approx(121.0)
    assert report.loc['default', 'relative'] == pytest.approx((121.0 - random) / (61.0 - random), rel=1e-3)


def test_a_missed_return_target_says_what_the_seeds_could_detect(tmp_path):
    # Cells c and b end alike (60 + seed): no gain shown; 3 seeds a side cannot reach 5% at all,
    # 10 seeds a side detect a gain of about 1.3 returns (sd 1), i.e. ~1.03 of uniform's 60 - 22.
    archive = tmp_path / 'report'
    for cell in ('b', 'c', 'd'):
        for seed in range(10):
            rows = [[i, 60.0 + seed % 3, 1e-4, 1e-3, 0.03, 0.3, 0.3, 0.4] for i in range(40)]
            key = f'claim1_cartpole_dqn/{cell}/seed_{seed}'
            settings = {'seed': seed, 'finished': True, 'method': cell}
            columns = ['iteration', 'train_return', 'rate_0', 'rate_1', 'rate_2', 'share_0', 'share_1', 'share_2']
            run_archive.write_record(str(archive), run_archive.make_record(key, {'seed': seed}, settings, columns, rows))
    information = tmp_path / 'information'
    archive_information_runs(information, [0.0, 8.0, 0.0])
    out = tmp_path / 'out'
    texts = {}
    for seeds in ('[0, 1, 2]', '[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]'):
        plan = tmp_path / 'plan.toml'
        plan.write_text(
            PLAN.replace('REPORT_ARCHIVE', str(archive))
            .replace('default = "a"', 'default = "c"')
            .replace('[report]\nseeds = [0, 1, 2]', f'[report]\nseeds = {seeds}')
        )
        result = run_cli(
            'lrrl.select_default', '--stage=report', f'--plan={plan}', f'--information_archive={information}', f'--out={out}'
        )
        assert result.returncode == 0, result.stderr[-3000:]
        texts[seeds] = (out / 'report.md').read_text()
    assert 'not above 1 (missed; these seeds are too few to detect any gain)' in texts['[0, 1, 2]']
    line = next(l for l in texts['[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]'].splitlines() if 'final return relative' in l)
    detectable = float(line.split('with 80% power: ')[1].rstrip(')'))
    assert 1.0 < detectable < 1.1
