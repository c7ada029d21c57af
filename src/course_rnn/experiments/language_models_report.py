"""The table of the language-model study, ``docs/language_models.md``, in both languages.

``render(results)`` writes one Markdown page: the settings, then per language and
tokenisation the count baselines and the recurrent models (perplexity on the test text,
mean ± sample standard deviation over the seeds, every seed, parameters, training tokens per
second), the truncated-BPTT window and the deep model. The chapters include the page's
parts with MyST's ``{include}``; the English text comes first, the Korean second (the
numbers are the same). Chapters 4-6.
"""

from __future__ import annotations

import numpy as np

TOKENS = {"en": {"char": "characters", "jamo": "jamo", "word": "words"},
          "ko": {"char": "글자", "jamo": "자모", "word": "단어(어절)"}}
LANG_NAME = {"en": {"en": "English", "ko": "Korean"}, "ko": {"en": "영어", "ko": "한국어"}}
WORDS = {
    "en": {
        "title": "Language models on real text: the results",
        "intro": ("Every number below is measured by `make lm` (course_rnn.experiments."
                  "language_models) on the shipped corpora: *Pride and Prejudice* for "
                  "English and the Korean LibreOffice help for Korean, each split 90/5/5 by "
                  "paragraph. Perplexity is on the test text, per character for characters "
                  "and jamo, per word for words; recurrent models give the mean ± standard "
                  "deviation over {seeds} seeds, then every seed. Tokens/s is the numpy "
                  "model's training speed on one thread, measured while the study ran two "
                  "trainings side by side on a shared machine: a rough guide to how the models "
                  "compare, not a benchmark (`make bench` times the LSTM language model "
                  "against torch side by side)."),
        "model": "model", "params": "parameters", "ppl": "test perplexity", "seeds": "seeds",
        "tps": "tokens/s", "valid": "validation", "baselines": "Count baselines",
        "recurrent": "Recurrent models",
        "window": "Truncated-BPTT window (LSTM, English characters, equal tokens read)",
        "deep": "Words: one LSTM layer against two layers with dropout "
        "and tied weights", "addk": "add-k (k = {k}), order {n}", "kn": "Kneser-Ney, order {n}",
        "layers": "{n} layer(s)", "best": "best epoch", "per": {"char": "per character",
                                                                  "word": "per word"},
    },
    "ko": {
        "title": "실제 텍스트의 언어 모델: 결과",
        "intro": ("아래 숫자는 모두 `make lm`(course_rnn.experiments.language_models)이 "
                  "함께 배포되는 말뭉치에서 잰 것이다. 영어는 《오만과 편견》, 한국어는 "
                  "LibreOffice 한국어 도움말이며, 각각 문단 단위로 90/5/5로 나눴다. "
                  "퍼플렉서티는 시험 텍스트에서 잰 값으로, 글자와 자모는 글자당, 단어는 "
                  "단어당이다. 순환 모델은 시드 {seeds}개의 평균 ± 표준편차와 시드별 값을 "
                  "적었다. 토큰/초는 numpy 모델이 스레드 1개로 학습한 속도인데, 공유 컴퓨터에서 "
                  "학습 두 개를 나란히 돌리며 쟀으므로 모델끼리 비교하는 대략의 기준일 뿐 "
                  "벤치마크는 아니다(LSTM 언어 모델을 torch와 나란히 잰 결과는 `make bench`)."),
        "model": "모델", "params": "매개변수", "ppl": "시험 퍼플렉서티", "seeds": "시드별",
        "tps": "토큰/초", "valid": "검증", "baselines": "빈도 기반 기준선",
        "recurrent": "순환 모델", "window": "절단 BPTT 창 길이(LSTM, 영어 글자, 읽은 토큰 수 동일)",
        "deep": "단어: LSTM 1층과, 드롭아웃과 가중치 공유를 쓴 2층",
        "addk": "add-k (k = {k}), {n}-그램", "kn": "Kneser-Ney, {n}-그램",
        "layers": "{n}층", "best": "최적 에폭", "per": {"char": "글자당", "word": "단어당"},
    },
}


def _model_name(name: str, row: dict, lang: str) -> str:
    w = WORDS[lang]
    parts = [row["cell"].upper(), f"H={row['H']}"]
    if row["layers"] > 1:
        parts.append(w["layers"].format(n=row["layers"]))
    if row["dropout"]:
        parts.append(f"dropout {row['dropout']}")
    if row["tie"]:
        parts.append("tied" if lang == "en" else "가중치 공유")
    if row["group"] == "window" or name == "en-char-lstm":
        parts.append(f"T={row['T']}")
    if row["lr"] != 3e-3:
        parts.append(f"lr {row['lr']:g}")
    return ", ".join(parts)


