# The README's two commands: `make demo` (main job on the embedded default, no weights) and
# `make test` (the whole suite). Both create the virtual environment from nothing when needed.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_VIDEO := assets/pavas_bounce_demo.mp4

.PHONY: setup demo test bench clean

setup: $(STAMP)

# sam2 is a source archive whose build asks for CUDA and (in an isolated build) a torch of its own:
# SAM2_BUILD_CUDA=0, no build isolation and no dependency list make it a plain Python package here
# (its dependencies are in requirements.txt).
SAM2_REQUIREMENT := sam2>=1.1

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -r requirements-dev.txt -r requirements.txt
	SAM2_BUILD_CUDA=0 $(PY) -m pip install --quiet --no-build-isolation --no-deps "$(SAM2_REQUIREMENT)"
	@touch $(STAMP)

demo: $(STAMP)
	@mkdir -p out
	$(PY) -m pavas_core run $(DEMO_VIDEO) -o out/demo.wav --mux out/demo.mp4 --physics out/demo_physics.json --object basketball --object "wooden block"

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m pavas_core bench

clean:
	rm -rf out .pytest_cache
