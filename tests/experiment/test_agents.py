"""The LRRL agents: the rate lives in a TF variable the controller sets."""

import json
import random

import numpy as np
import pytest

from helpers import StepRoundRecorder
from helpers import check_rounds
from helpers import extended_rounds
from helpers import run_training


AGENT_FILES = {'dqn': 'agents/dqn_cartpole.gin', 'implicit_quantile': 'agents/iqn_cartpole.gin'}


def build_agent(gin_config, agent_name, controller, bindings=()):
    """A real CartPole agent in its own graph, with a replay ready to sample."""
    import tensorflow as tf
    from dopamine.discrete_domains import gym_lib

    from lrrl.experiment import agent_factory

    gin_config([AGENT_FILES[agent_name]], ['WrappedReplayBuffer.batch_size = 32', *bindings])
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.set_random_seed(0)
        environment = gym_lib.create_gym_environment('CartPole', 'v0')
        agent = agent_factory.create_agent(
            None, environment, agent_name=agent_name, learning_rate_controller=controller
        )
    rng = np.random.default_rng(0)
    for i in range(200):
        agent._store_transition(rng.normal(size=(4, 1)), int(rng.integers(2)), float(rng.normal()), i % 50 == 49)
    return graph, agent


def online_weights(agent):
    import tensorflow as tf

    variables = agent._sess.graph.get_collection(tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES)
    online = [v for v in variables if v.name.startswith('Online')]
    assert online, [v.name for v in variables]
    return np.concatenate([w.ravel() for w in agent._sess.run(online)])


def weight_change(gin_config, agent_name, rate):
    from lrrl.control import controllers

    _, agent = build_agent(gin_config, agent_name, controllers.FixedLearningRate(rate))
    before = online_weights(agent)
    agent._sess.run(agent._train_op)
    change = np.linalg.norm(online_weights(agent) - before)
    agent._sess.close()
    return change


@pytest.mark.parametrize('agent_name', ['dqn', 'implicit_quantile'])
def test_rate_zero_leaves_weights_and_larger_rate_moves_them_more(gin_config, agent_name):
    assert weight_change(gin_config, agent_name, 0.0) == 0.0
    small = weight_change(gin_config, agent_name, 1e-5)
    large = weight_change(gin_config, agent_name, 1e-2)
    assert 0.0 < small < large


@pytest.mark.parametrize('agent_name', ['dqn', 'implicit_quantile'])
def test_switching_rates_adds_no_ops_and_keeps_adam_slots(gin_config, agent_name):
    import tensorflow as tf

    from lrrl.control import controllers

    rates = (1e-4, 1e-3, 1e-2)
    controller = controllers.BanditLearningRate(rates=rates)
    controller.seed(0)
    graph, agent = build_agent(gin_config, agent_name, controller)
    agent._sess.run(agent._train_op)
    slot_names = [v.name for v in graph.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES) if 'Adam' in v.name]
    assert slot_names, 'Adam slots expected'
    ops_before = len(graph.get_operations())
    seen = set()
    for n in range(100):
        rate = agent.end_training_episode(float(n % 9))
        assert agent.get_learning_rate() == pytest.approx(rate, rel=1e-6)
        seen.add(rate)
        if n % 10 == 0:
            agent._sess.run(agent._train_op)
    assert len(graph.get_operations()) == ops_before
    assert len(seen) > 1
    slots_after = [v.name for v in graph.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES) if 'Adam' in v.name]
    assert slots_after == slot_names
    agent._sess.close()


SAVE_SCRIPT = """
import json, sys
import lrrl
sys.path.insert(0, 'tests')
from helpers import CONFIGS
import gin, numpy as np, tensorflow as tf
from dopamine.discrete_domains import gym_lib
from lrrl import controllers, gin_files
from lrrl.experiment import agent_factory
gin.add_config_file_search_path(CONFIGS)
gin.parse_config_files_and_bindings([gin_files.resolve('{agent_file}')], ['WrappedReplayBuffer.batch_size = 32'])
controller = controllers.BanditLearningRate(rates=(1e-4, 1e-3, 1e-2, 1e-1), episodes_per_round=2)
controller.seed(3)
env = gym_lib.create_gym_environment('CartPole', 'v0')
agent = agent_factory.create_agent(None, env, agent_name='{agent_name}', learning_rate_controller=controller)
mode = sys.argv[1]
ckpt = sys.argv[2]
if mode == 'save':
    for n in range(13):
        agent.end_training_episode(float(n * 7 % 5))
    bundle = agent.bundle_and_checkpoint(ckpt, 0)
    import pickle
    with open(ckpt + '/bundle.pkl', 'wb') as f:
        pickle.dump(bundle, f)
else:
    import pickle
    with open(ckpt + '/bundle.pkl', 'rb') as f:
        bundle = pickle.load(f)
    assert agent.unbundle(ckpt, 0, bundle)
result = {{'state': controller.state_dict(), 'rate': controller.rate, 'graph_rate': agent.get_learning_rate()}}
print(json.dumps(result))
"""


