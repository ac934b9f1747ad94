"""Where an ECharts chart puts its legend and its plot, the same for every chart.

The legend sits in one row at the top (paged with arrows when it does not fit, instead
of wrapping onto the axis labels); the plot starts below it, with room for the axis
names (亿元, 家 …) between the two, and keeps its axis labels inside its box
(`containLabel`), so that rotated or long labels are never cut off or drawn over the
legend, at 375 px as at 1920 px.
"""

from __future__ import annotations

from typing import Any

# legend row (~24 px) + the axis names above the plot (~20 px) + a little air
PLOT_TOP = 56


def frame(**legend: Any) -> dict[str, Any]:
    """The `legend` and `grid` of a chart's option; `legend` adds to the legend's
    settings (e.g. `data=[...]`)."""
    return {
        "legend": {"type": "scroll", "top": 0, "left": "center", **legend},
        "grid": {"top": PLOT_TOP, "left": 8, "right": 8, "bottom": 8, "containLabel": True},
    }
