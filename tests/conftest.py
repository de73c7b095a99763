"""Fixtures shared by the tests (plain helpers are in tests/helpers.py)."""

import os

import pytest

from helpers import CARTPOLE_LRRL
from helpers import CARTPOLE_RUN_BINDINGS
from helpers import CONFIGS
from helpers import run_cli

E2E = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'e2e')


def pytest_collection_modifyitems(items):
    """Everything under tests/e2e/ is an end-to-end test: marked slow."""
    for item in items:
        if str(item.fspath).startswith(E2E):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def clean_gin_config():
    """No test sees gin bindings another test parsed (gin's config is process-global)."""
    import gin

    yield
    gin.clear_config()


@pytest.fixture
def gin_config():
    """Parses gin files/bindings for one test and clears them afterwards."""
    import gin

    from lrrl import gin_files
    from lrrl.experiment import checks  # noqa: F401  (registers the agents and networks with gin)

    def parse(files, bindings=()):
        gin.clear_config()
        gin.add_config_file_search_path(CONFIGS)
        gin.parse_config_files_and_bindings([gin_files.resolve(f) for f in files], list(bindings))

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


# Short real CartPole runs for the analysis and report tests, made once per
# session: DQN at a fixed rate (seeds 0, 1, 2) and LRRL over three rates
# (seeds 0, 1: seed 2 is missing). Fixed seed 1 is made unfinished by removing
# its last log (and that iteration's trace rows), as if the process had died
# during its last iteration.
@pytest.fixture(scope='session')
def cartpole_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp('cartpole_runs')
    plan = [('fixed', seed, ()) for seed in (0, 1, 2)] + [('lrrl', seed, CARTPOLE_LRRL) for seed in (0, 1)]
    for method, seed, extra in plan:
        run_dir = root / method / f'seed_{seed}'
        result = run_cli('lrrl.train', f'--base_dir={run_dir}', *CARTPOLE_RUN_BINDINGS, *extra, f'--seed={seed}')
        assert result.returncode == 0, result.stderr[-4000:]
    unfinished = root / 'fixed' / 'seed_1'
    os.remove(unfinished / 'logs' / 'log_2')
    from lrrl import run_folder

    run_folder.LearningRateTrace(str(unfinished), num_arms=1).truncate(2)
    return root
