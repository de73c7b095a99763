"""The paper's comparisons in configs/experiments/ name configs that exist and check out."""

import glob
import itertools
import os
import tomllib

import pytest

from conftest import CONFIGS

EXPERIMENTS = sorted(glob.glob(os.path.join(CONFIGS, 'experiments', '*.toml')))
PAPER_GAMES = {
    'table1_candidate_sets': {'Asteroids', 'Breakout', 'Pong', 'Seaquest'},
    'table2_schedulers': {'Breakout', 'Seaquest', 'VideoPinball', 'Asteroids'},
    'table3_optimizers': {'Asterix', 'MsPacman', 'SpaceInvaders'},
}


def cells(path):
    """(labels, gin files, bindings) of every non-game cell, and the games."""
    with open(path, 'rb') as f:
        sweep = tomllib.load(f)
    axes = dict(sweep['axes'])
    games = axes.pop('game')
    choices = [[(label, spec) for label, spec in axis.items()] for axis in axes.values()]
    for combination in itertools.product(*choices):
        files = list(sweep.get('gin_files', [])) + [f for _, spec in combination for f in spec.get('gin_files', [])]
        bindings = list(sweep.get('gin_bindings', [])) + [
            b for _, spec in combination for b in spec.get('gin_bindings', [])
        ]
        yield [label for label, _ in combination], files, bindings


def test_the_three_paper_tables_are_there_with_the_papers_games_and_five_seeds():
    names = {os.path.basename(p)[: -len('.toml')] for p in EXPERIMENTS}
    assert names >= set(PAPER_GAMES)
    for path in EXPERIMENTS:
        with open(path, 'rb') as f:
            sweep = tomllib.load(f)
        assert sweep['seeds'] == [0, 1, 2, 3, 4]
        assert set(sweep['axes']['game']['values']) == PAPER_GAMES[sweep['name']]


@pytest.mark.parametrize('path', EXPERIMENTS, ids=os.path.basename)
def test_every_cell_of_the_paper_tables_passes_the_config_checks(path):
    import gin

    from lrrl import train

    with open(path, 'rb') as f:
        games = tomllib.load(f)['axes']['game']
    count = 0
    for labels, files, bindings in cells(path):
        for game in games['values']:
            try:
                controller = train.parse_config(files, [*bindings, f"{games['binding']} = '{game}'"])
            finally:
                gin.clear_config()
            assert controller.rate > 0, labels
            count += 1
    assert count >= 12
