"""Turn botocore failures into one-line runbook errors at the boundary of each AWS call."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

from .exceptions import AwsCallError, NotFoundError, NotSupportedError

if TYPE_CHECKING:
    from botocore.exceptions import ClientError

_NOT_FOUND = {
    "ClusterNotFoundException",
    "ServiceNotFoundException",
    "ResourceNotFoundException",
    "DBClusterNotFoundFault",
    "DBClusterSnapshotNotFoundFault",
    "NoSuchEntity",
    "ParameterNotFound",
    "TargetGroupNotFound",
    "NotFoundException",
    "NotFound",
    "DBInstanceNotFound",
}
_NOT_SUPPORTED = {"NotImplemented", "NotImplementedException"}
# LocalStack answers an unimplemented API with 501 InternalFailure; AWS uses InternalFailure
# with 500 for its own transient faults, which are retried and then reported, never "unsupported".
_UNIMPLEMENTED_STATUS = 501


@contextmanager
def aws_call(what: str) -> Iterator[None]:
    """Wrap the AWS calls of one step; ``what`` says what was being done, for the message."""
    # Imported here, not at the top, so that --help and a refused argument load no botocore.
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

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
    metadata = error.response.get("ResponseMetadata", {})
    status = metadata.get("HTTPStatusCode")
    if code in _NOT_FOUND:
        return NotFoundError(f"{what}: {message}")
    if code in _NOT_SUPPORTED or status == _UNIMPLEMENTED_STATUS:
        return NotSupportedError(f"{what}: not supported by this endpoint ({code})")
    return AwsCallError(f"{what}: {code}: {message}{_attempts(metadata)}")


def _attempts(metadata: dict[str, Any]) -> str:
    """How hard the client tried, so a throttled call reads as given up, not as a bug."""
    retries = metadata.get("RetryAttempts") or 0
    if not retries:
        return ""
    return f" (gave up after {retries + 1} attempts)"
