r"""The forecasting benchmark's results as a text table (chapters 7 and 8)."""

from __future__ import annotations

from course_rnn.forecast.rows import ROW_LABELS


def format_table(results: dict, lang: str = "en", times: bool = False) -> str:
    r"""The rows as a text table: ours, published, ours / published (and seconds).

    .. math::

        \text{ratio} = \mathrm{MSE}_\text{ours} / \mathrm{MSE}_\text{published}

    ``results``: key -> RowResult. Seconds depend on the machine: print them only in cells
    whose output is not compared (``times=True``). Taught in chapters 7 and 8.
    """
    if lang not in ("ko", "en"):
        raise ValueError(f"lang must be 'ko' or 'en', got {lang!r}")
    head = {"ko": ("모델", "우리 MSE", "발표된 MSE", "비율", "초"),
            "en": ("model", "our MSE", "published", "ratio", "s")}[lang]
    width = max(len(ROW_LABELS[k][lang]) for k in results) + 2
    lines = [f"{head[0]:<{width}}{head[1]:>10}{head[2]:>12}{head[3]:>8}"
             + (f"{head[4]:>8}" if times else "")]
    for key, r in results.items():
        line = (f"{ROW_LABELS[key][lang]:<{width}}{r.mse:>10.4f}{r.published:>12.4f}"
                f"{r.ratio:>8.2f}")
        lines.append(line + (f"{r.seconds:>8.1f}" if times else ""))
    return "\n".join(lines)
