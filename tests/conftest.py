"""Shared helpers: real Dopamine agents built from the repository's gin files."""

import os
import subprocess
import sys

import pytest

import lrrl  # noqa: F401  (compatibility fixes before TensorFlow)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = os.path.join(REPO, 'configs')


def run_cli(module, *args, timeout=900):
    """Runs ``python -m module args`` in a fresh process; returns the result."""
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    return subprocess.run(
        [sys.executable, '-m', module, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env=env,
    )


@pytest.fixture
def gin_config():
    """Parses gin files/bindings for one test and clears them afterwards."""
    import gin

    from lrrl import train

    def parse(files, bindings=()):
        gin.clear_config()
        gin.add_config_file_search_path(CONFIGS)
        gin.parse_config_files_and_bindings([train.resolve_gin_file(f) for f in files], list(bindings))

    yield parse
    gin.clear_config()
