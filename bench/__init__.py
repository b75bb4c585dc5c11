"""Benchmarks (run as scripts or `python -m bench.<name>`) and the labelled sets they measure."""
