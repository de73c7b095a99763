"""One interface for every place a sweep's runs can train (as submitit's executors).

An executor takes the runs that still need training (``lrrl.sweeps.spec.Run``:
a run folder, gin files and bindings, a seed) and trains or submits them:

    counts = executor.launch(runs, skipped=number_already_finished)

``counts`` has ``done``, ``failed`` and ``skipped`` (and ``submitted`` for a
backend that queues runs without waiting). Every backend trains a run with
``lrrl.experiment.training.run`` on its folder, so a run resumes from its last
checkpoint wherever it lands, and the folder's lock keeps two processes off it.
Backends: ``lrrl.sweeps.local.LocalExecutor`` (subprocesses on this machine) and
``lrrl.sweeps.slurm.SlurmExecutor`` (a SLURM job array through submitit).
"""


def silent(line):
    """The default ``log``: say nothing."""
    del line


class Executor:
    """Trains (or submits) runs; see the module doc.

    ``on_run_finished``: if set, called with the folder of each run the backend
    sees finish (e.g. ``lrrl.launch`` archives it).
    """

    on_run_finished = None

    def _finished(self, run):
        if self.on_run_finished is not None:
            self.on_run_finished(run.base_dir)

    def launch(self, runs, skipped=0):
        raise NotImplementedError
