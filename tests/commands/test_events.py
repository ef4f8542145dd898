"""How the command line shows a use case's events: each at once, on its stream, in its words."""

from __future__ import annotations

import io

import pytest

from reconciler.commands.events import shown
from reconciler.runtime import Runtime
from reconciler.usecases.events import Note, Said, Warned


def test_each_event_goes_to_its_stream_as_it_comes() -> None:
    out, err = io.StringIO(), io.StringIO()
    emit = shown(Runtime(environ={}, out=out, err=err))
    emit(Warned("the tree is broken"))
    emit(Said("Target: local"))
    assert (out.getvalue(), err.getvalue()) == ("Target: local\n", "Warning: the tree is broken\n")
    emit(Note("the lock stays"))
    assert err.getvalue().endswith("Warning: the tree is broken\nNote: the lock stays\n")
    with pytest.raises(TypeError, match="no way to show"):
        emit("a bare string")
