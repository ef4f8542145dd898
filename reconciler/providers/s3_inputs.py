"""The `aws` provider's inputs: S3 through boto3, in the job's region, with the provider's
credentials (and `preflight.s3EndpointUrl` for an S3-compatible server). Errors name the S3
permission that is missing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from reconciler.providers.inputs import CHUNK, InputDenied, InputError, InputObject, Tally


class S3Inputs:
    def __init__(self, session: Any, config: Any, endpoint_url: str | None = None) -> None:
        self._session = session
        self._config = config
        self._endpoint_url = endpoint_url
        self._clients: dict[str, Any] = {}
        self._making = threading.Lock()

    def _client(self, region: str) -> Any:
        with self._making:
            if region not in self._clients:
                self._clients[region] = self._session.client(
                    "s3", region_name=region, endpoint_url=self._endpoint_url, config=self._config
                )
            return self._clients[region]

    def size(self, bucket: str, key: str, region: str) -> int | None:
        try:
            answer = self._call(region, "head_object", "s3:GetObject", Bucket=bucket, Key=key)
        except _Missing:
            return None
        return int(answer["ContentLength"])

    def csv_under(self, bucket: str, prefix: str, region: str) -> list[InputObject]:
        found: list[InputObject] = []
        params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        while True:
            try:
                page = self._call(region, "list_objects_v2", "s3:ListBucket", **params)
            except _Missing:
                return found  # no such bucket: nothing under the prefix
            for item in page.get("Contents", []):
                if str(item["Key"]).lower().endswith(".csv"):
                    found.append(InputObject(key=item["Key"], size=int(item["Size"])))
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return found
            params["ContinuationToken"] = token

    def first_bytes(self, bucket: str, key: str, region: str, count: int) -> bytes:
        try:
            body: bytes = self._call(
                region,
                "get_object",
                "s3:GetObject",
                read=lambda answer: answer["Body"].read(count),
                Bucket=bucket,
                Key=key,
                Range=f"bytes=0-{count - 1}",
            )
        except _Missing:
            return b""
        return body

    def digest(self, bucket: str, key: str, region: str) -> tuple[str, int, int] | None:
        def tally(answer: Any) -> tuple[str, int, int]:
            counted = Tally()
            for chunk in answer["Body"].iter_chunks(CHUNK):
                counted.feed(chunk)
            return counted.result()

        try:
            result: tuple[str, int, int] = self._call(
                region, "get_object", "s3:GetObject", read=tally, Bucket=bucket, Key=key
            )
        except _Missing:
            return None
        return result

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
            if code in ("404", "NoSuchKey", "NoSuchBucket", "NotFound"):
                raise _Missing() from None
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
