"""The bandit testbed: its synthetic processes, its scores, the command end to end, the default it chose."""

import os
import shutil

import numpy as np
import pandas as pd
import pytest

from helpers import FIXTURES
from helpers import run_cli
from lrrl.benchmarks import bandit_testbed as testbed
from lrrl.control import controllers


def test_the_arms_move_the_quality_as_written():
    rng = np.random.default_rng(0)
    assert testbed._apply(testbed.Arm('learn', 0.1), 0.0, 2, rng) == pytest.approx(1 - 0.9**2)
    assert testbed._apply(testbed.Arm('destructive', 0.5), 0.8, 2, rng) == pytest.approx(0.2)
    # Sawtooth: from 0 at rate 0.5, it passes 0.95 after 5 updates and falls to 0.05.
    assert testbed._apply(testbed.Arm('sawtooth', 0.5), 0.0, 5, rng) == pytest.approx(0.05)
    assert testbed._apply(testbed.Arm('sawtooth', 0.5), 0.0, 6, rng) == pytest.approx(1 - 0.95 * 0.5)
    # Unstable at hazard 1: collapses at the first update once q > 0.
    q = testbed._apply(testbed.Arm('unstable', 0.5, 1.0), 0.9, 1, rng)
    assert q <= 0.95 * 0.2 + 1e-12


def task(name, scale=0.1):
    return next(t for t in testbed.build_tasks(('rosenbrock',), ('adam',), scale) if t.name == name)


def test_each_arm_alone_gives_the_order_the_task_promises():
    """The task's best arm is the best alone; the destructive arm ends near 0."""
    cartpole = task('cartpole_destructive', scale=1.0)
    finals = []
    for k in range(3):
        controller = testbed._FixedArm(cartpole.rates, k)
        finals.append(cartpole.simulate(controller, seed=0, fixed_arm=k)['final_quality'])
    assert int(np.argmax(finals)) == cartpole.best_arm
    assert finals[cartpole.destructive_arm] < 0.05


def test_the_simulation_drives_the_controller_as_the_agent_does():
    """No round closes before the warm-up ends; updates are counted per arm."""
    cartpole = task('cartpole_unstable', scale=0.2)
    controller = testbed.V1.controller(cartpole.rates, cartpole.round_steps, cartpole.episodic)
    controller.seed(0)
    closes = []
    close = controller._close_round

    def recording_close():
        closes.append(controller._step)
        close()

    controller._close_round = recording_close
    result = cartpole.simulate(controller, seed=0)
    assert closes and closes[0] >= testbed.WARMUP + cartpole.round_steps
    total = (cartpole.steps - testbed.WARMUP) // testbed.UPDATE_PERIOD
    assert result['updates'].sum() == pytest.approx(total, abs=1)


def test_scores_are_computed_per_seed_against_uniform_and_the_best_arm():
    runs = pd.DataFrame(
        [
            {'task': 't', 'method': m, 'seed': s, 'final_quality': q, 'updates_per_arm': u, 'second_half_per_arm': u}
            for m, s, q, u in [
                ('fixed:slow', 0, 0.2, [10, 0, 0]),
                ('fixed:good', 0, 0.8, [0, 10, 0]),
                ('fixed:destructive', 0, 0.0, [0, 0, 10]),
                ('uniform', 0, 0.4, [4, 3, 3]),
                ('x', 0, 0.6, [1, 8, 1]),
                ('fixed:slow', 1, 0.2, [10, 0, 0]),
                ('fixed:good', 1, 1.0, [0, 10, 0]),
                ('fixed:destructive', 1, 0.0, [0, 0, 10]),
                ('uniform', 1, 0.5, [3, 3, 4]),
                ('x', 1, 0.5, [0, 4, 6]),
            ]
        ]
    )
    synthetic = testbed.SyntheticTask(
        't', (('slow', None), ('good', None), ('destructive', None)), best_arm=1, destructive_arm=2, episodes='atari'
    )
    table = testbed.summarise(synthetic, runs, reps=100).set_index('method')
    assert table.loc['x', 'best_arm_share'] == pytest.approx((0.8 + 0.4) / 2)
    assert table.loc['x', 'destructive_lock_in'] == pytest.approx(0.5)  # seed 1: 6 of 10 on it
    assert table.loc['x', 'vs_best_fixed'] == pytest.approx((0.6 / 0.8 + 0.5 / 1.0) / 2)
    assert table.loc['x', 'vs_uniform'] == pytest.approx((0.6 / 0.4 + 0.5 / 0.5) / 2)
    assert table.loc['uniform', 'vs_uniform'] == pytest.approx(1.0)


def test_the_selection_rule_prefers_fewer_violations_then_quality():
    rows = []
    for method, share, p_noise, mac in (('uniform', 0.33, 0.0, 1.0), ('a', 0.9, 0.0, 1.2), ('b', 0.95, 0.3, 2.0)):
        rows.append({'task': 'cartpole_destructive', 'method': method, 'best_arm_share': share,
                     'destructive_lock_in': 0.0, 'vs_uniform': 1.5 if method != 'uniform' else 1.0})  # fmt: skip
        rows.append({'task': 'pure_noise', 'method': method, 'p_max_p_final_above_0.9': p_noise})
        rows.append({'task': 'maclaurin', 'method': method, 'vs_uniform': mac})
    scores = testbed.score_candidates(pd.DataFrame(rows))
    assert list(scores['method']) == ['a', 'b']
    assert scores.loc[1, 'violations'] == 1 and 'pure_noise' in scores.loc[1, 'failed']


