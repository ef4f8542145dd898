"""STS as the emulator answers it: GetCallerIdentity names the emulator's account, so a client
can check which account its credentials reach before it creates anything.

STS speaks the AWS query protocol: a form (`Action=GetCallerIdentity&Version=2011-06-15`, as a
POST body or a GET query string) in, XML out:

    <GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
      <GetCallerIdentityResult>
        <Arn>arn:aws:iam::ACCOUNT:user/emulator</Arn><UserId>…</UserId><Account>ACCOUNT</Account>
      </GetCallerIdentityResult>
      <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>
    </GetCallerIdentityResponse>

Any other action, or another version, is answered with the protocol's error document
(`<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code>…`), status 400; a form
without an action is MissingAction.
"""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

CONTENT_TYPE = "text/xml"
NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
VERSION = "2011-06-15"
USER_NAME = "emulator"
USER_ID = "AIDAEMULATOREXAMPLE01"  # the shape of an IAM user's unique ID


def caller_arn(*, account: str, partition: str) -> str:
    """The ARN GetCallerIdentity names: the emulator's one user (the `local` provider gives it
    as the principal, the same as the HTTP answer)."""
    return f"arn:{partition}:iam::{account}:user/{USER_NAME}"


def answer(form: bytes | str, *, account: str, partition: str) -> tuple[int, bytes]:
    """The status and XML body that answer the query-protocol request `form`."""
    text = form.decode("utf-8", "replace") if isinstance(form, bytes) else form
    fields = parse_qs(text, keep_blank_values=True)
    action = (fields.get("Action") or [""])[0]
    version = (fields.get("Version") or [""])[0]
    request_id = str(uuid.uuid4())
    if not action:
        return _error("MissingAction", "Missing Action", request_id)
    if action != "GetCallerIdentity" or version != VERSION:
        return _error(
            "InvalidAction", f"Could not find operation {action} for version {version}", request_id
        )
    body = (
        f'<GetCallerIdentityResponse xmlns="{NAMESPACE}">'
        "<GetCallerIdentityResult>"
        f"<Arn>{caller_arn(account=account, partition=partition)}</Arn>"
        f"<UserId>{USER_ID}</UserId>"
        f"<Account>{account}</Account>"
        "</GetCallerIdentityResult>"
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        "</GetCallerIdentityResponse>"
    )
    return 200, body.encode()


def _error(code: str, message: str, request_id: str) -> tuple[int, bytes]:
    body = (
        f'<ErrorResponse xmlns="{NAMESPACE}">'
        f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId>"
        "</ErrorResponse>"
    )
    return 400, body.encode()
