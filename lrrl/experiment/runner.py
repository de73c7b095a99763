"""Dopamine runners that feed each training episode's return to the agent's controller.

The bandit must see the game's raw score: Dopamine's agents only see clipped
rewards and life-loss pseudo-episodes, but the runner's ``_run_one_episode``
returns the raw, unclipped return of a whole game. So the feedback comes from
here, after each training episode (evaluation episodes are never reported).
The runner talks to the agent only (``lrrl.experiment.rate_control``:
``start_run``, ``end_training_episode``, ``rate_snapshot``,
``take_round_records``); the agent drives its controller.

Per iteration the runner records the rate each training episode used, how
often each arm was used (episodes, and agent steps when the controller counts
them), and the current arm probabilities: in Dopamine's
iteration statistics (its logs), in its metrics collectors (TensorBoard where
that collector is on) and in ``lr_trace.csv``; and the bandit rounds that
closed, in ``rounds.csv`` (see ``lrrl.run_folder``).
A line per iteration goes to ``runner.on_iteration`` when it is set.
"""

import time

import gin
import numpy as np
from dopamine.discrete_domains import run_experiment
from dopamine.metrics import statistics_instance

from lrrl.experiment import agent_factory
from lrrl.experiment import seeding
from lrrl import run_folder


class RateTraceRunner:
    """Mixin, before a Dopamine Runner: seeds the run, reports training returns to the agent, writes the traces.

    Args:
      base_dir: the run folder.
      create_agent_fn: Dopamine-style agent factory (default ``agent_factory.create_agent``).
      seed: seeds Python, numpy, the TF graph, the controller, the
        environment's first reset and (passed to ``create_agent_fn``) a JAX
        agent's generator.
      learning_rate_controller: if given, passed to ``create_agent_fn`` (the
        command line builds it first, to check the configuration before
        anything is created); otherwise the factory's gin binding is used.
      **kwargs: for Dopamine's Runner (usually bound in gin on ``Runner``).
    """

    def __init__(
        self, base_dir, create_agent_fn=agent_factory.create_agent, seed=0, learning_rate_controller=None, **kwargs
    ):
        self._seed = seed
        seeding.seed_global_generators(seed)

        def create_seeded_agent(sess, environment, summary_writer=None):
            extra = {} if learning_rate_controller is None else {'learning_rate_controller': learning_rate_controller}
            agent = create_agent_fn(sess, environment, summary_writer=summary_writer, seed=seed, **extra)
            # Told before Dopamine restores a checkpoint, which then replaces the
            # controller's generator state and its resolved settings with the saved ones.
            agent.start_run(self._num_iterations * self._training_steps, seed)
            return agent

        super().__init__(base_dir, create_seeded_agent, **kwargs)
        if self._max_steps_per_episode is None:
            raise ValueError(
                'Runner.max_steps_per_episode = None (episodes continued across '
                'iterations) is not supported: the controller needs whole '
                'episodes. Set it to a number of steps, e.g. 27000 on Atari.'
            )
        seeding.seed_environment(self._environment, seeding.environment_seed(seed, self._start_iteration))
        num_arms = len(self._agent.rate_snapshot().candidates)
        self._trace = run_folder.LearningRateTrace(self._base_dir, num_arms)
        self._rounds = run_folder.RoundTrace(self._base_dir)
        self._num_train_episodes = self._trace.truncate(self._start_iteration)
        self._rounds.truncate(self._start_iteration)
        self._trace_rows = []
        self._iteration = self._start_iteration
        # Called with the iteration number after each checkpoint (the training
        # library writes the run's status.json there).
        self.on_checkpoint = None
        # Called with a progress line after each iteration (the command prints it).
        self.on_iteration = None

    @property
    def start_iteration(self):
        return self._start_iteration

    @property
    def num_iterations(self):
        return self._num_iterations

    def _run_one_episode(self):
        length, episode_return = super()._run_one_episode()
        if not self._agent.eval_mode:
            self._record_training_episode(length, episode_return)
        return length, episode_return

    def _record_training_episode(self, length, episode_return):
        snapshot = self._agent.rate_snapshot()
        row = {
            'iteration': self._iteration,
            'episode': self._num_train_episodes,
            'agent_step': self._agent.training_steps,
            'arm': snapshot.arm,
            'learning_rate': snapshot.rate,
            'return': episode_return,
            'length': length,
        }
        row.update((f'p_{k}', p) for k, p in enumerate(snapshot.probabilities))
        self._trace_rows.append(row)
        self._num_train_episodes += 1
        self._agent.end_training_episode(episode_return)

    def _run_one_iteration(self, iteration):
        self._iteration = iteration
        self._trace_rows = []
        self._arm_steps_before = self._agent.rate_snapshot().arm_steps
        start = time.time()
        statistics = super()._run_one_iteration(iteration)
        statistics.update(self._learning_rate_statistics(iteration))
        self._report_progress(iteration, statistics, time.time() - start)
        return statistics

    def _learning_rate_statistics(self, iteration):
        """Adds the iteration's rate usage to the logs and the collectors."""
        rows = self._trace_rows
        snapshot = self._agent.rate_snapshot()
        num_arms = len(snapshot.candidates)
        counts = np.bincount([r['arm'] for r in rows], minlength=num_arms)
        shares = counts / max(len(rows), 1)
        probabilities = snapshot.probabilities
        rates = [r['learning_rate'] for r in rows]
        instances = [
            statistics_instance.StatisticsInstance(
                'LearningRate/MeanOverEpisodes', float(np.mean(rates)) if rates else float('nan'), iteration
            ),
            statistics_instance.StatisticsInstance('LearningRate/Current', snapshot.rate, iteration),
        ]
        for k in range(num_arms):
            instances.append(statistics_instance.StatisticsInstance(f'LearningRate/ArmShare/{k}', shares[k], iteration))
            instances.append(
                statistics_instance.StatisticsInstance(f'LearningRate/Probability/{k}', probabilities[k], iteration)
            )
        statistics = {
            'train_episode_learning_rates': rates,
            'learning_rate_arm_counts': [counts.tolist()],
            'learning_rate_probabilities': [probabilities.tolist()],
            'learning_rate_candidates': [list(snapshot.candidates)],
        }
        arm_steps = snapshot.arm_steps
        if arm_steps is not None and self._arm_steps_before is not None:
            # Agent steps on each arm in this iteration (a round in agent steps
            # can switch the rate mid-episode, which episode counts miss).
            steps = (arm_steps - self._arm_steps_before).tolist()
            statistics['learning_rate_arm_steps'] = [steps]
            for k in range(num_arms):
                instances.append(
                    statistics_instance.StatisticsInstance(
                        f'LearningRate/StepShare/{k}', steps[k] / max(sum(steps), 1), iteration
                    )
                )
        if self._has_collector_dispatcher:
            self._collector_dispatcher.write(instances)
        return statistics

    def _report_progress(self, iteration, statistics, seconds):
        rows = self._trace_rows
        returns = [r['return'] for r in rows]
        snapshot = self._agent.rate_snapshot()
        candidates = snapshot.candidates
        counts = statistics['learning_rate_arm_counts'][0]
        labels = [f'{rate:.3g}' for rate in candidates]
        if len(set(labels)) < len(labels):  # schedule arms can share a rate
            labels = [f'arm{k}={rate:.3g}' for k, rate in enumerate(candidates)]
        used = ', '.join(f'{labels[k]}x{c}' for k, c in enumerate(counts) if c)
        line = (
            f'iteration {iteration + 1}/{self._num_iterations}: '
            f'train return {np.mean(returns) if returns else float("nan"):.1f} over {len(returns)} episodes'
        )
        if statistics.get('eval_episode_returns'):  # none when Runner.evaluation_steps = 0
            line += f', eval {statistics["eval_average_return"][0]:.1f}'
        line += f' | rates used: {used or "none"}'
        if len(candidates) > 1:
            probs = ' '.join(f'{p:.2f}' for p in snapshot.probabilities)
            line += f' | p = [{probs}]'
        line += f' | {seconds:.1f} s'
        if self.on_iteration is not None:
            self.on_iteration(line)

    def _checkpoint_experiment(self, iteration):
        # Never let non-finite weights replace the last good checkpoint.
        self._agent.check_weights_finite()
        # Traces first: if the process dies between these writes and the checkpoint,
        # the resume starts from the previous checkpoint and drops this iteration's rows.
        self._trace.append(self._trace_rows)
        self._rounds.append([{'iteration': iteration, **r} for r in self._agent.take_round_records()])
        super()._checkpoint_experiment(iteration)
        if self.on_checkpoint is not None:
            self.on_checkpoint(iteration)


@gin.configurable
class LRRLRunner(RateTraceRunner, run_experiment.Runner):
    """Dopamine's train-and-evaluate Runner with learning-rate feedback."""


@gin.configurable
class LRRLTrainRunner(RateTraceRunner, run_experiment.TrainRunner):
    """Dopamine's train-only TrainRunner with learning-rate feedback."""


SCHEDULES = {'continuous_train_and_eval': LRRLRunner, 'continuous_train': LRRLTrainRunner}


@gin.configurable(module='lrrl')
def create_runner(base_dir, schedule='continuous_train_and_eval', **kwargs):
    """Dopamine's ``create_runner`` for the LRRL runners."""
    if schedule not in SCHEDULES:
        raise ValueError(
            f'lrrl.create_runner.schedule = {schedule!r} is not allowed: it must be one of {tuple(SCHEDULES)}.'
        )
    return SCHEDULES[schedule](base_dir, **kwargs)
