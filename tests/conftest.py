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


@pytest.fixture(scope='session')
def slurm_cluster():
    """A real one-node SLURM cluster for the session (see tests/slurm_cluster.py).

    Installs slurm-wlm and munge with apt-get where they are missing; skips,
    saying why, only where that is impossible.
    """
    import slurm_cluster as slurm_cluster_lib

    cluster = slurm_cluster_lib.SlurmCluster()
    try:
        cluster.start()
    except slurm_cluster_lib.SlurmUnavailable as e:
        print(f'\n[slurm] skipping the SLURM tests: {e}')
        cluster.stop()
        pytest.skip(f'no SLURM on this machine and it cannot be installed: {e}')
    except BaseException:
        cluster.stop()
        raise
    yield cluster
    cluster.stop()
