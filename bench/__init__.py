"""caseflow's benchmark (bench/run.py) and the raw Temporal twins it measures against."""
