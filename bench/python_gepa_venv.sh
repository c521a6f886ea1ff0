# Sourced by the bench scripts: sets VENV to a venv holding Python gepa 0.1.4 (from PyPI, in the
# cache dir, created once), the reference the benchmarks run side by side with ours.
VENV=${GEPA_CACHE:-$HOME/.cache/gepa-playground}/bench-python-gepa
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import gepa' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q gepa==0.1.4
fi
