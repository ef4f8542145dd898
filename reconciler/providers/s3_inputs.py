"""The `aws` provider's inputs: S3 through boto3, in the job's region, with the provider's
credentials (and `preflight.s3EndpointUrl` for an S3-compatible server). Errors name the S3
permission that is missing. The digest key (`evidence.digestKey`) is fetched here too, with the
same credentials, once."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from reconciler.models import InputIdentity
from reconciler.providers.digestkey import configured_key
from reconciler.providers.inputs import (
    CHUNK,
    DigestKey,
    Feed,
    InputChanged,
    InputDenied,
    InputError,
    etag_tag,
    split_location,
)
from reconciler.settings import DigestKeySettings


class S3Inputs:
    def __init__(
        self,
        session: Any,
        config: Any,
        endpoint_url: str | None = None,
        digest_key: DigestKeySettings | None = None,
    ) -> None:
        self._session = session
        self._config = config
        self._endpoint_url = endpoint_url
        self._clients: dict[str, Any] = {}
        self._making = threading.Lock()
        self._key_setting = digest_key
        self._key: list[DigestKey] = []
        self.page_size: int | None = None  # keys per ListObjectsV2 page (None: S3's 1000)

    def _client(self, region: str) -> Any:
        with self._making:
            if region not in self._clients:
                self._clients[region] = self._session.client(
                    "s3", region_name=region, endpoint_url=self._endpoint_url, config=self._config
                )
            return self._clients[region]

    def identity(self, bucket: str, key: str, region: str) -> InputIdentity | None:
        try:
            answer = self._call(region, "head_object", "s3:GetObject", Bucket=bucket, Key=key)
        except _Missing:
            return None
        etag, digest = str(answer["ETag"]), self.digest_key(region)
        return InputIdentity(
            location=f"s3://{bucket}/{key}",
            etag=etag,
            tag=etag_tag(etag, digest),
            key_id=digest.key_id if digest is not None else None,
            version_id=_version(answer.get("VersionId")),
            size=int(answer["ContentLength"]),
            last_modified=_second(answer["LastModified"]),
        )

    def csv_under(self, bucket: str, prefix: str, region: str) -> list[InputIdentity]:
        found: list[InputIdentity] = []
        digest = self.digest_key(region)
        params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        if self.page_size is not None:
            params["MaxKeys"] = self.page_size
        while True:
            try:
                page = self._call(region, "list_objects_v2", "s3:ListBucket", **params)
            except _Missing:
                return found  # no such bucket: nothing under the prefix
            for item in page.get("Contents", []):
                if str(item["Key"]).lower().endswith(".csv"):
                    etag = str(item["ETag"])
                    found.append(
                        InputIdentity(
                            location=f"s3://{bucket}/{item['Key']}",
                            etag=etag,
                            tag=etag_tag(etag, digest),
                            key_id=digest.key_id if digest is not None else None,
                            size=int(item["Size"]),
                            last_modified=_second(item["LastModified"]),
                        )
                    )
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return found
            params["ContinuationToken"] = token

    def stream(self, identity: InputIdentity, region: str, feed: Feed) -> None:
        bucket, key = split_location(identity.location)
        versioned = {"VersionId": identity.version_id} if identity.version_id else {}
        matched = {"IfMatch": identity.etag} if identity.etag else {}

        def read(answer: Any) -> None:
            body = answer["Body"]
            try:
                for chunk in body.iter_chunks(CHUNK):
                    if not feed(chunk):
                        return
            finally:
                body.close()

        try:
            self._call(
                region,
                "get_object",
                "s3:GetObject" + ("Version" if versioned else ""),
                read=read,
                Bucket=bucket,
                Key=key,
                **matched,
                **versioned,
            )
        except _Missing:
            raise InputChanged(f"{identity.location} went away while preflight read it") from None

    def digest_key(self, region: str) -> DigestKey | None:
        if self._key_setting is None:
            return None
        if not self._key:
            self._key.append(
                configured_key(self._key_setting, region, os.environ, self._session, self._config)
            )
        return self._key[0]

    def _call(
        self,
        region: str,
        method: str,
        permission: str,
        read: Callable[[Any], Any] | None = None,
        **params: Any,
    ) -> Any:
        """One S3 call (and `read` of its answer, such as its body, under the same errors)."""
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectionError,
            HTTPClientError,
            NoCredentialsError,
        )

        where = f"s3://{params['Bucket']}/{params.get('Key', params.get('Prefix', ''))}"
        try:
            answer = getattr(self._client(region), method)(**params)
            return read(answer) if read is not None else answer
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            if code in ("404", "NoSuchKey", "NoSuchBucket", "NotFound", "NoSuchVersion"):
                raise _Missing() from None
            if status == 412 or code == "PreconditionFailed":
                raise InputChanged(f"{where} changed while preflight read it") from None
            if status == 403 or code in ("403", "AccessDenied", "Forbidden"):
                missing = (  # without s3:ListBucket, S3 answers a missing object with 403
                    "; or the object does not exist and they lack s3:ListBucket on the bucket"
                    if method == "head_object"
                    else ""
                )
                raise InputDenied(
                    f"preflight may not read {where} with these credentials (it needs "
                    f"{permission}{missing})",
                    permission,
                ) from None
            raise InputError(f"preflight could not read {where}: {code or status}") from None
        except NoCredentialsError:
            raise InputDenied(
                f"preflight has no AWS credentials to read {where}", permission
            ) from None
        except (ConnectionError, HTTPClientError) as exc:  # connecting or reading the answer
            raise InputError(
                f"preflight could not reach S3 for {where} ({type(exc).__name__}); check the "
                "network and preflight.s3EndpointUrl"
            ) from None
        except BotoCoreError as exc:  # credentials (an expired SSO token…), configuration
            raise InputError(
                f"preflight could not read {where}: {type(exc).__name__} (check the "
                "credentials and the profile's configuration)"
            ) from None


class _Missing(Exception):
    """No such object or bucket."""


def _second(value: datetime) -> datetime:
    """LastModified to the second: HeadObject gives seconds, a listing may give milliseconds."""
    return value.replace(microsecond=0)


def _version(value: Any) -> str | None:
    """A VersionId where the bucket is versioned ("null": versioning was never on)."""
    return str(value) if value and value != "null" else None
