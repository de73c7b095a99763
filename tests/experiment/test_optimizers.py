"""AdamRel: Adam whose step counter restarts at each target-network sync."""

import numpy as np
import pytest

LR, BETA1, BETA2, EPS = 0.05, 0.9, 0.999, 1e-3


def quadratic():
    """loss(x) = sum(a x^2 + b x): gradient 2 a x + b, known in closed form."""
    rng = np.random.default_rng(0)
    return rng.uniform(0.5, 2.0, 6), rng.normal(size=6), rng.normal(size=6)


def numpy_adam(x, a, b, steps, restarts):
    """TensorFlow's Adam update in float64, with the counter t set to 0 at ``restarts``."""
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    t = 0
    path = []
    for step in range(steps):
        if step in restarts:
            t = 0
        g = 2 * a * x + b
        t += 1
        m = BETA1 * m + (1 - BETA1) * g
        v = BETA2 * v + (1 - BETA2) * g * g
        lr_t = LR * np.sqrt(1 - BETA2**t) / (1 - BETA1**t)
        x = x - lr_t * m / (np.sqrt(v) + EPS)
        path.append(x.copy())
    return np.array(path)


def tf_path(optimizer_class, x0, a, b, steps, restarts):
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.Variable(x0.astype(np.float32))
        loss = tf.reduce_sum(a.astype(np.float32) * x * x + b.astype(np.float32) * x)
        optimizer = optimizer_class(learning_rate=LR, beta1=BETA1, beta2=BETA2, epsilon=EPS)
        train = optimizer.minimize(loss)
        restart = optimizer.restart_ops() if hasattr(optimizer, 'restart_ops') else []
        moments = [optimizer.get_slot(x, 'm'), optimizer.get_slot(x, 'v')]
        with tf.compat.v1.Session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            path = []
            for step in range(steps):
                if step in restarts:
                    before = sess.run(moments)
                    sess.run(restart)
                    after = sess.run(moments)
                    for m_before, m_after in zip(before, after):
                        np.testing.assert_array_equal(m_before, m_after)  # moments are kept
                sess.run(train)
                path.append(sess.run(x))
    return np.array(path)


def test_adamrel_matches_a_numpy_adam_with_a_restarting_counter():
    from lrrl.experiment import optimizers

    x0, a, b = quadratic()
    restarts = {7, 19}
    got = tf_path(optimizers.AdamRelOptimizer, x0, a, b, 30, restarts)
    np.testing.assert_allclose(got, numpy_adam(x0, a, b, 30, restarts), rtol=2e-5, atol=1e-6)
    # The restart matters: plain Adam's path differs after the first one.
    plain = numpy_adam(x0, a, b, 30, set())
    assert np.abs(got[7:] - plain[7:]).max() > 1e-3
    np.testing.assert_allclose(got[:7], plain[:7], rtol=2e-5, atol=1e-6)


def test_without_a_sync_adamrel_is_adam():
    import tensorflow as tf

    from lrrl.experiment import optimizers

    x0, a, b = quadratic()
    np.testing.assert_array_equal(
        tf_path(optimizers.AdamRelOptimizer, x0, a, b, 25, set()),
        tf_path(tf.compat.v1.train.AdamOptimizer, x0, a, b, 25, set()),
    )


@pytest.mark.parametrize('agent_file', ['agents/dqn_cartpole.gin', 'agents/iqn_cartpole.gin'])
def test_agents_restart_adamrel_with_every_target_sync(gin_config, agent_file):
    """Through gin, the agent's sync ops reset β^t and leave the moments and weights alone."""
    import tensorflow as tf
    from dopamine.discrete_domains import gym_lib

    from lrrl.experiment import agent_factory
    from lrrl.experiment import optimizers

    gin_config([agent_file, 'optimizers/adamrel.gin'], ['WrappedReplayBuffer.batch_size = 32'])
    with tf.Graph().as_default():
        agent = agent_factory.create_agent(None, gym_lib.create_gym_environment('CartPole', 'v0'))
    assert type(agent.optimizer) is optimizers.AdamRelOptimizer
    rng = np.random.default_rng(0)
    for i in range(200):
        agent._store_transition(rng.normal(size=(4, 1)), int(rng.integers(2)), float(rng.normal()), i % 50 == 49)
    sess = agent._sess
    with sess.graph.as_default():  # TF keys Adam's beta^t variables by graph
        beta1_power, beta2_power = agent.optimizer._get_beta_accumulators()
    online = [v for v in sess.graph.get_collection('trainable_variables') if v.name.startswith('Online')]
    slots = [agent.optimizer.get_slot(v, 'm') for v in online]
    assert online and all(slot is not None for slot in slots)
    for _ in range(5):
        sess.run(agent._train_op)
    assert sess.run(beta1_power) == pytest.approx(0.9**6, rel=1e-6)
    moments = sess.run(slots)
    sess.run(agent._sync_qt_ops)
    assert sess.run([beta1_power, beta2_power]) == pytest.approx([0.9, 0.999], rel=1e-7)
    for before, after in zip(moments, sess.run(slots)):
        np.testing.assert_array_equal(before, after)
    sess.close()


def test_plain_adam_sync_leaves_the_step_counter(gin_config):
    import tensorflow as tf
    from dopamine.discrete_domains import gym_lib

    from lrrl.experiment import agent_factory

    gin_config(['agents/dqn_cartpole.gin'], ['WrappedReplayBuffer.batch_size = 32'])
    with tf.Graph().as_default():
        agent = agent_factory.create_agent(None, gym_lib.create_gym_environment('CartPole', 'v0'))
    assert isinstance(agent.optimizer, tf.compat.v1.train.AdamOptimizer)
    assert not hasattr(agent.optimizer, 'restart_ops')
    rng = np.random.default_rng(0)
    for i in range(200):
        agent._store_transition(rng.normal(size=(4, 1)), int(rng.integers(2)), float(rng.normal()), i % 50 == 49)
    for _ in range(3):
        agent._sess.run(agent._train_op)
    agent._sess.run(agent._sync_qt_ops)
    with agent._sess.graph.as_default():
        beta1_power = agent.optimizer._get_beta_accumulators()[0]
    assert agent._sess.run(beta1_power) == pytest.approx(0.9**4, rel=1e-6)
    agent._sess.close()
