"""What the grader and ``check()`` say, in Korean and in English.

Used by the exercises of every chapter: each message is a template with named fields,
written natively in both languages (Korean with the terms of ``chapters/ko/glossary.md``).
``say(key, lang, **fields)`` fills one in. The hints for the classic mistakes (wrong gate
order, a missing (1 - h²), transposed weights, a state not carried) live here too, so
that an exercise only names a mistake and gets its explanation in the notebook's language.
"""

from __future__ import annotations

MESSAGES = {
    # ---- headers and summaries
    "header": {
        "en": "{qid} · {function}",
        "ko": "{qid} · {function}",
    },
    "summary_pass": {
        "en": "all {n} public tests passed ({points:g} of {total:g} points).",
        "ko": "공개 테스트 {n}개를 모두 통과했습니다 ({total:g}점 중 {points:g}점).",
    },
    "summary_fail": {
        "en": "{passed} of {n} public tests passed ({points:g} of {total:g} points).",
        "ko": "공개 테스트 {n}개 중 {passed}개를 통과했습니다 ({total:g}점 중 {points:g}점).",
    },
    "summary_pass_all": {
        "en": "all {n} tests passed, hidden ones included ({points:g} of {total:g} points).",
        "ko": "숨은 테스트를 포함한 테스트 {n}개를 모두 통과했습니다 "
        "({total:g}점 중 {points:g}점).",
    },
    "summary_fail_all": {
        "en": "{passed} of {n} tests passed, hidden ones included "
        "({points:g} of {total:g} points).",
        "ko": "숨은 테스트를 포함한 테스트 {n}개 중 {passed}개를 통과했습니다 "
        "({total:g}점 중 {points:g}점).",
    },
    "hidden_note": {
        "en": "{n} hidden test(s) worth {points:g} point(s) run when your work is graded.",
        "ko": "채점할 때 숨은 테스트 {n}개({points:g}점)가 더 실행됩니다.",
    },
    "test_label": {"en": "test {k}", "ko": "테스트 {k}"},
    "hidden_label": {"en": "hidden test {k}", "ko": "숨은 테스트 {k}"},
    "passed": {"en": "passed", "ko": "통과"},
    "failed": {"en": "failed", "ko": "실패"},
    "inputs": {"en": "inputs: {inputs}", "ko": "입력: {inputs}"},
    "hint": {"en": "hint: {text}", "ko": "힌트: {text}"},
    "unknown_question": {
        "en": "there is no question {qid!r} in this notebook (questions: {ids}).",
        "ko": "이 노트북에는 {qid!r} 문제가 없습니다 (문제: {ids}).",
    },
    # ---- what went wrong when calling the function
    "missing": {
        "en": "`{function}` is not defined: run the cell that defines it and check its name.",
        "ko": "`{function}` 함수가 정의되어 있지 않습니다. 함수를 정의한 셀을 실행했는지, "
        "이름이 맞는지 확인하세요.",
    },
    "not_callable": {
        "en": "`{function}` is a {type}, not a function.",
        "ko": "`{function}`이(가) 함수가 아니라 {type}입니다.",
    },
    "not_implemented": {
        "en": "not answered yet: `{function}` still raises NotImplementedError.",
        "ko": "아직 답을 쓰지 않았습니다. `{function}`이(가) 여전히 NotImplementedError를 "
        "일으킵니다.",
    },
    "exception": {
        "en": "`{function}` raised {type}: {message}",
        "ko": "`{function}`을(를) 실행하다가 {type} 오류가 났습니다: {message}",
    },
    "cell_line": {
        "en": "(line {line}: {code})",
        "ko": "({line}번째 줄: {code})",
    },
    "exception_where": {
        "en": "at line {line} of your cell: {code}",
        "ko": "셀의 {line}번째 줄: {code}",
    },
    "memory": {
        "en": "`{function}` ran out of memory (the limit is {limit}).",
        "ko": "`{function}`이(가) 메모리 한도({limit})를 넘었습니다.",
    },
    "timeout": {
        "en": "`{function}` did not finish within {seconds:g} s: is there an infinite loop?",
        "ko": "`{function}`이(가) {seconds:g}초 안에 끝나지 않았습니다. 무한 루프가 아닌지 "
        "확인하세요.",
    },
    "timeout_skipped": {
        "en": "not run: an earlier test of this question did not finish within {seconds:g} s.",
        "ko": "실행하지 않았습니다. 이 문제의 앞선 테스트가 {seconds:g}초 안에 끝나지 않았습니다.",
    },
    "returns_count": {
        "en": "`{function}` should return {n} values ({names}); it returned {got}.",
        "ko": "`{function}`은(는) 값 {n}개({names})를 돌려주어야 하는데 {got}개를 "
        "돌려주었습니다.",
    },
    "process_died": {
        "en": "the grader's process ended while running this test: {reason}.",
        "ko": "이 테스트를 실행하는 동안 채점 프로세스가 끝나 버렸습니다: {reason}.",
    },
    "not_run": {
        "en": "not run: {reason}.",
        "ko": "실행하지 않았습니다: {reason}.",
    },
    # ---- comparing a returned value
    "none": {
        "en": "{name}: your function returned None. Did you forget `return`?",
        "ko": "{name}: 함수가 None을 돌려주었습니다. `return`을 빠뜨리지 않았나요?",
    },
    "ellipsis": {
        "en": "{name}: still `...`: not answered yet.",
        "ko": "{name}: 아직 `...`입니다. 답을 쓰지 않았습니다.",
    },
    "tuple_for_one": {
        "en": "{name}: expected one array, got a tuple of {n} values. Return only {name}.",
        "ko": "{name}: 배열 하나를 기대했는데 값 {n}개짜리 튜플을 돌려받았습니다. "
        "{name}만 돌려주세요.",
    },
    "not_array": {
        "en": "{name}: expected an array of numbers, got {type}.",
        "ko": "{name}: 숫자 배열을 기대했는데 {type}을(를) 돌려받았습니다.",
    },
    "too_large": {
        "en": "{name}: the returned array of shape {shape} is far too large.",
        "ko": "{name}: 돌려받은 배열(모양 {shape})이 너무 큽니다.",
    },
    "shape": {
        "en": "{name}: expected shape {expected}, got {actual}.",
        "ko": "{name}: 모양이 {expected}이어야 하는데 {actual}입니다.",
    },
    "dtype": {
        "en": "{name}: expected dtype {expected}, got {actual}.",
        "ko": "{name}: dtype이 {expected}이어야 하는데 {actual}입니다.",
    },
    "dtype_values_ok": {
        "en": "the values are right; only the dtype differs (do not cast the result).",
        "ko": "값은 맞습니다. dtype만 다릅니다 (결과의 자료형을 바꾸지 마세요).",
    },
    "nonfinite": {
        "en": "{name}: contains {what} at {index} (expected {expected:.6g}).",
        "ko": "{name}: {index} 위치에 {what}이(가) 있습니다 (기댓값 {expected:.6g}).",
    },
    "values": {
        "en": "{name}: {count} of {total} entries differ; the largest error is {err:.3g} "
        "at {index}: expected {expected:.6g}, got {actual:.6g}.",
        "ko": "{name}: 원소 {total}개 중 {count}개가 다릅니다. 가장 큰 오차는 {index} 위치의 "
        "{err:.3g}입니다 (기댓값 {expected:.6g}, 실제 값 {actual:.6g}).",
    },
    # ---- gradient checks
    "grad_error": {
        "en": "{name}: relative error {rel:.2e} against the numerical gradient "
        "(it must be below {tol:.0e}).",
        "ko": "{name}: 수치 기울기와의 상대 오차가 {rel:.2e}입니다 ({tol:.0e}보다 작아야 "
        "합니다).",
    },
    "forward_wrong": {
        "en": "the forward `{function}` does not give the expected output, so the backward "
        "cannot be checked against it: fix the forward first. {detail}",
        "ko": "순전파 함수 `{function}`의 출력이 기댓값과 달라서 역전파를 검사할 수 "
        "없습니다. 순전파부터 고치세요. {detail}",
    },
    "forward_probe": {
        "en": "the forward `{function}` disagrees with the reference near the test's input "
        "(loss {got:.6g} instead of {expected:.6g} with {wrt} moved by {eps:g}).",
        "ko": "순전파 함수 `{function}`이(가) 테스트 입력 근처에서 기준 구현과 다릅니다 "
        "({wrt}을(를) {eps:g}만큼 움직였을 때 손실이 {expected:.6g}이 아니라 {got:.6g}).",
    },
    # ---- conceptual questions
    "unanswered": {
        "en": "not answered yet: set `{variable} = ...` to your answer.",
        "ko": "아직 답하지 않았습니다. `{variable} = ...`에 답을 넣으세요.",
    },
    "invalid_choice": {
        "en": "{value!r} is not one of the choices {choices}.",
        "ko": "{value!r}은(는) 보기 {choices} 가운데 하나가 아닙니다.",
    },
    "not_number": {
        "en": "`{variable}` should be a number, not {type}.",
        "ko": "`{variable}`에는 숫자를 넣어야 합니다 ({type}이(가) 아니라).",
    },
    "wrong_answer": {"en": "not the right answer.", "ko": "정답이 아닙니다."},
    "recorded": {
        "en": "your answer {value!r} is recorded; it is graded when you hand in the notebook.",
        "ko": "답 {value!r}을(를) 받았습니다. 노트북을 제출하면 채점합니다.",
    },
    # ---- generic hints
    "hint_transposed_shape": {
        "en": "the axes are swapped: is a matrix transposed, or the product written the other "
        "way round?",
        "ko": "축이 뒤바뀌어 있습니다. 행렬을 전치했거나 곱의 순서를 거꾸로 쓰지 않았나요?",
    },
    "hint_reshape": {
        "en": "the number of entries is right but the shape is not: check the order of the "
        "axes (batch first: N, T, ...).",
        "ko": "원소 개수는 맞는데 모양이 다릅니다. 축의 순서를 확인하세요 "
        "(배치가 먼저: N, T, ...).",
    },
    "hint_sign": {
        "en": "your values are the expected ones with the opposite sign.",
        "ko": "값의 부호가 기댓값과 정반대입니다.",
    },
    "hint_transposed_values": {
        "en": "your result is the transpose of the expected one.",
        "ko": "결과가 기댓값을 전치한 것과 같습니다.",
    },
    "hint_nan": {
        "en": "NaN usually comes from 0/0, log(0) or an overflow; print intermediate values.",
        "ko": "NaN은 보통 0/0, log(0), 오버플로에서 생깁니다. 중간값을 출력해 보세요.",
    },
    # ---- the classic mistakes (an exercise names them in "mistakes")
    "mistake_transposed_weights": {
        "en": "your output is what the step gives with a transposed weight matrix. In the row "
        "form of this course, h_prev (N, H) multiplies W_hh (H, H) from the left: "
        "h_prev @ W_hh, not h_prev @ W_hh.T (and x_t @ W_xh with W_xh of shape (D, H)).",
        "ko": "가중치 행렬을 전치해서 계산한 결과와 같습니다. 이 책의 행 벡터 표기에서는 "
        "h_prev (N, H)에 W_hh (H, H)를 오른쪽에서 곱합니다. h_prev @ W_hh.T가 아니라 "
        "h_prev @ W_hh입니다 (x_t @ W_xh의 W_xh도 모양이 (D, H)입니다).",
    },
    "mistake_state_not_carried": {
        "en": "your output is what you get when every time step starts again from h0: the "
        "hidden state is not carried. Use the h computed at step t - 1 as h_prev of step t.",
        "ko": "모든 시간 단계가 h0에서 다시 시작할 때의 결과와 같습니다. 은닉 상태가 다음 "
        "단계로 전달되지 않았습니다. t - 1 단계에서 계산한 h를 t 단계의 h_prev로 쓰세요.",
    },
    "mistake_missing_tanh_derivative": {
        "en": "your gradient is what you get without the factor (1 - h²): the derivative of "
        "tanh is 1 - tanh(a)² = 1 - h_t², applied to dh before the matrix products.",
        "ko": "(1 - h²) 인수를 빠뜨렸을 때의 기울기와 같습니다. tanh의 도함수는 "
        "1 - tanh(a)² = 1 - h_t²이고, 행렬 곱보다 먼저 dh에 곱해야 합니다.",
    },
    "mistake_gate_order": {
        "en": "your output is what the gates give in another order. The course fuses the gates "
        "in PyTorch's order i, f, g, o (input, forget, cell candidate, output).",
        "ko": "게이트의 순서를 바꾸었을 때의 결과와 같습니다. 이 책은 게이트를 PyTorch와 같은 "
        "i, f, g, o 순서(입력 게이트, 망각 게이트, 셀 후보, 출력 게이트)로 묶습니다.",
    },
    "mistake_missing_tanh": {
        "en": "your output is the pre-activation a_t: the tanh is missing.",
        "ko": "결과가 활성화 전의 값 a_t와 같습니다. tanh를 빠뜨렸습니다.",
    },
    "mistake_missing_bias": {
        "en": "your output is what you get without the bias b_h.",
        "ko": "편향 b_h를 더하지 않았을 때의 결과와 같습니다.",
    },
    "mistake_time_major": {
        "en": "your hidden states are stored time first (T, N, H); the course returns them "
        "batch first, (N, T, H).",
        "ko": "은닉 상태를 시간 축이 먼저인 (T, N, H)로 돌려주었습니다. 이 책은 배치가 먼저인 "
        "(N, T, H)로 돌려줍니다.",
    },
    "mistake_first_state": {
        "en": "your h_last is the state of the first time step; h_last is h_T, the last one.",
        "ko": "h_last가 첫 시간 단계의 은닉 상태입니다. h_last는 마지막 단계의 h_T입니다.",
    },
    "mistake_stack_order": {
        "en": "your output is what you get with the blocks in the other order: [x_t, h_prev] "
        "multiplies W = [W_xh; W_hh], so x_t comes first, as W_xh is the top block.",
        "ko": "블록의 순서를 바꾸었을 때의 결과와 같습니다. [x_t, h_prev]에 "
        "W = [W_xh; W_hh]를 곱하므로 W_xh가 위 블록이고 x_t가 먼저 옵니다.",
    },
    "mistake_generic": {
        "en": "your output matches a known wrong variant ({key}).",
        "ko": "알려진 잘못된 풀이({key})의 결과와 같습니다.",
    },
    # ---- gradients against the course's solution, free text, the grader's environment
    "grad_reference": {
        "en": "{name}: close to the numerical gradient, but its relative error against the "
        "course's solution is {rel:.2e} (it must be below {tol:.0e}, far tighter than a numerical "
        "gradient can reach): derive the backward pass by hand rather than by finite differences.",
        "ko": "{name}: 수치 기울기와는 가깝지만 강의 풀이와의 상대 오차가 {rel:.2e}입니다 "
        "({tol:.0e}보다 작아야 하며, 이는 수치 기울기로는 닿을 수 없는 정밀도입니다). 유한 차분이 "
        "아니라 식을 유도해서 역전파를 짜세요.",
    },
    "not_text": {
        "en": "`{variable}` should be a string (your answer in words), not {type}.",
        "ko": "`{variable}`에는 문자열(글로 쓴 답)을 넣어야 합니다 ({type}이(가) 아니라).",
    },
    "unanswered_text": {
        "en": "not answered yet: write your answer in the string `{variable} = \"...\"`.",
        "ko": "아직 답하지 않았습니다. `{variable} = \"...\"`의 문자열 안에 답을 쓰세요.",
    },
    "graded_by_hand": {
        "en": "graded by hand: your answer ({n} characters) is recorded; its {points:g} point(s) "
        "are given when the instructor has read it.",
        "ko": "직접 채점하는 문제입니다. 답({n}자)을 받아 두었고, 강사가 읽은 뒤에 "
        "{points:g}점 가운데 점수를 매깁니다.",
    },
    "hint_setup_name": {
        "en": "`{name}` is not defined when your notebook is graded: the grader does not run the "
        "set-up cell, so a name defined only there (or nowhere) is missing. Define it in the cell "
        "of your answer.",
        "ko": "채점할 때는 `{name}`이(가) 정의되어 있지 않습니다. 채점기는 준비 셀을 실행하지 "
        "않으므로 준비 셀에서만 정의한 이름(또는 어디에도 정의하지 않은 이름)은 없습니다. "
        "답을 쓴 셀에서 정의하세요.",
    },
    "hint_course_rnn": {
        "en": "your answer uses the course_rnn package, which is not there when your notebook is "
        "graded (only numpy and the standard library are): write it with numpy yourself.",
        "ko": "답이 course_rnn 패키지를 씁니다. 채점할 때는 이 패키지가 없고 numpy와 표준 "
        "라이브러리만 있으니 numpy로 직접 짜세요.",
    },
    # ---- cells, notebooks, the batch grader
    "cell_error": {
        "en": "cell {cell} raised {type}: {message}",
        "ko": "셀 {cell}에서 {type} 오류가 났습니다: {message}",
    },
    "invalid_notebook": {
        "en": "the file is not a valid notebook ({error}).",
        "ko": "올바른 노트북 파일이 아닙니다 ({error}).",
    },
    "wrong_assignment": {
        "en": "this is the notebook of assignment {got!r}, not {expected!r}.",
        "ko": "이 노트북은 {expected!r} 과제가 아니라 {got!r} 과제의 노트북입니다.",
    },
}

