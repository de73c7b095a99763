"""lrrl: LRRL (arXiv 2410.12598) on Dopamine's TF DQN and IQN agents and its JAX PPO agent.

The pins are a set that installs together with plain pip on Python 3.11 with
no GPU (see shared/spec/dopamine-notes.md for why each is where it is);
constraints.txt pins everything else they pull in.
"""

from setuptools import find_packages, setup

INSTALL_REQUIRES = [
    'dopamine-rl==4.1.2',
    # TF 2.18 with legacy Keras: Dopamine's TF agents break under Keras 3.
    'tensorflow==2.18.1',
    'tf-keras==2.18.0',
    # dopamine-rl's runner imports its JAX agents; this set imports beside TF
    # 2.18 (tfp 0.25 breaks on jax >= 0.7, TF 2.21 + jaxlib 0.4.35 aborts).
    'tensorflow-probability==0.25.0',
    'jax==0.4.35',
    'jaxlib==0.4.35',
    'flax==0.10.2',
    'gin-config==0.5.0',
    # ale-py >= 0.9 ships the Atari ROMs in its wheel.
    'ale-py==0.12.1',
    'gymnasium==1.4.0',
    'gym==0.25.2',
    'absl-py==2.5.1',
    'numpy==1.26.4',
    # pandas 2.2: rliable 1.2.0 needs arch < 8, and arch 7.2 does not import under pandas 3.
    'pandas==2.2.3',
    # Interval estimates (IQM, stratified bootstrap, probability of improvement, performance profiles).
    'rliable==1.2.0',
    'matplotlib==3.11.2',
    'opencv-python==4.11.0.86',
    'tensorboard==2.18.0',
    # SLURM job arrays for lrrl.launch --executor=slurm.
    'submitit==1.5.4',
]

setup(
    name='lrrl',
    version='0.1.0',
    description='LRRL: a bandit that picks the learning rate of a deep-RL agent from its returns',
    packages=find_packages(include=['lrrl', 'lrrl.*']),
    # Atari reference scores and the paper's reported values, read by lrrl.report.
    package_data={'lrrl': ['data/*.csv']},
    python_requires='>=3.11,<3.12',
    install_requires=INSTALL_REQUIRES,
    extras_require={
        # TensorFlow's CUDA libraries; the same configs then run on the GPU.
        'gpu': ['tensorflow[and-cuda]==2.18.1'],
        # pymab: maintained reference implementations the bandit tests cross-check against.
        'test': ['pytest==9.2.0', 'hypothesis==6.170.15', 'pymab==2.0.1'],
        # MinAtar (Young & Tian 2019), the five miniature Atari games of
        # configs/agents/*_minatar.gin (docs/minatar.md). GPL-licensed, so kept
        # out of the core install; it pulls seaborn, scipy, pandas, matplotlib.
        'minatar': ['minatar==1.0.15'],
        # MuJoCo tasks for the PPO agent, through Gymnasium (docs/ppo.md): the
        # mujoco wheel ships the simulator and the task models, nothing is
        # downloaded at run time. 3.3.7: newer releases warn about the
        # Humanoid/Ant models' settotalmass attribute on every load.
        'mujoco': ['gymnasium[mujoco]==1.4.0', 'mujoco==3.3.7'],
    },
)
