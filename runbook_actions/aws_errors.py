"""Turn botocore failures into one-line runbook errors at the boundary of each AWS call."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from botocore.exceptions import (BotoCoreError, ClientError, EndpointConnectionError,
                                 NoCredentialsError)

from .exceptions import AwsCallError, NotFoundError, NotSupportedError

_NOT_FOUND = {
    "ClusterNotFoundException", "ServiceNotFoundException", "ResourceNotFoundException",
    "DBClusterNotFoundFault", "DBClusterSnapshotNotFoundFault", "NoSuchEntity",
    "ParameterNotFound", "TargetGroupNotFound", "NotFoundException", "NotFound",
    "DBInstanceNotFound",
}
_NOT_SUPPORTED = {"NotImplemented", "NotImplementedException", "InternalFailure"}


@contextmanager
def aws_call(what: str) -> Iterator[None]:
    """Wrap the AWS calls of one step; ``what`` says what was being done, for the message."""
    try:
        yield
    except ClientError as error:
        raise _translate(what, error) from None
    except EndpointConnectionError as error:
        raise AwsCallError(f"{what}: cannot reach the AWS endpoint ({error})") from None
    except NoCredentialsError:
        raise AwsCallError(f"{what}: no AWS credentials found") from None
    except BotoCoreError as error:
        raise AwsCallError(f"{what}: {error}") from None


def _translate(what: str, error: ClientError) -> Exception:
    info = error.response.get("Error", {})
    code = str(info.get("Code", "Unknown"))
    message = str(info.get("Message") or code)
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in _NOT_FOUND:
        return NotFoundError(f"{what}: {message}")
    if code in _NOT_SUPPORTED or status == 501:
        return NotSupportedError(f"{what}: not supported by this endpoint ({code})")
    return AwsCallError(f"{what}: {code}: {message}")
