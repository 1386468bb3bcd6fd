"""Benchmarks of the bot: `python -m bench.run` runs them all and writes docs/BENCHMARKS.md.

Every benchmark is bounded in count and time, talks only to 127.0.0.1 and reports figures
(never passes or fails). Each module also runs alone with small defaults, for example
`python -m bench.search_bench`; `--full` gives the sizes bench.run uses.
"""
