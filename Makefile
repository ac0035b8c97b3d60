# Two commands for a fresh machine (see README):
#   make run   — install and open the app on the sample town (みどり町)
#   make test  — install everything the tests need and run every test
PYTHON ?= python3
PORT ?= 8501
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install install-test browser bench sample

install:
	$(PYTHON) -m pip install -q -r requirements.txt

install-test:
	$(PYTHON) -m pip install -q -r requirements-dev.txt

# Debian's Chromium and Japanese fonts for the browser tests (no browser download from elsewhere).
browser:
	@dpkg -s chromium fonts-noto-cjk >/dev/null 2>&1 || \
	  ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium fonts-noto-cjk)

run: install
	$(PYTHON) -m streamlit run app.py --server.port $(PORT)

test: install-test browser
	$(PYTHON) -m pytest -q

bench: install-test
	$(PYTHON) -m bench.bench_load
	$(PYTHON) -m bench.bench_board
	$(PYTHON) -m bench.bench_save
	$(PYTHON) -m bench.bench_screens

sample:
	$(PYTHON) -m sample_data.generate
