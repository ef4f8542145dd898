"""One module per command: `f(options, runtime) -> int`, the options a dataclass of plain values,
the runtime the world it runs in (`reconciler.runtime`), the result an exit code."""
