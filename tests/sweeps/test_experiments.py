"""The paper's comparisons in configs/experiments/ expand into runs that pass the config checks."""

import glob
import math
import os

import pytest

from helpers import CONFIGS
from lrrl.sweeps import spec

EXPERIMENTS = sorted(glob.glob(os.path.join(CONFIGS, 'experiments', '*.toml')))
SCALE = {
    'ppo_mujoco': 100,
    'ppo_mujoco_cpu': 20,
    # Issue 28 (docs/information.md, docs/bandits.md): classic control 40 x 1,000, MinAtar Breakout 15 x 10,000.
    'information_cartpole_dqn': 40,
    'information_acrobot_dqn': 40,
    'information_minatar_dqn': 15,
    'selection_stage2_cartpole': 40,
    'selection_stage2_acrobot': 40,
    'selection_stage2_breakout': 15,
    'default_report_minatar': 15,
    # Issue 30 (docs/jax_agents.md): claim 1's CPU scale.
    'fidelity_cartpole_jax_tf': 40,
}
PAPER_GAMES = {
    'table1_candidate_sets': {'Asteroids', 'Breakout', 'Pong', 'Seaquest'},
    'table2_schedulers': {'Breakout', 'Seaquest', 'VideoPinball', 'Asteroids'},
    'table3_optimizers': {'Asterix', 'MsPacman', 'SpaceInvaders'},
}
# The same comparisons at MinAtar scale (docs/minatar.md): the paper's games MinAtar has.
MINATAR_GAMES = {
    'minatar_5m_table1_candidate_sets': {'breakout', 'seaquest', 'asterix', 'space_invaders'},
    'minatar_5m_table2_schedulers': {'breakout', 'seaquest', 'asterix', 'space_invaders'},
    'minatar_5m_table3_optimizers': {'asterix', 'space_invaders'},
}


def test_the_three_paper_tables_are_there_with_the_papers_games_and_five_seeds():
    loaded = {spec.load_sweep(path).name: spec.load_sweep(path) for path in EXPERIMENTS}
    assert set(loaded) >= set(PAPER_GAMES)
    for name, games in PAPER_GAMES.items():
        sweep = loaded[name]
        assert sweep.seeds == (0, 1, 2, 3, 4)
        game_axis = next(axis for axis in sweep.axes if axis.name == 'game')
        assert {choice.label for choice in game_axis.choices} == games
    # The launcher finds them by name.
    assert spec.find_sweep_file('table2_schedulers').endswith('experiments/table2_schedulers.toml')


def test_the_minatar_tables_say_their_scale_and_cost_and_use_the_recentred_sets():
    from lrrl.experiment import environments

    loaded = {spec.load_sweep(path).name: (spec.load_sweep(path), open(path).read()) for path in EXPERIMENTS}
    for name, games in MINATAR_GAMES.items():
        sweep, text = loaded[name]
        assert sweep.seeds == (0, 1, 2, 3, 4)
        game_axis = next(axis for axis in sweep.axes if axis.name == 'game')
        assert {choice.label for choice in game_axis.choices} == games <= set(environments.MINATAR_GAMES)
        header = text.split('\nname =')[0]
        assert '5M frames' in header and 'core-' in header and 'do not reproduce' in header
        # Every LRRL choice keeps its method file (the bandit's settings) and binds a MinAtar set.
        method_axis = next(axis for axis in sweep.axes if axis.name == 'method')
        for choice in method_axis.choices:
            if choice.label.startswith('lrrl') and choice.label != 'lrrl_scheduler_arms':
                assert any(f.startswith('methods/lrrl_') for f in choice.gin_files)
                assert any('%MINATAR_' in b for b in choice.gin_bindings)


def test_the_mujoco_comparison_has_the_five_tasks_two_methods_and_five_seeds():
    sweep = spec.load_sweep(spec.find_sweep_file('ppo_mujoco'))
    assert sweep.seeds == (0, 1, 2, 3, 4)
    axes = {axis.name: {choice.label for choice in axis.choices} for axis in sweep.axes}
    assert axes['game'] == {'HalfCheetah', 'Hopper', 'Walker2d', 'Ant', 'Humanoid'}
    assert axes['method'] == {'fixed_3e-4', 'lrrl_ppo_k5'}


@pytest.mark.parametrize('path', EXPERIMENTS, ids=os.path.basename)
def test_every_run_of_the_paper_tables_passes_the_config_checks(tmp_path, path):
    sweep = spec.load_sweep(path)
    runs = spec.expand(sweep, str(tmp_path))
    assert len(runs) == math.prod(len(axis.choices) for axis in sweep.axes) * len(sweep.seeds)
    assert len({run.base_dir for run in runs}) == len(runs)
    first_seed = [run for run in runs if run.seed == sweep.seeds[0]]
    checked, iterations = spec.validate_runs(first_seed)
    assert len(checked) == len(first_seed)
    # The paper's scale, unless shortened on the command line: 200 Atari iterations of 250k agent steps;
    # MinAtar: the MinAtar paper's 5M frames (20 iterations); MuJoCo: 100 iterations of 10k environment
    # steps; the CPU-scale PPO sweep says its own. The claims campaign (docs/claims.md) runs at CPU
    # scale: classic control 40 x 1,000 steps, MinAtar 30 x 10,000, MuJoCo (claim 8) 20 x 10,000.
    if sweep.name.startswith('claim'):
        expected = 30 if 'minatar' in sweep.name else 20 if 'mujoco' in sweep.name else 40
    else:
        expected = 20 if sweep.name.startswith('minatar') else SCALE.get(sweep.name, 200)
    assert set(iterations) == {expected}
    assert not os.listdir(tmp_path)  # checking creates nothing