def _baseline_name(r: dict, lang: str) -> str:
    w = WORDS[lang]
    if r["kind"] == "add-k":
        unigram = (" (unigram)" if lang == "en" else " (유니그램)") if r["order"] == 1 else ""
        return w["addk"].format(k=r["k"], n=r["order"]) + unigram
    return w["kn"].format(n=r["order"])


def _recurrent_table(names, table: dict, rows: dict, lang: str) -> list[str]:
    w = WORDS[lang]
    out = [f"| {w['model']} | {w['params']} | {w['ppl']} | {w['seeds']} | {w['tps']} |",
           "|---|---:|---:|---|---:|"]
    for name in names:
        if name not in table:
            continue
        s = table[name]
        seeds = ", ".join(f"{v:.3f}" for v in s["test"])
        out.append(f"| {_model_name(name, rows[name], lang)} | {s['params']:,} | {s['mean']:.3f} ± "
                   f"{s['sd']:.3f} | {seeds} | {s['tokens_per_second']:,.0f} |")
    return out


def summary(results: dict) -> dict:
    r"""Per row: the test (and validation) perplexities of every seed, their mean and
    sample standard deviation :math:`\sqrt{\frac{1}{S-1}\sum_s (x_s - \bar x)^2}`."""
    by_row: dict = {}
    for r in results["runs"]:
        by_row.setdefault(r["row"], []).append(r)
    out = {}
    for name, runs in by_row.items():
        test = np.array([r["test"] for r in runs])
        valid = np.array([r["valid"] for r in runs])
        out[name] = {"test": test.tolist(), "mean": float(test.mean()),
                     "sd": float(test.std(ddof=1)) if len(test) > 1 else 0.0,
                     "valid_mean": float(valid.mean()), "seeds": len(runs),
                     "params": runs[0]["params"], "per": runs[0]["per"],
                     "tokens_per_second": float(np.mean([r["tokens_per_second"] for r in runs]))}
    return out


def render_lang(results: dict, lang: str) -> str:
    """The page in one language (``"en"`` or ``"ko"``)."""
    w = WORDS[lang]
    table = summary(results)
    rows = results["rows"]
    lines = [w["intro"].format(seeds=len(results["settings"]["seeds"])), ""]
    for data_lang in ("en", "ko"):
        toks = sorted({r["tokens"] for r in results["ngrams"] if r["lang"] == data_lang},
                      key=["char", "jamo", "word"].index)
        for tokens in toks:
            per = w["per"]["word" if tokens == "word" else "char"]
            lines += [f"### {LANG_NAME[lang][data_lang]}, {TOKENS[lang][tokens]} ({per})", ""]
            lines += [f"| {w['baselines']} | V | {w['valid']} | {w['ppl']} |",
                      "|---|---:|---:|---:|"]
            for r in results["ngrams"]:
                if (r["lang"], r["tokens"]) == (data_lang, tokens):
                    lines.append(f"| {_baseline_name(r, lang)} | {r['V']:,} | "
                                 f"{r['valid']:.3f} | {r['test']:.3f} |")
            names = [n for n, row in rows.items()
                     if (row["lang"], row["tokens"]) == (data_lang, tokens)
                     and row["group"] in ("cells", "tokens", "deep")]
            if any(n in table for n in names):
                lines += ["", f"**{w['recurrent']}**", ""]
                lines += _recurrent_table(names, table, rows, lang)
            lines.append("")
    window = sorted((n for n, row in rows.items() if row["group"] == "window"),
                    key=lambda n: rows[n]["T"])
    if any(n in table for n in window):
        lines += [f"### {w['window']}", ""]
        lines += _recurrent_table(window, table, rows, lang)
        lines.append("")
    return "\n".join(lines)


def render(results: dict) -> str:
    """The whole page: English, then Korean, each between ``<!-- start en -->`` and
    ``<!-- end en -->`` (``ko``) for a chapter's ``{include}`` with ``start-after`` and
    ``end-before``."""
    head = ("# " + WORDS["en"]["title"] + " / " + WORDS["ko"]["title"] + "\n\n"
            "<!-- written by `make lm` (course_rnn.experiments.language_models_report); "
            "do not edit -->\n\n")
    parts = [f"## {title}\n\n<!-- start {lang} -->\n\n{render_lang(results, lang)}\n"
             f"<!-- end {lang} -->\n"
             for lang, title in (("en", "English"), ("ko", "한국어"))]
    return head + "\n".join(parts)
