"""course_rnn.figures.explorer and the book's side of it (tools/sphinx_ext/explorer_assets.py).

The explorers in the built pages are moved control by control in tests/browser; here, the
grid, the stored HTML, the live mode and the extraction of the images are checked alone.
"""

from __future__ import annotations

import base64
import io
import json
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_rnn.figures import explorer
from course_rnn.figures.explorer import Choice, Slider, book_html, explore

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "sphinx_ext"))
import explorer_assets  # noqa: E402


def draw(a, kind="sin", k=1):
    _, ax = plt.subplots(figsize=(2, 1.5))
    x = np.linspace(0, 6, 40)
    ax.plot(x, a * getattr(np, kind)(k * x))
    ax.set_title(f"{a} {kind}")
    plt.show()


def payload(html: str) -> dict:
    text = re.search(r'class="course-explorer-data">(.*?)</script>', html, re.S).group(1)
    return json.loads(text.replace("<\\/", "</"))


def test_slider_grid_defaults_to_every_step_and_checks_its_values():
    assert Slider(0.9, 0.0, 1.5, 0.1, "s").values() == [round(0.1 * i, 1) for i in range(16)]
    assert Slider(80, 10, 150, 10, "T", integer=True).values() == list(range(10, 151, 10))
    assert Slider(0.5, 0.05, 2.2, 0.05, "lr").label(0.5) == "0.50"
    with pytest.raises(ValueError, match=r"s: value 2 is outside \[0, 1\]"):
        Slider(2, 0, 1, 0.1, "s")
    with pytest.raises(ValueError, match=r"grid values \[3.0\] are outside"):
        Slider(1, 0, 2, 0.1, "s", grid=[0, 3]).values()
    with pytest.raises(ValueError, match="the grid must increase"):
        Slider(1, 0, 2, 0.1, "s", grid=[1, 0.5]).values()
    with pytest.raises(ValueError, match="step must be positive"):
        Slider(1, 0, 2, 0, "s")
    with pytest.raises(ValueError, match=r"value 'x' is not one of the options \['a', 'b'\]"):
        Choice(["a", "b"], "x", "c")


def test_book_html_draws_every_grid_point_and_starts_at_the_values_given():
    html = book_html(draw, {"a": Slider(1.0, 0, 2, 0.5, "amp"),
                            "kind": Choice(["sin", "cos"], "cos", "kind")},
                     {"k": 2}, "en", colors=64)
    data = payload(html)
    assert [c["labels"] for c in data["controls"]] == [["0.0", "0.5", "1.0", "1.5", "2.0"],
                                                      ["sin", "cos"]]
    assert sorted(data["figures"]) == sorted(f"{i},{j}" for i in range(5) for j in range(2))
    pngs = {k: base64.b64decode(v.split(",", 1)[1]) for k, v in data["figures"].items()}
    assert all(p.startswith(b"\x89PNG") for p in pngs.values())
    assert len(set(pngs.values())) == 10, "every grid point draws its own figure"
    for a, amp in enumerate([0.0, 0.5, 1.0, 1.5, 2.0]):  # each figure is filed under its values
        for j, kind in enumerate(["sin", "cos"]):
            drawn = explorer.quantized(explorer.capture(draw, {"a": amp, "kind": kind, "k": 2}), 64)
            assert pngs[f"{a},{j}"] == drawn, (amp, kind)
    assert 'data-key="2,1"' in html and 'value="2"' in html
    assert '<option value="1" selected>' in html
    assert 'alt="amp = 1.0, kind = cos"' in html
    assert "one of 10 figures" in html and "run the notebook to explore any value" in html
    # disabled until the book's script runs; a screen reader hears the value, not the index
    assert '<select data-name="kind" disabled>' in html
    assert 'aria-valuetext="1.0" disabled>' in html
    assert plt.get_fignums() == [], "the explorer closes the figures it drew"