@pytest.mark.parametrize('agent_name', ['dqn', 'implicit_quantile'])
def test_checkpoint_restores_bandit_state_and_rate_in_a_new_process(tmp_path, agent_name):
    import subprocess
    import sys

    from helpers import REPO

    script = SAVE_SCRIPT.format(agent_file=AGENT_FILES[agent_name], agent_name=agent_name)

    def run(mode):
        result = subprocess.run(
            [sys.executable, '-c', script, mode, str(tmp_path)], capture_output=True, text=True, cwd=REPO, timeout=300
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return json.loads(result.stdout.strip().splitlines()[-1])

    saved = run('save')
    restored = run('load')
    assert restored['state'] == saved['state']
    assert restored['rate'] == saved['rate']
    assert restored['graph_rate'] == pytest.approx(saved['rate'], rel=1e-6)
    # The restored run's first draw was not the saved rate by construction of
    # the seed alone: the state came from the checkpoint.
    assert saved['state']['bandit']['weights'] != [0.0, 0.0, 0.0, 0.0]


CLASSIC_CONTROL = {
    'agents/dqn_cartpole.gin': ('CartPole', 'v0'),
    'agents/iqn_cartpole.gin': ('CartPole', 'v0'),
    'agents/dqn_acrobot.gin': ('Acrobot', 'v1'),
    'agents/iqn_acrobot.gin': ('Acrobot', 'v1'),
}


@pytest.mark.parametrize('agent_file', sorted(CLASSIC_CONTROL))
def test_classic_control_configs_build_an_agent_that_trains(gin_config, agent_file):
    import tensorflow as tf
    from dopamine.discrete_domains import gym_lib

    from lrrl.experiment import agent_factory
    from lrrl.experiment import checks

    gin_config([agent_file, 'methods/lrrl_k5.gin'])
    controller = checks.check_config()
    with tf.Graph().as_default():
        environment = gym_lib.create_gym_environment(*CLASSIC_CONTROL[agent_file])
        agent = agent_factory.create_agent(None, environment, learning_rate_controller=controller)
        observation = environment.reset()
        action = agent.begin_episode(observation)
        assert 0 <= action < environment.action_space.n
        assert agent.get_learning_rate() == pytest.approx(controller.rate, rel=1e-6)
        agent._sess.close()


@pytest.mark.parametrize('agent_name', ['dqn', 'implicit_quantile'])
def test_a_schedule_reaches_the_graph_every_update_period(gin_config, agent_name):
    from lrrl.control import controllers
    from lrrl.control import schedules

    schedule = schedules.ExponentialDecay(1e-2, 1e-2)
    graph, agent = build_agent(
        gin_config, agent_name, controllers.ScheduledLearningRate(schedule, rate_update_period=10)
    )
    ops_before = len(graph.get_operations())
    for step in range(1, 36):
        agent._train_step()
        last_update = (step - 1) // 10 * 10
        assert agent.get_learning_rate() == pytest.approx(schedule(last_update), rel=1e-6), step
    assert agent.training_steps == 35
    assert len(graph.get_operations()) == ops_before
    agent._sess.close()


def test_a_controller_reseeded_after_the_graph_was_built_gets_its_rate_applied(gin_config):
    """The runner seeds the controller after the agent exists; training uses the seeded arm."""
    from lrrl.control import controllers

    controller = controllers.BanditLearningRate(rates=(1e-4, 1e-3, 1e-2, 1e-1))
    _, agent = build_agent(gin_config, 'dqn', controller)
    built_with = agent.get_learning_rate()
    seed = next(s for s in range(100) if (controller.seed(s), controller.rate)[1] != pytest.approx(built_with))
    assert controller.rate != pytest.approx(agent.get_learning_rate()), seed
    agent._train_step()
    assert agent.get_learning_rate() == pytest.approx(controller.rate, rel=1e-6)
    agent._sess.close()


@pytest.mark.parametrize('agent_name, kappa', [('dqn', 60), ('implicit_quantile', 60), ('dqn', 7)])
def test_rounds_in_agent_steps_on_a_real_agent(gin_config, agent_name, kappa):
    """Rounds close κ steps apart (later only at an episode end), never before the first gradient update.

    κ = 7 is shorter than CartPole's episodes: most rounds see no episode end and extend.
    """
    import tensorflow as tf
    from dopamine.discrete_domains import gym_lib

    from lrrl.experiment import agent_factory

    warmup = 150
    gin_config(
        [AGENT_FILES[agent_name]],
        [
            f'DQNAgent.min_replay_history = {warmup}',
            f'RainbowAgent.min_replay_history = {warmup}',
            'WrappedReplayBuffer.batch_size = 8',
            'WrappedPrioritizedReplayBuffer.batch_size = 8',
        ],
    )
    controller = StepRoundRecorder.build(kappa)
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(0)
        environment = gym_lib.create_gym_environment('CartPole', 'v0')
        # Seeded (the environment, Dopamine's epsilon-greedy draws): episode lengths, and so
        # whether a 60-step round sees an episode end, are the same on every run.
        environment.environment.reset(seed=0)
        random.seed(0)
        np.random.seed(0)
        agent = agent_factory.create_agent(
            None, environment, agent_name=agent_name, learning_rate_controller=controller
        )
        ops_before = len(agent._sess.graph.get_operations())
        beta1_power = agent.optimizer._get_beta_accumulators()[0]
        episode_ends = run_training(agent, environment, 700)
        updates = round(np.log(agent._sess.run(beta1_power)) / np.log(0.9)) - 1
        assert len(agent._sess.graph.get_operations()) == ops_before
        agent._sess.close()
    check_rounds(controller, episode_ends, kappa, updates, total_steps=700, warmup=warmup, update_period=4)
    assert any(extended_rounds(controller, kappa)) == (kappa == 7)


def test_the_round_probe_is_dopamines_own_td_loss_on_its_batch(gin_config):
    """The probe's TD loss equals the loss Dopamine's DQN graph computes for the same transitions.

    Dopamine's target op (``_build_target_q_op``) and its Q-values of the replayed states are
    evaluated with the replay's tensors fed the probe's batch; its loss is Huber (δ = 1), as the
    probe's. Drawing and measuring the probe neither touches Dopamine's random state nor adds ops
    to the graph.
    """
    import tensorflow as tf

    from lrrl.control import bandits
    from lrrl.control import controllers

    controller = controllers.BanditLearningRate(
        rates=(1e-4, 1e-3), bandit=bandits.UniformBandit, steps_per_round=50, record_probes=True
    )
    # The replay's tensors have the batch size of the replay (build_agent: 32).
    graph, agent = build_agent(gin_config, 'dqn', controller, ['lrrl.create_agent.probe_batch_size = 32'])
    for _ in range(5):
        agent._sess.run(agent._train_op)  # move the online network away from the target network
    agent._round_probe.seed(0)
    ops_before = len(graph.get_operations())
    numpy_state = np.random.get_state()
    start = agent._round_probe.redraw()
    assert len(graph.get_operations()) == ops_before
    # Dopamine's replay samples with numpy's global generator: the probe draws with its own.
    after = np.random.get_state()
    np.testing.assert_array_equal(after[1], numpy_state[1])
    assert after[2] == numpy_state[2]
    states, actions, rewards, next_states, terminals, frozen = agent._round_probe._batch
    assert states.shape[0] == 32 and np.isfinite(start.loss) and start.loss == start.loss_frozen
    with graph.as_default():
        target = agent._build_target_q_op()  # Dopamine's own, on the replay's tensors
        replay = agent._replay
        chosen = tf.reduce_sum(
            agent._replay_net_outputs.q_values * tf.one_hot(replay.actions, agent.num_actions), axis=1
        )
        loss = tf.reduce_mean(tf.compat.v1.losses.huber_loss(target, chosen, reduction=tf.compat.v1.losses.Reduction.NONE))
        feed = {
            replay.states: states,
            replay.actions: actions,
            replay.rewards: rewards,
            replay.next_states: next_states,
            replay.terminals: terminals,
        }
        dopamine_target, dopamine_loss = agent._sess.run([target, loss], feed)
    np.testing.assert_allclose(frozen, dopamine_target, rtol=1e-5, atol=1e-6)
    assert start.loss == pytest.approx(float(dopamine_loss), rel=1e-5)
    # The same batch, measured again after an update: a new loss, the same frozen targets.
    agent._sess.run(agent._train_op)
    end = agent._round_probe.measure()
    assert end.loss != start.loss
    np.testing.assert_array_equal(agent._round_probe._batch[5], frozen)
    agent._sess.close()


def test_the_iqn_round_probe_measures_its_quantile_mean_q_values(gin_config):
    from lrrl.control import bandits
    from lrrl.control import controllers

    controller = controllers.BanditLearningRate(
        rates=(1e-4, 1e-3), bandit=bandits.UniformBandit, steps_per_round=50, record_probes=True
    )
    _, agent = build_agent(gin_config, 'implicit_quantile', controller, ['lrrl.create_agent.probe_batch_size = 32'])
    agent._round_probe.seed(0)
    start = agent._round_probe.redraw()
    assert np.isfinite(start.loss) and start.q_max > 0
    q_values, next_max = agent._probe_q_values(agent._round_probe._batch[0], agent._round_probe._batch[3])
    assert q_values.shape == (32, agent.num_actions) and next_max.shape == (32,)
    agent._sess.close()
