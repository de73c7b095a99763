"""The method configs build what they say."""

import pytest

from lrrl import bandits
from lrrl import controllers

SETS = {
    'methods/lrrl_k5.gin': (1.5625e-5, 3.125e-5, 6.25e-5, 1.25e-4, 2.5e-4),
    'methods/lrrl_lowest.gin': (1.5625e-5, 3.125e-5, 6.25e-5),
    'methods/lrrl_middle.gin': (3.125e-5, 6.25e-5, 1.25e-4),
    'methods/lrrl_highest.gin': (6.25e-5, 1.25e-4, 2.5e-4),
    'methods/lrrl_sparse.gin': (1.5625e-5, 6.25e-5, 2.5e-4),
}
PONG = "atari_lib.create_atari_environment.game_name = 'Pong'"


@pytest.mark.parametrize('method_file', sorted(SETS))
def test_candidate_sets_build_lrrl_with_its_bandit(gin_config, method_file):
    from lrrl import config_checks

    gin_config(['agents/dqn.gin', method_file], [PONG])
    controller = config_checks.check_config()
    assert isinstance(controller, controllers.BanditLearningRate)
    assert controller.candidates == SETS[method_file]
    assert isinstance(controller.bandit, bandits.Exp3Bandit)
    assert (controller.bandit.alpha, controller.bandit.decay) == (0.2, 0.9)


def test_textbook_exp3_is_selected_by_gin(gin_config):
    from lrrl import config_checks

    gin_config(['agents/iqn.gin', 'methods/lrrl_k5_classic_exp3.gin'], [PONG])
    controller = config_checks.check_config()
    assert type(controller.bandit) is bandits.ClassicExp3Bandit
    assert controller.bandit.gamma == 0.1


@pytest.mark.parametrize('agent_file, rate', [('agents/dqn.gin', 6.25e-5), ('agents/iqn.gin', 5e-5)])
def test_agent_files_alone_give_the_papers_fixed_rate(gin_config, agent_file, rate):
    from lrrl import config_checks

    gin_config([agent_file], [PONG])
    controller = config_checks.check_config()
    assert isinstance(controller, controllers.FixedLearningRate)
    assert controller.rate == rate
