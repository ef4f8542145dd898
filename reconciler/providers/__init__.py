"""Providers: the service behind a small Protocol (`interface`), chosen by name (`registry`)."""
