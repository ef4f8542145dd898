"""One module per command: a function that takes plain values and returns an exit code."""
