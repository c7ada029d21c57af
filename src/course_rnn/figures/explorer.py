"""Interactive figures that stay interactive in the online book: ``explore``.

Used by the explorers of chapters 0, 1 and 3. A chapter defines a function that draws one
figure for some values (``show_states(scale)``) and calls::

    explore(show_states, LANG, scale=Slider(0.9, 0.0, 1.5, 0.1, "scale of W_h"))

- In a running notebook (Jupyter, Colab, Binder) this is ``ipywidgets.interactive``: every
  value of the slider redraws the figure, fully live.
- When ``make execute`` stores the chapter's outputs for the book (it sets the environment
  variable ``COURSE_RNN_EXPLORERS=book``), the function is called instead for every point
  of a grid of the controls' values, each figure is kept as a PNG, and the cell's output
  is a small HTML explorer: the same controls, restricted to the grid, and the figure
  drawn for the values they show. The book's ``course-explorer.js`` (``tools/sphinx_ext``)
  switches between the figures in the browser, with no kernel; the Sphinx extension moves
  the PNGs out of the page into image files that load only when a reader selects them.
  The controls are stored ``disabled`` and the script enables them: where it does not run
  (the stored notebook opened in Jupyter, Colab or GitHub before it is run), they do not
  pretend to work.

Why not ipywidgets' own embedding (controls linked to a ``Stack`` of ``Image`` widgets in
the stored widget state)? It works, but the widget manager weighs 3.5 MB on every page
that shows a widget, the state would carry every image inside the page, and several
controls need nested stacks and one link per stack; a grid of files with a 3 kB script
keeps the pages light (see CONTRIBUTING, "Interactive figures").
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from unittest import mock

import numpy as np

ENV = "COURSE_RNN_EXPLORERS"
MODES = ("live", "book")
LANGS = ("ko", "en")
MAX_FIGURES = 400  # a grid larger than this would make the stored notebook too heavy


@dataclass
class Slider:
    """A numeric control: live, a slider from ``min`` to ``max`` by ``step``; in the book,
    the values of ``grid`` (default: every step from ``min`` to ``max``)."""

    value: float
    min: float
    max: float
    step: float
    description: str
    grid: Sequence[float] | None = None
    integer: bool = False
    fmt: str | None = None  # how the book's readout shows a value, e.g. "{:.2f}"

    def __post_init__(self):
        if not self.min <= self.value <= self.max:
            raise ValueError(f"{self.description}: value {self.value} is outside "
                             f"[{self.min}, {self.max}]")
        if self.step <= 0:
            raise ValueError(f"{self.description}: step must be positive, got {self.step}")

    def values(self) -> list:
        if self.grid is None:
            n = round(float(self.max - self.min) / self.step)
            grid = [self.min + i * self.step for i in range(n + 1)]
        else:
            grid = list(self.grid)
        digits = max(0, -int(np.floor(np.log10(self.step)))) + 2
        out = [round(float(v)) if self.integer else round(float(v), digits) for v in grid]
        bad = [v for v in out if not self.min <= v <= self.max]
        if bad:
            raise ValueError(f"{self.description}: grid values {bad} are outside "
                             f"[{self.min}, {self.max}]")
        if len(set(out)) != len(out) or out != sorted(out):
            raise ValueError(f"{self.description}: the grid must increase, got {out}")
        return out

    def label(self, value) -> str:
        if self.fmt is not None:
            return self.fmt.format(value)
        if self.integer:
            return str(int(value))
        digits = max(0, -int(np.floor(np.log10(self.step))))
        return f"{value:.{digits}f}"

    def widget(self):
        import ipywidgets as widgets

        cls = widgets.IntSlider if self.integer else widgets.FloatSlider
        return cls(value=self.value, min=self.min, max=self.max, step=self.step,
                   description=self.description)


@dataclass
class Choice:
    """A choice among ``options``: values, or ``(label, value)`` pairs; every one of them
    is in the book's grid."""

    options: Sequence
    value: object
    description: str
    pairs: list = field(init=False, repr=False)

    def __post_init__(self):
        self.pairs = [o if isinstance(o, tuple) else (str(o), o) for o in self.options]
        if self.value not in [v for _, v in self.pairs]:
            raise ValueError(f"{self.description}: value {self.value!r} is not one of the "
                             f"options {[v for _, v in self.pairs]}")

    def values(self) -> list:
        return [v for _, v in self.pairs]

    def label(self, value) -> str:
        return next(lab for lab, v in self.pairs if v == value)

    def widget(self):
        import ipywidgets as widgets

        return widgets.Dropdown(options=self.pairs, value=self.value,
                                description=self.description)


NOTE = {
    "ko": "책에는 그림 {n}장을 미리 그려 두었고, 조절한 값에 맞는 그림을 보여 줍니다. "
          "노트북을 실행하면 어떤 값이든 새로 그려 볼 수 있습니다.",
    "en": "The book shows one of {n} figures drawn in advance; run the notebook to explore "
          "any value.",
}


def mode() -> str:
    """``"live"`` (ipywidgets) unless ``COURSE_RNN_EXPLORERS=book``."""
    value = os.environ.get(ENV, "live")
    if value not in MODES:
        raise ValueError(f"{ENV} must be one of {MODES}, got {value!r}")
    return value


