"""The plots of ``tansaku.visualization`` drawn with matplotlib; each returns an ``Axes``.

matplotlib is imported when a plot is drawn; without it the call raises an ImportError that
names the extra to install (``pip install tansaku[visualization]``).
"""

from __future__ import annotations

from tansaku.visualization import _LAZY as _PLOTLY_LAZY
from tansaku.visualization._utils import lazy_getattr
from tansaku.visualization.matplotlib._utils import is_available

# Public name -> module of this package that defines it, imported on first use: every plotly
# plot has its matplotlib twin, in a module of the same name.
_LAZY = {name: module for name, module in _PLOTLY_LAZY.items() if name.startswith("plot_")}

__all__ = ["is_available", *_LAZY]

__getattr__ = lazy_getattr(globals(), _LAZY)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
