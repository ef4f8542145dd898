"""The `aws` provider: boto3, one client per region, retries set explicitly.

botocore's default `legacy` retry mode does not retry LimitExceededException; `standard` and
`adaptive` retry throttling and 5xx answers with backoff, up to `max_attempts` in all. A quota
refusal on create is then reported as QuotaExceeded so the job is queued, not failed.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    ProfileNotFound,
    ReadTimeoutError,
)

from reconciler import __version__
from reconciler.errors import UsageError
from reconciler.models import Target
from reconciler.providers.base import ExpiredToken, ServiceProvider
from reconciler.providers.errors import translate
from reconciler.providers.inputs import InputReader
from reconciler.providers.interface import (
    AccessDenied,
    InvalidInput,
    ProviderError,
    TransientError,
)
from reconciler.settings import DigestKeySettings, ProviderSettings, shown_url

_UNREACHABLE = (
    EndpointConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
    ConnectionClosedError,
)


class AwsProvider(ServiceProvider):
    name = "aws"
    polling_defaults = (60.0, 600.0)  # jobs in the service take hours
    parallel_reads = 8  # each call waits on the network

    def __init__(
        self,
        settings: ProviderSettings,
        session: boto3.session.Session | None = None,
        *,
        inputs_endpoint_url: str | None = None,
        digest_key: DigestKeySettings | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        try:
            self._session = session or boto3.session.Session(profile_name=settings.profile)
        except ProfileNotFound as exc:
            asked = exc.kwargs.get("profile") or settings.profile
            where = "provider.profile in the settings" if settings.profile else "AWS_PROFILE"
            raise UsageError(
                f"AWS profile {asked!r} not found in the AWS config files: check {where}"
            ) from None
        self._config = Config(
            retries={"mode": settings.retry_mode, "total_max_attempts": settings.max_attempts},
            connect_timeout=settings.connect_timeout_seconds,
            read_timeout=settings.read_timeout_seconds,
            user_agent_extra=f"reconciler/{__version__}",
        )
        self._clients: dict[str, Any] = {}
        self._making = threading.Lock()
        self._inputs_endpoint_url = inputs_endpoint_url
        self._digest_key = digest_key
        self._inputs: InputReader | None = None
        self._target: Target | None = None
        self._asking = threading.Lock()  # one GetCallerIdentity serves the target and principal
        self._caller_asked = False
        self._caller_answer: dict[str, Any] | None = None
        self.attempts: Counter[str] = Counter()  # HTTP requests sent, retries included

    def input_reader(self) -> InputReader:
        """One reader per provider: the digest key is fetched once per run."""
        from reconciler.providers.s3_inputs import S3Inputs

        if self._inputs is None:
            config = self._config
            if self._inputs_endpoint_url:  # an S3-compatible server: paths, not bucket host names
                config = config.merge(Config(s3={"addressing_style": "path"}))
            self._inputs = S3Inputs(
                self._session, config, self._inputs_endpoint_url, self._digest_key
            )
        return self._inputs

    def target(self, regions: Sequence[str]) -> Target:
        """Where Personalize calls go (the endpoint botocore resolved, named where it is not
        AWS's own, with where it was set), and the credentials' account, asked once of STS
        GetCallerIdentity (`_caller`)."""
        if self._target is None:
            region = self._region(regions)
            endpoint = self.client(region).meta.endpoint_url
            where = None
            if not _is_aws(endpoint):
                how = "provider.endpointUrl"
                if not self.settings.endpoint_url:
                    how = "set by the AWS environment or config"
                where = f"{shown_url(endpoint)} ({how})"
            caller = self._caller(region)
            account = None if caller is None else str(caller["Account"])
            profile = self._session.profile_name
            self._target = Target(
                provider=self.name,
                account=account,
                account_checked=account is not None,
                profile=profile if profile != "default" else None,
                endpoint=where,
            )
        return self._target.model_copy(update={"regions": tuple(regions)})

    def principal(self) -> str | None:
        """The credentials' ARN, from the same GetCallerIdentity answer as the target's
        account (asked once); None where the endpoint Personalize is reached at cannot say."""
        caller = self._caller(self._region(()))
        return None if caller is None else str(caller.get("Arn") or "") or None

    def _region(self, regions: Sequence[str]) -> str:
        return regions[0] if regions else (self._session.region_name or "us-east-1")

    def _caller(self, region: str) -> dict[str, Any] | None:
        """STS GetCallerIdentity, asked once: of STS as boto3 resolves it when Personalize is
        AWS's; else of the endpoint Personalize is reached at, and when it does not answer, None
        (the account is then left to the manifests, not checked)."""
        with self._asking:
            if not self._caller_asked:
                self._caller_answer = self._ask_sts(region)
                self._caller_asked = True
            return self._caller_answer

    def _ask_sts(self, region: str) -> dict[str, Any] | None:
        with self._counting:
            self.calls["GetCallerIdentity"] += 1
        endpoint = self.client(region).meta.endpoint_url
        if _is_aws(endpoint):
            with self._making:
                sts = self._session.client("sts", region_name=region, config=self._config)
            return self._send_to(sts, "GetCallerIdentity", {})
        once = self._config.merge(Config(retries={"mode": "standard", "total_max_attempts": 1}))
        with self._making:
            sts = self._session.client(
                "sts", region_name=region, endpoint_url=endpoint, config=once
            )
        try:
            return self._send_to(sts, "GetCallerIdentity", {})
        except ProviderError:
            return None

    def client(self, region: str) -> Any:
        with self._making:  # a boto3 session makes one client at a time (it is not thread-safe)
            return self._client(region)

    def _client(self, region: str) -> Any:
        if region not in self._clients:
            self._clients[region] = self._session.client(
                "personalize",
                region_name=region,
                endpoint_url=self.settings.endpoint_url,
                config=self._config,
            )
            self._clients[region].meta.events.register(
                "before-send.personalize", self._count_attempt
            )
        return self._clients[region]

    def _count_attempt(self, event_name: str, **_: Any) -> None:
        with self._counting:
            self.attempts[event_name.rsplit(".", 1)[-1]] += 1

    def _send(self, region: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        return self._send_to(self.client(region), operation, params)

    def _send_to(self, client: Any, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        method = getattr(client, _snake(operation))
        try:
            response: dict[str, Any] = method(**params)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", "Unknown"))
            if code == "InvalidNextTokenException":
                raise ExpiredToken(str(error.get("Message", ""))) from None
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            raise translate(
                code, str(error.get("Message", "")), operation=operation, status=status
            ) from None
        except NoCredentialsError:
            raise AccessDenied(
                f"{operation}: no AWS credentials found: set AWS_PROFILE (or provider.profile), "
                "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            ) from None
        except _UNREACHABLE as exc:
            raise TransientError(
                f"{operation}: cannot reach the service ({type(exc).__name__}); check the network "
                "and provider.endpointUrl, then try again"
            ) from None
        except ParamValidationError as exc:
            raise InvalidInput(f"{operation}: {exc}") from None
        except BotoCoreError as exc:
            # its message may name the endpoint (an SSLError's does): never with its password
            raise ProviderError(
                f"{operation}: {type(exc).__name__}: {shown_url(str(exc))}"
            ) from None
        return response


def _is_aws(endpoint: str) -> bool:
    host = urlsplit(endpoint).hostname or ""
    return host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".api.aws"))


def _snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")