def test_book_html_refuses_a_grid_too_large_and_a_function_without_one_figure():
    big = {"a": Slider(0, 0, 1000, 1, "a", integer=True)}
    with pytest.raises(ValueError, match=f"1001 grid points .* at most {explorer.MAX_FIGURES}"):
        book_html(draw, big, {}, "en")

    def two(a):
        plt.figure()
        plt.figure()
        plt.show()

    with pytest.raises(ValueError, match="drew 2 figures; an explorer shows exactly one"):
        book_html(two, {"a": Slider(0, 0, 1, 1, "a", integer=True)}, {}, "ko")
    assert plt.get_fignums() == []


def test_explore_is_live_ipywidgets_unless_the_book_mode_is_set(monkeypatch):
    import ipywidgets as widgets

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    monkeypatch.delenv(explorer.ENV, raising=False)
    live = explore(draw, "en", a=Slider(1.0, 0, 2, 0.5, "amp"),
                   kind=Choice([("sine", "sin"), ("cosine", "cos")], "sin", "kind"), k=3)
    kinds = [type(w) for w in live.children[:2]]
    assert kinds == [widgets.FloatSlider, widgets.Dropdown]
    assert live.children[0].step == 0.5 and live.children[1].label == "sine"
    assert shown == [live]
    live.children[0].value = 2.0  # the kernel redraws for any value
    assert plt.gca().get_title() == "2.0 sin"
    plt.close("all")
    monkeypatch.setenv(explorer.ENV, "book")
    assert explore(draw, "ko", a=Slider(1.0, 0, 2, 1.0, "진폭")) is None
    assert "그림 3장을 미리 그려 두었고" in shown[1].data
    monkeypatch.setenv(explorer.ENV, "static")
    with pytest.raises(ValueError, match="COURSE_RNN_EXPLORERS must be one of"):
        explore(draw, "en", a=Slider(1.0, 0, 2, 1.0, "a"))
    with pytest.raises(ValueError, match="needs at least one Slider or Choice"):
        explore(draw, "en", a=1.0)


def test_the_book_moves_the_images_into_files(tmp_path):
    html = book_html(draw, {"a": Slider(1.0, 0, 2, 1.0, "a")}, {}, "en", colors=64)
    body, n = explorer_assets.extract(html + html, tmp_path, "../../")
    assert n == 2 * (3 + 1)  # three figures and the first one shown, twice
    files = sorted((tmp_path / explorer_assets.FOLDER).iterdir())
    assert len(files) == 3, "one file per distinct figure"
    assert "data:image" not in body
    links = set(re.findall(r"\.\./\.\./_images/explorer/[0-9a-f]{32}\.png", body))
    assert {Path(u).name for u in links} == {f.name for f in files}
    data = payload(body[: len(body) // 2])
    assert all(v.startswith("../../_images/explorer/") for v in data["figures"].values())


def test_the_book_reduces_every_figure_to_256_colours(tmp_path):
    import image_weight
    from PIL import Image

    png = explorer.capture(draw, {"a": 1.0, "kind": "sin"})
    small = image_weight.reduced(png)
    assert len(small) < len(png) / 1.5
    a, b = Image.open(io.BytesIO(png)).convert("RGB"), Image.open(io.BytesIO(small))
    assert b.mode == "P" and a.size == b.size
    diff = np.abs(np.asarray(a, float) - np.asarray(b.convert("RGB"), float))
    assert diff.mean() < 1.0, "the reduced figure looks different"
    assert image_weight.reduced(small) == small, "a palette image is kept as it is"
    (tmp_path / "f.png").write_bytes(png)
    before, after = image_weight.reduce_folder(tmp_path, tmp_path / "cache")
    assert (before, after) == (len(png), len(small))
    assert (tmp_path / "f.png").read_bytes() == small
    assert oct((tmp_path / "f.png").stat().st_mode & 0o777) == "0o644"
    assert image_weight.reduce_folder(tmp_path, tmp_path / "cache") == (len(small), len(small))