def capture(func: Callable, kwargs: dict, dpi: int = 100) -> bytes:
    """The PNG of the one figure that ``func(**kwargs)`` draws (its ``plt.show()`` does
    nothing here); the figure is closed."""
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    with mock.patch.object(plt, "show", lambda *args, **kw: None):
        func(**kwargs)
    figures = [plt.figure(n) for n in plt.get_fignums() if n not in before]
    try:
        if len(figures) != 1:
            raise ValueError(f"{getattr(func, '__name__', func)}({kwargs}) drew "
                             f"{len(figures)} figures; an explorer shows exactly one")
        buf = io.BytesIO()
        figures[0].savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
        return buf.getvalue()
    finally:
        for fig in figures:
            plt.close(fig)


def quantized(png: bytes, colors: int = 256) -> bytes:
    """The same picture with at most ``colors`` colours: a third of the bytes or less for
    the book's line plots and heat maps, with no visible change at 256 colours."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    small = image.quantize(colors=colors, method=Image.Quantize.MEDIANCUT,
                           dither=Image.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


def book_html(func: Callable, controls: dict, fixed: dict, lang: str,
              colors: int = 256) -> str:
    """The explorer for the book: every grid point drawn, controls as HTML inputs."""
    grids = {name: c.values() for name, c in controls.items()}
    n = int(np.prod([len(g) for g in grids.values()]))
    if n > MAX_FIGURES:
        raise ValueError(f"{n} grid points ({', '.join(f'{k}: {len(g)}' for k, g in grids.items())}"
                         f"); at most {MAX_FIGURES}: make the grid coarser")
    figures = {}
    for index in itertools.product(*(range(len(g)) for g in grids.values())):
        values = {name: grids[name][i] for name, i in zip(grids, index, strict=True)}
        png = quantized(capture(func, {**values, **fixed}), colors)
        figures[",".join(map(str, index))] = "data:image/png;base64," + \
            base64.b64encode(png).decode("ascii")
    start = [grids[name].index(_on_grid(c, grids[name])) for name, c in controls.items()]
    data = {
        "controls": [{"name": name, "description": c.description,
                      "labels": [c.label(v) for v in grids[name]]}
                     for name, c in controls.items()],
        "figures": figures,
    }
    rows = []
    for (name, c), i in zip(controls.items(), start, strict=True):
        label = html.escape(c.description)
        if isinstance(c, Choice):
            options = "".join(
                f'<option value="{k}"{" selected" if k == i else ""}>{html.escape(c.label(v))}'
                "</option>" for k, v in enumerate(grids[name]))
            field_html = f'<select data-name="{name}" disabled>{options}</select>'
        else:
            now = html.escape(c.label(grids[name][i]))
            field_html = (f'<input type="range" data-name="{name}" min="0" '
                          f'max="{len(grids[name]) - 1}" step="1" value="{i}" '
                          f'aria-valuetext="{now}" disabled>'
                          f"<output>{html.escape(c.label(grids[name][i]))}</output>")
        rows.append(f'<label class="course-explorer-control"><span>{label}</span>'
                    f"{field_html}</label>")
    key = ",".join(map(str, start))
    alt = ", ".join(f"{c.description} = {c.label(grids[name][i])}"
                    for (name, c), i in zip(controls.items(), start, strict=True))
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return (
        f'<div class="course-explorer" data-key="{key}">'
        f'<div class="course-explorer-controls">{"".join(rows)}</div>'
        f'<img class="course-explorer-figure" src="{figures[key]}" alt="{html.escape(alt)}">'
        f'<p class="course-explorer-note">{html.escape(NOTE[lang].format(n=n))}</p>'
        f'<script type="application/json" class="course-explorer-data">{payload}</script>'
        "</div>"
    )


def _on_grid(control, grid: list):
    """The grid value nearest the control's starting value."""
    if isinstance(control, Choice):
        return control.value
    return min(grid, key=lambda v: abs(v - control.value))


def explore(func: Callable, lang: str, *, colors: int = 256, **kwargs):
    """Show ``func``'s figure with a control for every ``Slider`` or ``Choice`` argument.

    Parameters
    ----------
    func : callable
        Draws one figure for keyword arguments and calls ``plt.show()``.
    lang : {"ko", "en"}
        The edition (the book's note under the figure is in its language).
    colors : int
        Colours kept in each PNG of the book's explorer (64 is enough for line plots).
    **kwargs
        ``Slider`` and ``Choice`` arguments become controls; any other value is passed
        to ``func`` as it is.

    Live (the default), displays and returns an ``ipywidgets.interactive`` widget (end
    the cell's line with ``;`` so that it is not shown twice). With
    ``COURSE_RNN_EXPLORERS=book``, displays the precomputed explorer and returns None.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    controls = {k: v for k, v in kwargs.items() if isinstance(v, (Slider, Choice))}
    fixed = {k: v for k, v in kwargs.items() if k not in controls}
    if not controls:
        raise ValueError("explore needs at least one Slider or Choice argument")
    if mode() == "book":
        from IPython.display import HTML, display

        display(HTML(book_html(func, controls, fixed, lang, colors)))
        return None
    import ipywidgets as widgets
    from IPython.display import display

    live = {k: c.widget() for k, c in controls.items()}
    widget = widgets.interactive(func, **live, **{k: widgets.fixed(v) for k, v in fixed.items()})
    display(widget)
    return widget
