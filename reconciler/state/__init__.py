"""The state: its document (`document`), the backend interface (`interface`), the backends
(`local`) and the registry that chooses one by name (`registry`)."""
