"""Atomic writes: a reader sees the old file or the new one, never half of one.

Every file lrrl writes (run-folder records, tables, plots, benchmark reports)
goes through here: write a temporary file beside the target, flush it to disk,
then rename it over the target (``os.replace`` is atomic on POSIX).
"""

import json
import os


def _replace(path, write):
    """Calls ``write(temporary_path)``, then renames the temporary file to ``path``."""
    tmp = f'{path}.tmp.{os.getpid()}'
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def write_text(path, text):
    """Replaces ``path`` with ``text``."""

    def write(tmp):
        with open(tmp, 'w', newline='') as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())

    return _replace(path, write)


def write_json(path, data):
    """Replaces ``path`` with ``data`` as indented JSON."""
    return write_text(path, json.dumps(data, indent=2, default=str) + '\n')


def save_figure(figure, path, dpi=100, **kwargs):
    """Saves a matplotlib figure as PNG to ``path``; returns the path."""
    return _replace(path, lambda tmp: figure.savefig(tmp, format='png', dpi=dpi, **kwargs))
