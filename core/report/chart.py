"""The weekly chart: daily focus minutes (on-task, other, distracting) as stacked bars, with
self and graded quality as lines on a second axis. A square PNG, large type for a phone.

Drawing a matplotlib figure from scratch costs well over 50 ms, most of it laying out
text (ticks, legend, labels) that is the same for every user. So one Agg figure is kept,
and its static part is drawn once per y scale and grader and saved; a chart restores
that background and draws only the bars, lines and title on it (matplotlib's blitting).
Not thread-safe: render from one thread, as the event loop does.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, MultipleLocator
from PIL import Image

from core.report.stats import Day

SIZE_PX = 1000
DPI = 100
# zlib level 1 with run-length matching: a chart is long runs of one colour, so this is
# the fastest setting and also smaller than the default (level 6) on these images.
PNG_OPTIONS = {"compress_level": 1, "compress_type": 3}  # 3: zlib's Z_RLE strategy
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
COLORS = {"on_task": "#2e7d32", "other": "#b0bec5", "distracting": "#c62828"}
SELF_COLOR, GRADED_COLOR = "#1565c0", "#ef6c00"
# The y scale in minutes and its tick step: the smallest that fits the busiest day.
SCALES: tuple[tuple[int, int], ...] = ((60, 15), (120, 30), (180, 60), (240, 60), (360, 60))
SCALES += ((480, 120), (720, 120), (960, 240), (1440, 240))
BACKGROUNDS_KEPT = 8


def _minutes_label(value: float, _position: Any = None) -> str:
    minutes = round(value)
    if minutes == 0:
        return "0"
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"


@dataclass
class _WeekChart:
    canvas: Any  # FigureCanvasAgg, whose blitting methods carry no type hints
    bars: dict[str, list[Rectangle]]
    self_line: Line2D
    graded_line: Line2D
    legend_graded: Any
    title: Any
    backgrounds: dict[tuple[tuple[int, int], str], Any] = field(default_factory=dict)

    @classmethod
    def create(cls) -> _WeekChart:
        figure = Figure(figsize=(SIZE_PX / DPI, SIZE_PX / DPI), dpi=DPI)
        canvas = FigureCanvasAgg(figure)
        figure.subplots_adjust(left=0.13, right=0.88, top=0.9, bottom=0.2)
        minutes = figure.add_subplot()
        days = list(range(len(WEEKDAYS)))
        bars = {
            name: list(
                minutes.bar(days, 0, width=0.7, color=color, animated=True, antialiased=False)
            )
            for name, color in COLORS.items()
        }
        minutes.set_xticks(days, WEEKDAYS, fontsize=20)
        minutes.yaxis.set_major_formatter(FuncFormatter(_minutes_label))
        minutes.tick_params(axis="y", labelsize=17)
        minutes.grid(axis="y", alpha=0.3)
        minutes.set_axisbelow(True)
        quality = minutes.twinx()
        quality.set_ylim(0.5, 5.5)
        quality.set_yticks([1, 2, 3, 4, 5])
        quality.tick_params(axis="y", labelsize=17)
        quality.set_ylabel("quality (1–5)", fontsize=18)
        self_line, graded_line = (
            quality.plot(days, [0.0] * 7, style, color=color, lw=4, ms=13, animated=True)[0]
            for style, color in (("o-", SELF_COLOR), ("s--", GRADED_COLOR))
        )
        handles: list[Artist] = [Patch(color=COLORS[name]) for name in COLORS]
        handles += [Line2D([], [], color=SELF_COLOR, marker="o")]
        handles += [Line2D([], [], color=GRADED_COLOR, marker="s", linestyle="--")]
        labels = ["On-task", "Other", "Distracting", "Your quality", "Graded quality"]
        legend = figure.legend(handles, labels, loc="lower center", ncol=3, fontsize=18)
        title = minutes.set_title("", fontsize=26, pad=18, animated=True)
        return cls(canvas, bars, self_line, graded_line, legend.get_texts()[-1], title)

    @property
    def axes(self) -> Axes:
        axes = self.bars["on_task"][0].axes
        assert isinstance(axes, Axes)
        return axes

    def render(self, days: Sequence[Day], title: str, grader: str) -> bytes:
        busiest = max((d.on_task + d.other + d.distracting for d in days), default=0.0)
        scale = next((s for s in SCALES if s[0] >= busiest), SCALES[-1])
        self.canvas.restore_region(self._background(scale, grader))
        self.axes.set_ylim(0, scale[0])
        floor = [0.0] * len(days)
        for name in COLORS:
            for index, (rect, day) in enumerate(zip(self.bars[name], days, strict=True)):
                height = min(getattr(day, name), scale[0] - floor[index])
                rect.set_y(floor[index])
                rect.set_height(height)
                floor[index] += height
        nan = float("nan")
        self.self_line.set_ydata([nan if d.self_quality is None else d.self_quality for d in days])
        self.graded_line.set_ydata(
            [nan if d.graded_quality is None else d.graded_quality for d in days]
        )
        self.title.set_text(title)
        for rect in (r for rects in self.bars.values() for r in rects):
            self.axes.draw_artist(rect)
        quality = self.self_line.axes
        assert quality is not None
        quality.draw_artist(self.self_line)
        quality.draw_artist(self.graded_line)
        self.axes.draw_artist(self.title)
        return _png(self.canvas)

    def _background(self, scale: tuple[int, int], grader: str) -> Any:
        """The static part for this y scale and grader, drawn on first use and kept."""
        key = (scale, grader)
        saved = self.backgrounds.get(key)
        if saved is None:
            if len(self.backgrounds) >= BACKGROUNDS_KEPT:
                self.backgrounds.pop(next(iter(self.backgrounds)))
            self.axes.set_ylim(0, scale[0])
            self.axes.yaxis.set_major_locator(MultipleLocator(scale[1]))
            self.legend_graded.set_text(f"{grader} quality")
            self.canvas.draw()
            saved = self.backgrounds[key] = self.canvas.copy_from_bbox(self.canvas.figure.bbox)
        return saved


@cache
def _chart() -> _WeekChart:
    return _WeekChart.create()


def _png(canvas: Any) -> bytes:
    width, height = canvas.get_width_height()
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba()).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="PNG", **PNG_OPTIONS)
    return out.getvalue()


def week_chart(days: Sequence[Day], *, title: str, grader: str = "AI") -> bytes:
    """A PNG of `SIZE_PX` square; `grader` names the graded-quality line (AI, Measured)."""
    return _chart().render(days, title, grader)