@pytest.mark.parametrize(
    'gin_file, configuration', [('lrrl/bandit.gin', testbed.DEFAULT), ('lrrl/bandit_v1.gin', testbed.V1)]
)
def test_the_defaults_in_configs_are_the_benchmarks_configurations(gin_config, gin_file, configuration):
    """configs/lrrl/bandit.gin binds what the benchmarks call `lrrl_default`, bandit_v1.gin `lrrl_v1` (κ aside)."""
    from lrrl.experiment import checks

    gin_config(['agents/dqn_cartpole.gin', gin_file], ['BanditLearningRate.rates = (1e-4, 1e-3, 1e-2)'])
    from_gin = checks.check_config()
    cartpole = task('cartpole_destructive')
    from_testbed = configuration.controller(from_gin.candidates, cartpole.round_steps, cartpole.episodic)
    gin_state, testbed_state = from_gin.state_dict(), from_testbed.state_dict()
    assert gin_state['bandit']['config'] == testbed_state['bandit']['config']
    assert gin_state['feedback']['config'] == testbed_state['feedback']['config']
    for key in ('burn_in', 'feedback', 'episodes_per_round'):
        assert gin_state['config'][key] == testbed_state['config'][key], key
    # Rounds in agent steps: v1's are the share of the run they have on the testbed's tasks at full
    # scale (1%); today's default was chosen at 0.25% on real agents, where the testbed cannot run it.
    full = task('cartpole_destructive', scale=1.0)
    share = configuration.round_size * full.round_steps / full.steps
    expected = share if configuration is testbed.V1 else 0.0025
    assert gin_state['config']['round_fraction'] == pytest.approx(expected)


def test_the_paper_literal_config_is_the_first_configuration(gin_config):
    """methods/lrrl_paper_literal.gin builds what the class defaults (today's behaviour) build."""
    from lrrl.experiment import checks

    gin_config(
        ['agents/dqn.gin', 'methods/lrrl_paper_literal.gin'], ["atari_lib.create_atari_environment.game_name = 'Pong'"]
    )
    literal = checks.check_config()
    first = controllers.BanditLearningRate(rates=literal.candidates)
    assert literal.state_dict()['config'] == first.state_dict()['config']
    assert literal.bandit.config() == first.bandit.config()
    # The benchmarks' `lrrl_paper_literal` (every value explicit) builds the same, on an episodic task.
    cartpole = task('cartpole_destructive')
    named = testbed.PAPER_LITERAL.controller(literal.candidates, cartpole.round_steps, cartpole.episodic)
    assert named.state_dict()['config'] == literal.state_dict()['config']
    assert named.bandit.config() == literal.bandit.config()


def test_the_testbed_command_end_to_end_on_a_tiny_budget(tmp_path):
    out = tmp_path / 'testbed'
    bindings = [
        'BanditTestbed.num_seeds = 2',
        "BanditTestbed.configurations = ('uniform', 'lrrl_paper_literal', 'lrrl_v1')",
        "BanditTestbed.tasks = ('cartpole_destructive', 'pure_noise', 'rosenbrock_sgd')",
        "BanditTestbed.functions = ('rosenbrock',)",
        "BanditTestbed.optimizers = ('sgd',)",
        'BanditTestbed.synthetic_steps_scale = 0.1',
        'BanditTestbed.bootstrap_reps = 50',
    ]
    args = [f'--output_dir={out}'] + [f'--gin_bindings={b}' for b in bindings]
    result = run_cli('lrrl.bandit_testbed', *args, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    for name in testbed.OUTPUT_FILES:
        assert (out / name).exists(), name
    table = pd.read_csv(out / 'testbed.csv')
    assert set(table['task']) == {'cartpole_destructive', 'pure_noise', 'rosenbrock_sgd'}
    assert set(table['method']) == {'uniform', 'lrrl_paper_literal', 'lrrl_v1'}
    markdown = (out / 'testbed.md').read_text()
    assert 'Share of gradient updates on the best arm' in markdown and 'Pure noise' in markdown
    # A second run refuses to replace the results, naming them.
    again = run_cli('lrrl.bandit_testbed', *args)
    assert again.returncode == 2 and 'testbed.md' in again.stderr and '--overwrite' in again.stderr
    bad = run_cli(
        'lrrl.bandit_testbed',
        f'--output_dir={tmp_path / "bad"}',
        "--gin_bindings=BanditTestbed.configurations = ('lrrl_best',)",
    )
    assert bad.returncode == 2 and 'BanditTestbed.configurations' in bad.stderr
    assert not (tmp_path / 'bad').exists()


def test_demo_check_reads_an_old_run_folder(tmp_path):
    """The demo table from runs without per-arm step counts (the trace's episodes are used)."""
    from lrrl.analysis import demo_check

    shutil.copytree(os.path.join(FIXTURES, 'run_v0'), tmp_path / 'lrrl' / 'seed_3')
    table = demo_check.demo_table(str(tmp_path), collapsing_rate=1e-2)
    row = table[(table['method'] == 'lrrl') & (table['seed'] == 3)].iloc[0]
    trace = pd.read_csv(tmp_path / 'lrrl' / 'seed_3' / 'lr_trace.csv')
    second = trace[trace['iteration'] == 1]
    expected = second.loc[np.isclose(second['learning_rate'], 1e-2), 'length'].sum() / second['length'].sum()
    assert row['share_on_collapsing_rate_second_half'] == pytest.approx(expected)
    assert row['return_second_half'] == pytest.approx(second['return'].mean())


def test_demo_check_command_names_a_missing_runs_folder(tmp_path):
    result = run_cli('lrrl.demo_check', f'--runs={tmp_path / "none"}')
    assert result.returncode == 2 and '--runs=' in result.stderr and 'demo_check sweep' in result.stderr