REASONS = {
    "reason_timeout": {"en": "it ran past the time limit", "ko": "시간 제한을 넘었습니다"},
    "reason_killed": {
        "en": "it was killed (signal {signal})",
        "ko": "강제로 종료되었습니다 (신호 {signal})",
    },
    "reason_cpu": {"en": "it used up its CPU time", "ko": "CPU 시간 한도를 다 썼습니다"},
    "reason_exited": {
        "en": "the submitted code ended the process (exit code {code}, e.g. os._exit)",
        "ko": "제출한 코드가 프로세스를 끝냈습니다 (종료 코드 {code}, 예: os._exit)",
    },
    "reason_channel": {
        "en": "the submitted code tampered with the grader's channel",
        "ko": "제출한 코드가 채점기와의 통신 채널을 건드렸습니다",
    },
    "reason_output_flood": {
        "en": "it sent more than {mb} MB of results",
        "ko": "결과를 {mb} MB 넘게 보냈습니다",
    },
    "reason_budget": {
        "en": "the submission used up its time budget of {seconds:g} s",
        "ko": "제출물이 시간 예산 {seconds:g}초를 다 썼습니다",
    },
    "reason_question_died": {
        "en": "an earlier test of this question ended the process twice",
        "ko": "이 문제의 앞선 테스트가 프로세스를 두 번 끝냈습니다",
    },
    "reason_cell_died": {
        "en": "cell {cell} ended the process ({reason}); it was skipped",
        "ko": "셀 {cell}이(가) 프로세스를 끝내서({reason}) 건너뛰었습니다",
    },
    "reason_grader": {
        "en": "the grader could not start the sandbox: {detail}",
        "ko": "채점기가 샌드박스를 시작하지 못했습니다: {detail}",
    },
}


