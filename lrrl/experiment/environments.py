"""MinAtar's five miniature Atari games for Dopamine's TF runner (docs/minatar.md).

MinAtar (Young & Tian 2019, arXiv 1903.03176; ``pip install -e '.[minatar]'``)
plays Asterix, Breakout, Freeway, Seaquest and Space Invaders on a 10x10 grid
with one binary channel per kind of object. ``create_minatar_environment``
gives Dopamine's runner what its Atari and Gym wrappers give it: a ``reset()``
that returns the first observation, ``step(action)`` returning ``(observation,
raw reward, terminal, info)``, ``game_over`` and ``action_space.n``.

- Sticky actions (Machado et al. 2018) with probability 0.25 by default, drawn
  by MinAtar itself (``minatar.Environment.act``). MinAtar's own default is
  0.1; Dopamine's ``dopamine/labs/environments/minatar`` wrapper, with
  ``sticky_actions=True``, adds its own 0.25 on top of it, seeded from the clock.
- Seeding: ``reset(seed=s)`` reseeds the game's generator, which MinAtar shares
  between the game's randomness and the sticky-action draws; the runner calls
  it once with a seed derived from ``--seed`` (``lrrl.experiment.seeding``),
  like the Gymnasium environments' first reset.
- Observations are ``uint8`` (MinAtar's are bool): a 100k-transition replay of
  Seaquest's 10x10x10 observations is 100 MB (Dopamine's JAX wrapper stores
  float64, 800 MB).
- One game is one binding, ``create_minatar_environment.game_name = 'breakout'``:
  the agent files bind the agent's observation shape to
  ``@minatar_observation_shape()``, which reads that binding (the channel count
  differs between games), so stock Dopamine agents get it the same way.

``minatar`` is GPL-licensed and an optional extra: it is imported when a game
is made, and ``require_minatar`` says how to install it.
"""

import importlib.util

import gin
import numpy as np
import tensorflow as tf

from lrrl import errors
from lrrl import validation

# MinAtar's game names (minatar/environments/<name>.py), as minatar.Environment takes them.
MINATAR_GAMES = ('asterix', 'breakout', 'freeway', 'seaquest', 'space_invaders')
# Channels of each game's 10x10xC observation (tests/experiment/test_minatar.py
# checks them against minatar's state_shape()).
MINATAR_CHANNELS = {'asterix': 4, 'breakout': 4, 'freeway': 7, 'seaquest': 10, 'space_invaders': 6}
OBSERVATION_DTYPE = np.uint8
gin.constant('lrrl.MINATAR_OBSERVATION_DTYPE', tf.as_dtype(OBSERVATION_DTYPE))
INSTALL_HINT = "pip install -e '.[minatar]'"


def require_minatar():
    """Raises ``ConfigError`` naming the extra to install if ``minatar`` is not importable."""
    if importlib.util.find_spec('minatar') is None:
        raise errors.ConfigError(
            'create_minatar_environment needs the minatar package (GPL-licensed, an optional extra of lrrl): '
            f'install it with {INSTALL_HINT} (make venv does), then run again.'
        )


def check_settings(game_name, sticky_action_prob):
    """The game and the sticky-action probability, checked before anything is created."""
    validation.require(
        game_name in MINATAR_GAMES, 'create_minatar_environment.game_name', game_name, f'one of {MINATAR_GAMES}'
    )
    validation.require(
        validation.is_real(sticky_action_prob) and 0 <= sticky_action_prob < 1,
        'create_minatar_environment.sticky_action_prob',
        sticky_action_prob,
        'a probability in [0, 1)',
    )


class MinAtarEnvironment:
    """One MinAtar game behind the interface Dopamine's runner uses.

    Args:
      game_name: one of ``MINATAR_GAMES``.
      sticky_action_prob: probability that the game repeats the previous
        executed action instead of the agent's (0 turns sticky actions off).
      difficulty_ramping: MinAtar's speed-up of some games as they go on (its default, on).
    """

    def __init__(self, game_name, sticky_action_prob=0.25, difficulty_ramping=True):
        check_settings(game_name, sticky_action_prob)
        require_minatar()
        import gymnasium  # pylint: disable=g-import-not-at-top
        import minatar  # pylint: disable=g-import-not-at-top

        self.game_name = game_name
        self._game = minatar.Environment(
            game_name, sticky_action_prob=float(sticky_action_prob), difficulty_ramping=difficulty_ramping
        )
        self.observation_shape = tuple(self._game.state_shape())
        self.observation_space = gymnasium.spaces.Box(0, 1, self.observation_shape, OBSERVATION_DTYPE)
        self.action_space = gymnasium.spaces.Discrete(self._game.num_actions())
        self.game_over = False

    @property
    def last_action(self):
        """The action the game executed last (the previous one again after a sticky repeat)."""
        return int(self._game.last_action)

    def _observation(self):
        return self._game.state().astype(OBSERVATION_DTYPE)

    def reset(self, seed=None):
        """Starts a new game; with ``seed``, first reseeds the game's and the sticky actions' generator."""
        if seed is not None:
            self._game.seed(int(seed))
        self._game.reset()
        # A new game starts from no-op, as ALE's reset does: no action sticks across games.
        self._game.last_action = 0
        self.game_over = False
        return self._observation()

    def step(self, action):
        """Plays one frame; returns (observation, raw reward, terminal, info)."""
        reward, terminal = self._game.act(int(action))
        self.game_over = bool(terminal)
        return self._observation(), float(reward), self.game_over, {}


@gin.configurable
def create_minatar_environment(game_name=None, sticky_action_prob=0.25, difficulty_ramping=True):
    """A MinAtar game for Dopamine's runner (bind ``Runner/TrainRunner.create_environment_fn`` to it)."""
    return MinAtarEnvironment(game_name, sticky_action_prob, difficulty_ramping)


@gin.configurable
def minatar_observation_shape(game_name=None):
    """The observation shape of ``game_name``; by default of the game ``create_minatar_environment`` is bound to."""
    if game_name is None:
        try:
            game_name = gin.query_parameter('create_minatar_environment.game_name')
        except ValueError:
            game_name = None
    validation.require(
        game_name in MINATAR_CHANNELS, 'create_minatar_environment.game_name', game_name, f'one of {MINATAR_GAMES}'
    )
    return (10, 10, MINATAR_CHANNELS[game_name])
