"""Tables as text: Markdown, and numbers to a given precision (no TensorFlow, no pandas).

Every Markdown table that lrrl writes (reports, benchmarks, the testbed) is
made by ``markdown_table``.
"""

import math


def significant(value, digits=3):
    """``value`` rounded to ``digits`` significant digits (inf and nan unchanged)."""
    if not math.isfinite(value) or value == 0:
        return value
    return round(value, digits - 1 - int(math.floor(math.log10(abs(value)))))


def mean_std(mean, std, digits=3):
    """'mean ± std' to ``digits`` significant digits ('n/a' when there is no mean)."""
    if not math.isfinite(mean):
        return 'n/a'
    return f'{significant(mean, digits):.{digits}g} ± {significant(std, digits):.{digits}g}'


def markdown_table(header, rows, bold=None):
    """A Markdown table; ``bold[i]`` sets row i in bold. Cells are str()-ed, '|' escaped."""
    bold = bold or [False] * len(rows)
    lines = ['| ' + ' | '.join(str(h) for h in header) + ' |', '|' + '---|' * len(header)]
    for row, strong in zip(rows, bold):
        cells = [str(c).replace('|', '\\|') for c in row]
        if strong:
            cells = [f'**{c}**' if c else c for c in cells]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'
