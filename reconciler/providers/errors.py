"""Translating the service's error codes into the provider errors, with what to do about each."""

from __future__ import annotations

from reconciler.providers.interface import (
    AccessDenied,
    AlreadyExists,
    InvalidInput,
    NotFound,
    ProviderError,
    QuotaExceeded,
    Throttled,
    TransientError,
)

THROTTLING = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
    }
)
TRANSIENT = frozenset(
    {
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
DENIED = frozenset(
    {
        "AccessDeniedException",
        "AccessDenied",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "MissingAuthenticationTokenException",
        "IncompleteSignature",
    }
)
INVALID = frozenset(
    {
        "InvalidInputException",
        "ValidationException",
        "TooManyTagsException",
        "ResourceInUseException",
        "InvalidNextTokenException",
        "SerializationException",
    }
)


def translate(code: str, message: str, *, operation: str, status: int) -> ProviderError:
    said = f"{operation}: {code}: {message}"
    if code == "LimitExceededException":
        if operation == "CreateDataDeletionJob":
            return QuotaExceeded(f"{said} (the job waits for a free PENDING slot)")
        return Throttled(f"{said}; try again later")
    if code in THROTTLING:
        return Throttled(f"{said}; the service is busy, try again later")
    if code in TRANSIENT or status >= 500:
        return TransientError(f"{said}; the service is busy or unavailable, try again later")
    if code == "ResourceAlreadyExistsException":
        return AlreadyExists(said)
    if code == "ResourceNotFoundException":
        return NotFound(said)
    if code in DENIED:
        return AccessDenied(
            f"{said}; check the AWS credentials (AWS_PROFILE or provider.profile) and that "
            f"they allow {'sts' if operation == 'GetCallerIdentity' else 'personalize'}:"
            f"{operation}"
        )
    if code in INVALID:
        return InvalidInput(said)
    return ProviderError(said)
