"""Atomic writes: a reader sees the old file or the new one, never half of one.

Every file lrrl writes (run-folder records, tables, plots, benchmark reports)
goes through here: write a temporary file beside the target, flush it to disk,
then rename it over the target (``os.replace`` is atomic on POSIX).
"""

import json
import os


def _temporary(path):
    return f'{path}.tmp.{os.getpid()}'


def write_text(path, text):
    """Replaces ``path`` with ``text``."""
    tmp = _temporary(path)
    try:
        with open(tmp, 'w', newline='') as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def write_json(path, data):
    """Replaces ``path`` with ``data`` as indented JSON."""
    return write_text(path, json.dumps(data, indent=2, default=str) + '\n')


def save_figure(figure, path, dpi=100, **kwargs):
    """Saves a matplotlib figure as PNG to ``path``; returns the path."""
    tmp = _temporary(path)
    try:
        figure.savefig(tmp, format='png', dpi=dpi, **kwargs)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path
