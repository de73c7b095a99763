"""MinAtar games in the analysis: their own names, and scores anchored at the random policy and the best fixed rate."""

import numpy as np
import pandas as pd
import pytest

from lrrl.analysis import estimates
from lrrl.analysis import normalization


def test_minatar_games_are_named_apart_from_atari_games():
    assert normalization.minatar_game_label('space_invaders') == 'SpaceInvaders-MinAtar'
    assert normalization.minatar_game_label('Breakout-MinAtar') == 'Breakout-MinAtar'
    # Atari's human reference never applies to a MinAtar game.
    assert normalization.has_reference('Breakout') and not normalization.has_reference('Breakout-MinAtar')


def test_the_shipped_reference_scores_cover_every_minatar_game():
    from lrrl.experiment import environments

    random_scores = normalization.minatar_random_scores()
    assert set(random_scores) == {normalization.minatar_game_label(g) for g in environments.MINATAR_GAMES}
    assert all(0 <= score < 5 for score in random_scores.values())


def scores_table(rows):
    return pd.DataFrame(rows, columns=['game', 'method', 'seed', 'controller', 'max_average_return'])


def test_minatar_scores_run_from_random_to_the_best_fixed_rate():
    random_scores = normalization.minatar_random_scores()
    breakout, seaquest = random_scores['Breakout-MinAtar'], random_scores['Seaquest-MinAtar']
    rows = []
    for seed in range(3):
        rows += [
            ('Breakout-MinAtar', 'fixed_a', seed, 'FixedLearningRate', 10.0 + seed),
            ('Breakout-MinAtar', 'fixed_b', seed, 'FixedLearningRate', 4.0),
            ('Breakout-MinAtar', 'lrrl', seed, 'BanditLearningRate', 15.0),
            ('Seaquest-MinAtar', 'fixed_a', seed, 'FixedLearningRate', 20.0),
            ('Seaquest-MinAtar', 'fixed_b', seed, 'FixedLearningRate', 30.0),
            ('Seaquest-MinAtar', 'lrrl', seed, 'BanditLearningRate', 25.0),
        ]
    by_method, label, left_out = estimates.normalized_scores(scores_table(rows), 'max_average_return')
    assert estimates.MINATAR_SCALE in label and left_out == []
    # Breakout's best fixed rate has mean 11; Seaquest's is fixed_b at 30.
    np.testing.assert_allclose(by_method['lrrl']['Breakout-MinAtar'], (15 - breakout) / (11 - breakout))
    np.testing.assert_allclose(by_method['fixed_b']['Seaquest-MinAtar'], 1.0)
    np.testing.assert_allclose(by_method['lrrl']['Seaquest-MinAtar'], (25 - seaquest) / (30 - seaquest))
    assert list(by_method['lrrl']['Breakout-MinAtar'].index) == [0, 1, 2]


def test_a_minatar_game_no_fixed_rate_beats_random_on_is_left_out():
    rows = [
        ('Breakout-MinAtar', 'fixed', 0, 'FixedLearningRate', 12.0),
        ('Breakout-MinAtar', 'lrrl', 0, 'BanditLearningRate', 14.0),
        ('Seaquest-MinAtar', 'fixed', 0, 'FixedLearningRate', 0.0),
        ('Seaquest-MinAtar', 'lrrl', 0, 'BanditLearningRate', 3.0),
    ]
    by_method, _, left_out = estimates.normalized_scores(scores_table(rows), 'max_average_return')
    assert left_out == ['Seaquest-MinAtar']
    assert set(by_method['lrrl']) == {'Breakout-MinAtar'}
    assert by_method['fixed']['Breakout-MinAtar'].iloc[0] == pytest.approx(1.0)


def test_a_lone_minatar_game_no_fixed_rate_beats_random_on_stays_raw_and_says_why():
    rows = [
        ('Breakout-MinAtar', 'fixed', 0, 'FixedLearningRate', 0.2),
        ('Breakout-MinAtar', 'lrrl', 0, 'BanditLearningRate', 0.3),
    ]
    by_method, label, left_out = estimates.normalized_scores(scores_table(rows), 'max_average_return')
    assert 'raw: no fixed rate beats the random policy' in label and left_out == []
    assert by_method['lrrl']['Breakout-MinAtar'].iloc[0] == pytest.approx(0.3)
