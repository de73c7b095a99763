"""LRRL: a bandit that picks a deep-RL agent's learning rate from its returns.

Reproduces and extends arXiv 2410.12598 on Dopamine's TF DQN and IQN agents.
``lrrl.control`` (bandits, controllers, schedules) is pure Python/numpy;
``lrrl.experiment`` wires it to TensorFlow and Dopamine; the sweeps, the
analysis and the benchmarks are leaves beside them (docs/architecture.md).
"""

# Must run before TensorFlow is imported anywhere (see lrrl/compat.py).
from lrrl import compat as _compat  # noqa: F401

__version__ = '0.1.0'
