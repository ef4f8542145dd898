"""`python -m benchmarks`: every benchmark, a Markdown table, benchmarks/results.json."""

from benchmarks.run import main

main()
