"""The round probe (rate_control.RoundProbe) only reads: a run that measures it trains as one that does not."""

import numpy as np
import pandas as pd
import pytest

AGENT_FILES = {
    'dqn': 'agents/dqn_cartpole.gin',
    'jax_dqn': 'agents/jax_dqn_cartpole.gin',
    'jax_implicit_quantile': 'agents/jax_iqn_cartpole.gin',
    'jax_rainbow': 'agents/jax_rainbow_cartpole.gin',
}
WARMUP = {
    'dqn': ['DQNAgent.min_replay_history = 100', 'WrappedReplayBuffer.batch_size = 32'],
    'jax_dqn': ['JaxDQNAgent.min_replay_history = 100', 'ReplayBuffer.batch_size = 32'],
    'jax_implicit_quantile': [
        'JaxImplicitQuantileAgent.min_replay_history = 100',
        'ReplayBuffer.batch_size = 16',
        'JaxImplicitQuantileAgent.num_tau_samples = 8',
        'JaxImplicitQuantileAgent.num_tau_prime_samples = 8',
    ],
    'jax_rainbow': ['JaxRainbowAgent.min_replay_history = 100', 'ReplayBuffer.batch_size = 32'],
}


@pytest.mark.parametrize('agent_name', sorted(AGENT_FILES))
def test_a_run_with_the_probe_trains_step_for_step_as_one_without(agent_name, tmp_path):
    from helpers import run_cli

    from lrrl import run_folder
    from lrrl.experiment import training

    bindings = [
        'BanditLearningRate.rates = (1e-4, 1e-3, 1e-2)',
        'BanditLearningRate.steps_per_round = 60',
        'Runner.num_iterations = 2',
        'Runner.training_steps = 400',
        'Runner.evaluation_steps = 0',
        'lrrl.create_agent.probe_batch_size = 64',
        *WARMUP[agent_name],
    ]
    # LRRL v1's return feedback: without record_probes the run has no probe at all (today's default
    # reads the loss, so its runs always probe).
    files = [AGENT_FILES[agent_name], 'methods/lrrl_v1.gin']
    traces = {}
    for probes in (False, True):
        run_dir = tmp_path / f'probes_{probes}'
        run_bindings = [*bindings, f'BanditLearningRate.record_probes = {probes}']
        if agent_name == 'dqn':
            # A fresh process each: TF's op seeds depend on what the process's graph already holds.
            result = run_cli(
                'lrrl.train',
                f'--base_dir={run_dir}',
                *(f'--gin_files={f}' for f in files),
                *(f'--gin_bindings={b}' for b in run_bindings),
                '--seed=4',
            )
            assert result.returncode == 0, result.stderr[-3000:]
        else:
            training.run(str(run_dir), files, run_bindings, seed=4)
        traces[probes] = (run_dir / run_folder.TRACE_FILE).read_text()
    assert traces[True] == traces[False]
    rounds = run_folder.read_rounds(str(tmp_path / 'probes_True'))
    without = run_folder.read_rounds(str(tmp_path / 'probes_False'))
    assert len(rounds) == len(without) >= 5
    pd.testing.assert_series_equal(rounds['arm'], without['arm'])
    for column in ('loss_start', 'loss_end', 'loss_frozen_end', 'q_max_start', 'q_max_end'):
        assert column in rounds.columns and column not in without.columns
        assert np.isfinite(rounds[column]).all() and (rounds[column] >= 0).all(), column
    # The probe measures a network that learns: its |Q| moves between a round's start and end.
    assert (rounds['q_max_end'] != rounds['q_max_start']).any()
