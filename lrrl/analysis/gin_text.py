"""Moved to ``lrrl.gin_text`` (the archive writer, in the core, reads gin configs as text too)."""

from lrrl.gin_text import binding_value  # noqa: F401
from lrrl.gin_text import rates_text  # noqa: F401
from lrrl.gin_text import read_gin_bindings  # noqa: F401
from lrrl.gin_text import reference_name  # noqa: F401
from lrrl.gin_text import resolve_macros  # noqa: F401
