"""What LRRL's default bandit is told in the second half of each stationary run.

Rebuilds the `LRRL` column of functions_table.md (configs/stationary/functions.gin:
seeds 100-109) and records every round's feedback f' = (f_n - run min) / (run max - min)
with the arm played. Prints, per function x optimizer, the mean f' of each arm over the
second half of the rounds (all seeds), and the largest arm probability at the end
(mean over seeds; 1/K = 0.25 is uniform).

  PYTHONPATH=. OMP_NUM_THREADS=1 python scripts/claim6_feedback_by_arm.py
"""

import numpy as np

from lrrl import gin_files
from lrrl.benchmarks import stationary

gin_files.parse(['stationary/functions.gin'], [])
benchmark = stationary.StationaryBenchmark()
print('function         optimizer  mean second-half feedback per arm (rates low -> high)   max p at the end')
for function in benchmark.functions:
    for optimizer in benchmark.optimizers:
        controllers = benchmark.controllers(optimizer, 'LRRL')
        records = [[] for _ in controllers]
        for record, controller in zip(records, controllers):
            signal = controller.feedback.signal

            def recording(value, arm, signal=signal, record=record):
                out = signal(value, arm)
                record.append((arm, out))
                return out

            controller.feedback.signal = recording
        stationary.optimise(function, optimizer, controllers, benchmark.starts(function), benchmark.steps)
        late = [x for record in records for x in record[len(record) // 2 :]]
        if not late:
            print(f'{function.name:16s} {optimizer:9s}  (every run diverged before the second half)')
            continue
        arms = np.array([a for a, _ in late])
        feedback = np.array([f for _, f in late])
        per_arm = '  '.join(
            f'{feedback[arms == k].mean():.3f}' if np.any(arms == k) else '  -  '
            for k in range(len(benchmark.candidate_rates[optimizer]))
        )
        max_p = np.mean([c.probabilities().max() for c in controllers])
        print(f'{function.name:16s} {optimizer:9s}  {per_arm:58s}  {max_p:.2f}')
