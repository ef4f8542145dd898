"""The use cases: what each command does, as functions over typed inputs that return result
values and emit typed events (`events`), callable from the command line, a long-running process
and tests alike. Commands parse options, call one use case and render its result."""
