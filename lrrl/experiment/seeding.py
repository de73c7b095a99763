"""One seed for everything random in a run (Dopamine seeds nothing itself)."""

import random

import numpy as np


def seed_global_generators(seed):
    """Seeds Python's and numpy's global generators and the default TF graph.

    Call before the agent builds its graph: the graph-level seed fixes the
    initial weights and the in-graph sampling (replay batches, IQN quantiles).

    Dopamine's TF agents switch TensorFlow to graph mode in their constructor
    (``tf.compat.v1.disable_v2_behavior()`` in ``DQNAgent.__init__``). A seed
    set before that, while TensorFlow is still eager, seeds the eager context,
    not the graph the agent then builds in, and the initial weights differ from
    run to run; so the switch comes first here.
    """
    import tensorflow as tf  # pylint: disable=g-import-not-at-top

    random.seed(seed)
    np.random.seed(seed)
    tf.compat.v1.disable_v2_behavior()
    tf.compat.v1.set_random_seed(seed)


def environment_seed(seed, start_iteration=0):
    """The seed of the environment's first reset in a run started (or resumed) at ``start_iteration``.

    A resumed run continues with fresh environment randomness rather than
    replaying the episodes it started with.
    """
    return int(np.random.SeedSequence([seed, start_iteration]).generate_state(1)[0])


def seed_environment(environment, seed):
    """Seeds the environment's first reset (and so ALE's sticky actions).

    Dopamine's preprocessing wrappers call ``reset()`` without a seed; seeding
    the wrapped Gymnasium environment once makes every later reset follow.
    """
    inner = getattr(environment, 'environment', environment)
    inner.reset(seed=seed)
