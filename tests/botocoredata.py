"""botocore's data files (service models, endpoints, partitions, rule sets) decoded from JSON
once per test session, not once per boto3 Session.

The s3 state backend makes a boto3 Session of its own (as a CLI run does, once), and the tests
make hundreds of backends and clients: decoding the same JSON again for each was a fifth of the
in-process lane's time. Each file is decoded once and kept pickled; every load unpickles a copy
of its own, so nothing is shared (moto merges its extras into the models it loads; botocore
fills resolved entries into its endpoints), but for the endpoint rule sets, which botocore only
reads: they are shared as decoded, and checked unchanged when the session ends. This process
only: processes a test starts decode their own.
"""

from __future__ import annotations

import gc
import pickle
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.loaders import JSONFileLoader

_pickled: dict[str, bytes] = {}
_shared: dict[str, Any] = {}  # read-only files, decoded once and shared
_load_file = JSONFileLoader.load_file
_READ_ONLY = ("/endpoint-rule-set-1",)


def _decoded_once(self: JSONFileLoader, file_path: str) -> Any:
    if file_path.endswith(_READ_ONLY):
        if file_path not in _shared:
            _shared[file_path] = _load_file(self, file_path)
            _pickled[file_path] = pickle.dumps(_shared[file_path], pickle.HIGHEST_PROTOCOL)
        return _shared[file_path]
    pickled = _pickled.get(file_path)
    if pickled is None:
        data = _load_file(self, file_path)
        _pickled[file_path] = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
        return data
    return _unpickled(pickled)


def _unpickled(pickled: bytes) -> Any:
    """A copy of a decoded file. The garbage collector waits meanwhile: the copy is thousands of
    new containers with no cycle among them, and a large heap (moto's, the session's) made the
    collections they set off cost eight times the copy itself."""
    was = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(pickled)
    finally:
        if was:
            gc.enable()


@pytest.fixture(scope="session", autouse=True)
def botocore_data_decoded_once() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(JSONFileLoader, "load_file", _decoded_once)
        yield
    changed = [path for path, data in _shared.items() if pickle.loads(_pickled[path]) != data]
    assert not changed, f"botocore data shared between sessions was changed: {changed}"
