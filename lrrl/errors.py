"""The kinds of error a command reports, each with its exit code.

Every command maps these to an exit code in one place (``lrrl.cli.run``) and
prints one line, ``lrrl.<command>: error: <message>``. A message names the bad
value and what is allowed (or, for a run folder, the file and how to continue).

| exit | error           | meaning                                                        |
|------|-----------------|----------------------------------------------------------------|
| 0    |                 | done                                                           |
| 1    | ``LrrlError``   | some runs of a launch failed (each named in its own log)       |
| 2    | ``ConfigError`` | bad input: a flag, a gin binding, a sweep file, or a           |
|      |                 | configuration that does not match the run folder; nothing was |
|      |                 | created or changed                                             |
| 3    | ``RunBusy``     | another process is training in that run folder                 |
| 4    | ``Divergence``  | the network's weights became non-finite; the last checkpoint  |
|      |                 | holds finite weights                                           |
| 5    | ``RunWriteError`` | a file could not be written (disk full, permissions)         |
| 130  |                 | stopped by Ctrl-C or SIGTERM (``INTERRUPTED_EXIT_CODE``);      |
|      |                 | ``lrrl.launch`` stops the runs it started first; the same      |
|      |                 | command again resumes from the last checkpoints                |

Pure Python: the numpy control code raises ``ConfigError`` too.
"""

# A shell's code for a process stopped by SIGINT (128 + 2); SIGTERM gets it too,
# since every command stops the same way on both (``lrrl.cli.command``).
INTERRUPTED_EXIT_CODE = 130


class LrrlError(Exception):
    """Base of the errors a command reports in one line (exit code 1)."""

    exit_code = 1


class ConfigError(LrrlError, ValueError):
    """Bad input, found before anything is created or changed (exit code 2).

    A ``ValueError``, so code that checks values with the usual exception keeps working.
    """

    exit_code = 2


class RunBusy(LrrlError, RuntimeError):
    """Another process is training in this run folder (exit code 3)."""

    exit_code = 3


class Divergence(LrrlError, RuntimeError):
    """The online network's weights became non-finite (exit code 4)."""

    exit_code = 4

    def __init__(self, step, learning_rate):
        self.step = step
        self.learning_rate = learning_rate
        super().__init__(
            f'the online network diverged: its weights are not finite at agent step {step} '
            f'(learning rate in use: {learning_rate:g}). The run stopped before writing a checkpoint; '
            'the last checkpoint holds finite weights. Set lrrl.create_agent.stop_on_divergence = False '
            'to train on regardless.'
        )


class RunWriteError(LrrlError, OSError):
    """A file could not be written: disk full, permissions, a vanished folder (exit code 5)."""

    exit_code = 5
