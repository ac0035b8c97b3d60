# Two commands for a fresh machine (see README):
#   make run   — install and open the app on the sample town (みどり町)
#   make test  — install everything the tests need and run every test
PYTHON ?= python3
PORT ?= 8501
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install install-test browser office proxy servers bench bench-quick sample bundle

install:
	$(PYTHON) -m pip install -q -r requirements.txt

install-test:
	$(PYTHON) -m pip install -q -r requirements-dev.txt

# Debian's Chromium and Japanese fonts for the browser tests (no browser download from elsewhere).
browser:
	@dpkg -s chromium fonts-noto-cjk >/dev/null 2>&1 || \
	  ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium fonts-noto-cjk)

# LibreOffice Calc (no GUI) for the test that opens the blank workbook as a town's office would:
office:
	@dpkg -s libreoffice-calc-nogui >/dev/null 2>&1 || \
	  ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q libreoffice-calc-nogui)

# Caddy, the HTTPS proxy README recommends, for the test that runs the launcher behind it:
proxy:
	@command -v caddy >/dev/null 2>&1 || \
	  ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q caddy)

# PostgreSQL and nginx, for the tests of several app servers sharing their state behind a proxy:
servers:
	@(ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ -x /usr/sbin/nginx ]) || \
	  ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q postgresql nginx-light)

run: install
	$(PYTHON) -m streamlit run serve.py --server.port $(PORT)

# Two workers, each test file whole on one (its servers and browser started once): about 15 minutes
# instead of 22 on a two-core machine. One file alone: python -m pytest tests/test_x.py
test: install-test browser office proxy servers
	$(PYTHON) -m pytest -q -n 2 --dist loadfile

# Every benchmark (about 40 minutes): one summary table, and bench/README.md written from the run.
bench: install-test browser
	$(PYTHON) -m bench.run

# The same at 60 and 3,000 households with fewer repeats (a check that every bench still runs).
bench-quick: install-test browser
	$(PYTHON) -m bench.run --quick --no-readme

sample:
	$(PYTHON) -m sample_data.generate

# The ZIPs for a PC with no internet (README 「インターネットのないパソコン（LGWAN）」), into dist/:
bundle:
	$(PYTHON) start.py --bundle all --bundle-out dist