def say(key: str, lang: str, **fields) -> str:
    """The message ``key`` in ``lang`` ("ko" or "en"), with its fields filled in."""
    table = MESSAGES[key] if key in MESSAGES else REASONS[key]
    template = table.get(lang) or table["en"]
    try:
        return template.format(**fields)
    except (KeyError, ValueError, IndexError):  # a field missing or of the wrong type
        return template + " " + repr(fields)


def mistake_text(key: str, meta: dict, lang: str) -> str:
    """The hint for a known mistake: the exercise's own text, else the catalogue's."""
    if meta.get(lang):
        return str(meta[lang])
    if f"mistake_{key}" in MESSAGES:
        return say(f"mistake_{key}", lang)
    return say("mistake_generic", lang, key=key)


# ---- the sandbox's result channel and its CPU-time limits (#17; used by grade.py and judge.py)
REASONS.update({
    "reason_channel_write": {
        "en": "the submitted code tampered with the grader's result channel (it wrote to it "
        "itself)",
        "ko": "제출한 코드가 채점기의 결과 채널을 건드렸습니다 (채널에 직접 썼습니다)",
    },
    "reason_unreadable": {
        "en": "the submitted code tampered with the grader's result channel: its report could "
        "not be read",
        "ko": "제출한 코드가 채점기의 결과 채널을 건드려서 보고를 읽을 수 없었습니다",
    },
    "reason_after_done": {
        "en": "the submitted code wrote to the grader's result channel after its last test "
        "(the answers given before that count as they are)",
        "ko": "제출한 코드가 마지막 테스트가 끝난 뒤에 채점기의 결과 채널에 썼습니다 (그 전에 낸 "
        "답은 그대로 인정됩니다)",
    },
    "reason_timeout_cpu": {
        "en": "it ran past its time limit of {seconds:g} s of CPU time",
        "ko": "CPU 시간 {seconds:g}초의 시간 제한을 넘었습니다",
    },
    "reason_timeout_wall": {
        "en": "it ran past the grader's wall-clock time limit ({seconds:g} s) without using up "
        "its CPU time: is it waiting or sleeping?",
        "ko": "CPU 시간을 다 쓰지 않은 채 채점기의 실제 시간 제한({seconds:g}초)을 넘었습니다. "
        "무언가를 기다리거나 잠들어 있지 않은지 확인하세요",
    },
    "reason_budget_cpu": {
        "en": "the submission used up its budget of {seconds:g} s of CPU time",
        "ko": "제출물이 CPU 시간 예산 {seconds:g}초를 다 썼습니다",
    },
    "reason_budget_wall": {
        "en": "the submission ran past the grader's wall-clock time limit for the whole "
        "notebook ({seconds:g} s)",
        "ko": "제출물이 노트북 전체에 주어진 채점기의 실제 시간 제한({seconds:g}초)을 넘었습니다",
    },
})
MESSAGES.update({
    "timeout_cpu": {
        "en": "`{function}` did not finish within {seconds:g} s of CPU time: is there an "
        "infinite loop?",
        "ko": "`{function}`이(가) CPU 시간 {seconds:g}초 안에 끝나지 않았습니다. 무한 루프가 "
        "아닌지 확인하세요.",
    },
    "timeout_cpu_skipped": {
        "en": "not run: an earlier test of this question did not finish within {seconds:g} s "
        "of CPU time.",
        "ko": "실행하지 않았습니다. 이 문제의 앞선 테스트가 CPU 시간 {seconds:g}초 안에 끝나지 "
        "않았습니다.",
    },
})
MESSAGES.update({
    "backward_calls_forward": {
        "en": "the backward pass called `{function}` {calls} times: a gradient computed by running "
        "the forward at moved inputs (finite differences) is not the backward pass asked for. "
        "Derive it with the chain rule, from what the forward stored in its cache.",
        "ko": "역전파가 `{function}`을(를) {calls}번 불렀습니다. 입력을 조금씩 옮겨 가며 순전파를 "
        "다시 돌려 얻은 기울기(유한 차분)는 이 문제가 요구하는 역전파가 아닙니다. 순전파가 "
        "캐시에 남긴 값에서 연쇄 법칙으로 유도하세요.",
    },
    "backward_profile_removed": {
        "en": "the backward pass removed the profile function the grader uses to count how "
        "often it calls `{function}`; the test cannot be graded and earns no points.",
        "ko": "역전파가 `{function}`을(를) 부르는 횟수를 세려고 채점기가 건 프로파일 함수를 "
        "없앴습니다. 이 테스트는 채점할 수 없어 점수를 받지 못합니다.",
    },
})
