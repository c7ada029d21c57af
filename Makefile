# The course's commands. Every target sets up its own environment in .venv
# (created on first use, reinstalled when requirements.lock or pyproject.toml change).
#
#   make book      build both editions (Korean, English) into _build/html
#   make test      lint + unit tests + strict nbval over every chapter of both editions
#                  + the built pages in headless Chromium (installed with apt-get if
#                  missing and run as root; otherwise those tests are skipped), on every
#                  core (TEST_JOBS=0: in one process)
#   make offline   build, then zip each edition for reading from disk (_build/offline)
#   make execute   re-run every chapter notebook in place and store its outputs
#   make release   the student versions of exercises/ko and exercises/en, written into the
#                  package (src/course_rnn/grading/released; a failed release keeps the old)
#   make repository URL=https://github.com/you/course-rnn [BRANCH=main]
#                  point the book, the set-up cells and the README at another repository
#   make bench     speed of course_rnn against torch on this CPU (writes docs/benchmarks.md)
#   make forecast  the forecasting benchmark of chapter 11: every row, 3 seeds, numpy and
#                  torch (writes docs/forecasting.md and the results chapter 11 loads;
#                  about an hour on 2 cores; resumable)
#   make lm        the language models of chapters 4-6 on the shipped real text: every n-gram
#                  baseline, every recurrent model of the study for 3 seeds (numpy, one thread per
#                  worker); writes the results and the trained weights the chapters load
#                  (src/course_rnn/experiments/) and docs/language_models.md; about an hour on
#                  2 cores; resumable (finished runs are kept in _build/lm-cache)
#   make long-range  the long-sequence sweep of chapter 8 (the adding problem, 50-400 steps for
#                  every model, 800 and 1600 for the GRU alone and behind the ReLU convolution;
#                  LSTM and GRU with and without a strided Conv1D, linear or ReLU; 3 seeds;
#                  writes the results chapter 8 loads; about 20 min on 2 cores; resumable)
#   make attention the long-input study of chapter 10 (copying 1-32 digits: chapter 9's
#                  decoders against attention with the dot, general and additive scores, 3 seeds);
#                  writes the results chapter 10 loads and docs/attention.md; about 15 min on 2 cores
#
# Elsewhere than the course's own machines, get a CPU build of torch with
#   make test TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"

PYTHON ?= python3
VENV ?= .venv
TORCH_PIP_ARGS ?=
BIN := $(VENV)/bin
STAMP := $(VENV)/.course-rnn-installed
NBVAL_OPTS := --nbval --nbval-current-env --nbval-cell-timeout=300 \
              --nbval-sanitize-with tests/nbval_sanitize.cfg
# pytest-xdist: one worker per core (TEST_JOBS=0 runs in one process); each test file, and
# each notebook with all its cells, stays on one worker (tests/conftest.py: the book's
# build and the browser tests share a worker, the longest chapters are handed out first)
TEST_JOBS ?= auto
XDIST_OPTS := -n $(TEST_JOBS) --dist loadfile

.PHONY: env book offline test lint execute release repository bench forecast lm long-range attention clean

env: $(STAMP)

$(STAMP): requirements.lock pyproject.toml tools/setup_env.py
	$(PYTHON) tools/setup_env.py --venv $(VENV) --torch-pip-args "$(TORCH_PIP_ARGS)"

book: $(STAMP)
	$(BIN)/python tools/book.py build

offline: $(STAMP)
	$(BIN)/python tools/book.py offline

lint: $(STAMP)
	$(BIN)/ruff check src tests tools

test: $(STAMP)
	$(BIN)/ruff check src tests tools
	$(BIN)/python -m pytest tests chapters $(NBVAL_OPTS) $(XDIST_OPTS)

execute: $(STAMP)
	$(BIN)/python tools/execute.py $(NOTEBOOKS)

release: $(STAMP)
	$(BIN)/course-rnn release exercises --out src/course_rnn/grading/released --replace

repository: $(STAMP)
	$(BIN)/python tools/repository.py set "$(URL)" $(if $(BRANCH),--branch "$(BRANCH)")

bench: $(STAMP)
	$(BIN)/python -m course_rnn.torch_ref.bench --out docs/benchmarks.md

forecast: $(STAMP)
	$(BIN)/python -m course_rnn.forecast --seeds 0 1 2 --out docs/forecasting.md
	$(BIN)/python -m course_rnn.forecast --rows s2s_ln_rnn s2s_conv_gru --backends numpy \
	    --seeds 0 1 2 3 4 5 6 7 --out docs/forecasting_more_seeds.md \
	    --results src/course_rnn/forecast/results_more_seeds.json

lm: $(STAMP)
	$(BIN)/python -m course_rnn.experiments.language_models --table docs/language_models.md

long-range: $(STAMP)
	$(BIN)/python -m course_rnn.experiments.long_range \
	    --out src/course_rnn/experiments/long_range_results.json --cache _build/long-range-cache

attention: $(STAMP)
	$(BIN)/python -m course_rnn.experiments.attention --table docs/attention.md

clean:
	rm -rf _build
