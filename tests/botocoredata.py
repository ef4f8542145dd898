"""botocore's data files (service models, endpoints, partitions, rule sets) decoded from JSON
once per test session, not once per boto3 Session.

The s3 state backend makes a boto3 Session of its own (as a CLI run does, once), and the tests
make hundreds of backends and clients: decoding the same JSON again for each was a fifth of the
in-process lane's time. Each file is decoded once and kept pickled; every load unpickles a copy
of its own, so nothing is shared (moto merges its extras into the models it loads).
This process only: processes a test starts decode their own.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.loaders import JSONFileLoader

_pickled: dict[str, bytes] = {}
_load_file = JSONFileLoader.load_file


def _decoded_once(self: JSONFileLoader, file_path: str) -> Any:
    pickled = _pickled.get(file_path)
    if pickled is None:
        data = _load_file(self, file_path)
        _pickled[file_path] = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
        return data
    return pickle.loads(pickled)


@pytest.fixture(scope="session", autouse=True)
def botocore_data_decoded_once() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(JSONFileLoader, "load_file", _decoded_once)
        yield
