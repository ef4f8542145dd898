"""The key of the inputs' keyed digests (`evidence.digestKey`), fetched by the provider once per
run: from an environment variable, an SSM parameter (GetParameter WithDecryption) or a Secrets
Manager secret (GetSecretValue); for the emulator without one, a key file of its own beside its
database, created 0600.

A key that cannot be read is a DigestKeyError naming the setting and the permission it needs;
no message ever holds the key.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.providers.inputs import DigestKey, DigestKeyError
from reconciler.settings import DigestKeySettings


def configured_key(
    setting: DigestKeySettings,
    region: str,
    environ: Mapping[str, str],
    session: Any = None,
    config: Any = None,
) -> DigestKey:
    """The key `setting` names (`session`: a boto3 session, made when one is needed)."""
    if setting.env is not None:
        where = f"evidence.digestKey.env ({setting.env})"
        value = environ.get(setting.env, "")
        if not value:
            raise DigestKeyError(f"{where}: the environment variable is not set, or empty")
        return DigestKey(value.encode(), where)
    if session is None:
        import boto3

        session = boto3.session.Session()
    region = setting.region or region
    if setting.ssm is not None:
        where = f"evidence.digestKey.ssm ({setting.ssm})"
        answer = _ask(
            session,
            config,
            "ssm",
            region,
            where,
            "ssm:GetParameter (and kms:Decrypt on the parameter's KMS key)",
            "get_parameter",
            Name=setting.ssm,
            WithDecryption=True,
        )
        secret = str(answer.get("Parameter", {}).get("Value", "")).encode()
    else:
        assert setting.secrets_manager is not None
        where = f"evidence.digestKey.secretsManager ({setting.secrets_manager})"
        answer = _ask(
            session,
            config,
            "secretsmanager",
            region,
            where,
            "secretsmanager:GetSecretValue (and kms:Decrypt on the secret's KMS key)",
            "get_secret_value",
            SecretId=setting.secrets_manager,
        )
        text = answer.get("SecretString")
        secret = text.encode() if isinstance(text, str) else bytes(answer.get("SecretBinary", b""))
    if not secret:
        raise DigestKeyError(f"{where}: the value is empty")
    return DigestKey(secret, where)


def _ask(
    session: Any,
    config: Any,
    service: str,
    region: str,
    where: str,
    permission: str,
    method: str,
    **params: Any,
) -> dict[str, Any]:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        client = session.client(service, region_name=region, config=config)
        answer: dict[str, Any] = getattr(client, method)(**params)
        return answer
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", "")) or "an error"
        if code in ("ParameterNotFound", "ResourceNotFoundException"):
            raise DigestKeyError(f"{where}: no such key in {region} ({code})") from None
        raise DigestKeyError(
            f"{where}: cannot be read in {region} ({code}): these credentials need {permission}"
        ) from None
    except NoCredentialsError:
        raise DigestKeyError(
            f"{where}: no AWS credentials to read it (they need {permission})"
        ) from None
    except BotoCoreError as exc:
        why = type(exc).__name__
        raise DigestKeyError(f"{where}: cannot be read in {region} ({why})") from None


def key_file(path: Path) -> DigestKey:
    """The emulator's own key, in the file at `path`: made (32 random bytes, hex, mode 0600)
    where there is none yet, then the same on every run."""
    where = f"the emulator's digest key file {path}"
    try:
        if not path.exists():
            _make_key_file(path)
        secret = path.read_bytes().strip()
    except OSError as exc:
        raise DigestKeyError(f"{where} cannot be used: {exc.strerror or exc}") from None
    if not secret:
        raise DigestKeyError(f"{where} is empty: delete it and a new key is made")
    return DigestKey(secret, where)


def _make_key_file(path: Path) -> None:
    """Written whole under another name, then linked in place: a process that races this one
    reads one key or the other, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        os.write(descriptor, secrets.token_hex(32).encode() + b"\n")
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    try:
        os.link(draft, path)
    except FileExistsError:
        pass  # another process made it first: its key is the key
    finally:
        draft.unlink()
