"""Benchmarks: the survey's own costs measured against the bare framework in the same run."""
