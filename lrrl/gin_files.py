"""The repository's gin files: where they are and how a command line parses them (no TensorFlow).

``--gin_files`` may name a file as given or relative to ``configs/``, and gin
files include each other relative to ``configs/`` (``include 'lrrl/bandit.gin'``).
Every command (training, sweeps, the numpy benchmarks, the analysis) uses these.
"""

import os

import gin

from lrrl import errors

CONFIG_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'configs')


def resolve(path):
    """A gin file as given, or else relative to the repository's configs/."""
    for candidate in (path, os.path.join(CONFIG_DIR, path)):
        if os.path.isfile(candidate):
            return os.path.abspath(candidate)
    raise errors.ConfigError(f'--gin_files={path}: no such file (looked in the current folder and in {CONFIG_DIR}).')


def parse(gin_files, gin_bindings):
    """Clears gin, then parses the files (resolved) and the bindings."""
    resolved = [resolve(path) for path in gin_files]
    gin.clear_config()
    gin.add_config_file_search_path(CONFIG_DIR)
    try:
        gin.parse_config_files_and_bindings(resolved, list(gin_bindings), skip_unknown=False)
    except (ValueError, KeyError, SyntaxError) as e:
        raise errors.ConfigError(f'Bad gin configuration: {e}') from e
