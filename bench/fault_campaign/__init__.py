"""The fault campaign's parts; `bench/faults.py` runs it (see its docstring and the README)."""
