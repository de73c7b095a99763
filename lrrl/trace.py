"""``lr_trace.csv``: one row per training episode, with the rate it used.

Columns: iteration, episode (0-based over the run), agent_step (the agent's
training-step count when the episode ended), arm, learning_rate, return (raw,
unclipped), length, then p_0 .. p_{K-1}, the arm probabilities the rate was
drawn from.

Rows are written once per iteration, before that iteration's checkpoint, by
replacing the file atomically (write a temporary file, then rename), so a
killed run never leaves a half-written file. On resume the rows of iterations
that have no checkpoint are dropped, so the trace and the checkpoint agree.
"""

import csv
import io
import os

FIXED_COLUMNS = ('iteration', 'episode', 'agent_step', 'arm', 'learning_rate', 'return', 'length')
FILENAME = 'lr_trace.csv'


def columns(num_arms):
    return FIXED_COLUMNS + tuple(f'p_{k}' for k in range(num_arms))


def atomic_write_text(path, text):
    """Replaces ``path`` with ``text`` so that readers see old or new, never half."""
    tmp = f'{path}.tmp.{os.getpid()}'
    with open(tmp, 'w', newline='') as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class LearningRateTrace:
    """Appends per-episode rows to ``<run>/lr_trace.csv``."""

    def __init__(self, run_dir, num_arms):
        self.path = os.path.join(run_dir, FILENAME)
        self.columns = columns(num_arms)

    def _read_text(self):
        if not os.path.exists(self.path):
            return ''
        with open(self.path, newline='') as f:
            return f.read()

    def read_rows(self):
        text = self._read_text()
        if not text:
            return []
        return list(csv.DictReader(io.StringIO(text)))

    def append(self, rows):
        """Adds rows (dicts keyed by ``self.columns``) in one atomic replace."""
        text = self._read_text()
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=self.columns, lineterminator='\n')
        if not text:
            writer.writeheader()
        writer.writerows(rows)
        atomic_write_text(self.path, text + out.getvalue())

    def truncate(self, first_iteration):
        """Drops rows of iterations >= ``first_iteration``; returns rows kept."""
        rows = [r for r in self.read_rows() if int(r['iteration']) < first_iteration]
        if os.path.exists(self.path):
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=self.columns, lineterminator='\n')
            writer.writeheader()
            writer.writerows(rows)
            atomic_write_text(self.path, out.getvalue())
        return len(rows)
