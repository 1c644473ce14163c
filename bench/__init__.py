"""Benchmarks (`make bench`): each prints a table and compares against a named reference."""
