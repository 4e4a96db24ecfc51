"""The host an endpoint URL really reaches, decoded and normalised as HTTP clients and resolvers do.

``urlsplit`` leaves ``%2e`` alone, but botocore and urllib3 decode it; Python's IDNA codec maps
U+FF0E and U+3002 to "." and fullwidth letters to ASCII; resolvers ignore letter case and a
trailing dot; ``user@host`` connects to ``host``. So a host is judged only after all of that, and
a URL that hides its host (user information, characters no host name has) is refused outright.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote, urlsplit

# Enough for any honest URL; more rounds only serve to hide a host from a check.
MAX_DECODE_ROUNDS = 4
# What IDNA treats as a label separator (RFC 3490 section 3.1).
_DOTS = ".\u3002\uff0e\uff61"
# Letters, digits, hyphens; underscores too, since container names used as hosts have them.
_HOST_NAME = re.compile(r"[a-z0-9_-]{1,63}(\.[a-z0-9_-]{1,63})*")
_PORT = re.compile(r"[0-9]{1,5}")


class EndpointError(ValueError):
    """The URL hides its host or is not an http(s) URL; the message completes 'endpoint X ...'."""


def endpoint_host(endpoint_url: str) -> str:
    """The normalised host of ``endpoint_url`` (an IPv6 literal without brackets)."""
    if any(ord(char) <= 0x20 or ord(char) == 0x7F for char in endpoint_url):
        raise EndpointError("contains spaces or control characters")
    try:
        parts = urlsplit(endpoint_url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise EndpointError("is not an http(s) URL with a host")
    netloc = _percent_decoded(parts.netloc)
    if "@" in netloc:
        raise EndpointError("has user information before its host (user@host); give the emulator's host only")
    host = _without_port(netloc)
    if not host:
        raise EndpointError("is not an http(s) URL with a host")
    return _ipv6(host) if host.startswith("[") else _host_name(host)


def endpoint_port(endpoint_url: str) -> int:
    """The port ``endpoint_url`` reaches (after the same decoding as its host)."""
    endpoint_host(endpoint_url)  # refuses what hides its host
    netloc = _percent_decoded(urlsplit(endpoint_url).netloc)
    host = _without_port(netloc)
    port = netloc[len(host) :].lstrip(":")
    if port:
        return int(port)
    return 443 if urlsplit(endpoint_url).scheme == "https" else 80


def _percent_decoded(text: str) -> str:
    for _ in range(MAX_DECODE_ROUNDS + 1):
        try:
            decoded = unquote(text, errors="strict")
        except UnicodeDecodeError:
            raise EndpointError("has a host that is not valid UTF-8 once percent-decoded") from None
        if decoded == text:
            return text
        text = decoded
    raise EndpointError(f"has a host that is percent-encoded too many times (more than {MAX_DECODE_ROUNDS})")


def _without_port(netloc: str) -> str:
    if netloc.startswith("["):
        host, bracket, port = netloc.partition("]")
        if not bracket:
            raise EndpointError("has an IPv6 literal that is not an IPv6 address")
        host += bracket
    else:
        host, _, port = netloc.partition(":")
    if port.startswith(":"):
        port = port[1:]
    if port and not (_PORT.fullmatch(port) and 0 < int(port) < 65536):
        raise EndpointError("has a port that is not a number from 1 to 65535")
    return host


def _ipv6(host: str) -> str:
    try:
        return str(ipaddress.IPv6Address(host.removeprefix("[").removesuffix("]")))
    except ValueError:
        raise EndpointError("has an IPv6 literal that is not an IPv6 address") from None


def _host_name(host: str) -> str:
    """IDNA-encoded, lower case, no trailing dot; only characters a host name may have."""
    try:
        name = host.rstrip(_DOTS).encode("idna").decode("ascii").lower()
    except UnicodeError:
        name = None
    if not name or not _HOST_NAME.fullmatch(name):
        raise EndpointError(f"has characters not valid in a host name ({host!r})")
    return name


def in_domains(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in domains)
