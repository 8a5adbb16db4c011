"""Make the local cloud answer at AWS's pace: latency per request and per-operation quotas.

Against a plain moto server every call returns in a few milliseconds and nothing is ever
throttled, so a run's wall time says little about a run against AWS. Two switches, both
read from the environment when the server starts (both off by default):

``WARDEN_MOTO_LATENCY``
    Milliseconds every request waits before it is answered: ``50`` (fixed) or ``20-100``
    (uniformly random per request). Models the round trip to an AWS endpoint; the server
    is threaded, so waiting requests do not hold up others.

``WARDEN_MOTO_QUOTAS``
    ``aws``: a token bucket per (account, region, service, operation) for every operation in
    ``AWS_QUOTAS`` (requests per second from the AWS documentation, see the table), refilled
    at that rate and holding at most one second's worth (the burst). A request that finds
    its bucket empty is refused with the service's own throttling error, in its protocol
    (``THROTTLING``): CloudWatch Logs ``ThrottlingException`` (JSON), IAM/STS ``Throttling``
    (query XML), S3 ``SlowDown`` (503, XML), the Tagging API ``ThrottledException``...
    A JSON object instead adds to or overrides the table: ``{"logs:DescribeLogGroups": 2}``
    (``"aws"`` is implied; a rate of 0 or less removes the operation's bucket).

The bucket is checked when the request arrives, before the latency, as AWS counts a request
when it reaches the endpoint. Buckets are per account (moto's, from the access key), per
region (from the request's SigV4 scope; IAM signs with us-east-1 and is therefore one bucket
per account, like IAM's own account-wide quotas) and per operation. Counts for the
self-test and benchmarks: ``GET /moto-api/warden/pace`` answers
``{"throttled": {"service:Operation": n}, "answered": {...}}``.

Installed by one line in ``moto_server.py`` (``app = moto_pace.install(app)``); it wraps the same
entry points as ``moto_ext``'s fault injector (``BaseResponse.call_action`` and S3's
``bucket_response``/``key_response``), so every operation of every service is covered.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
import time
from typing import Any, Callable

from moto.core.responses import BaseResponse

__all__ = ["AWS_QUOTAS", "Pacer", "install"]

LATENCY_ENV = "WARDEN_MOTO_LATENCY"
QUOTAS_ENV = "WARDEN_MOTO_QUOTAS"

#: Requests per second per account and region, from the AWS documentation ("<service>
#: endpoints and quotas" pages of the AWS General Reference, and the CloudWatch Logs and
#: CloudWatch quota pages). Keys use moto's service name (the SigV4 signing name for most).
#: Where AWS publishes no figure (IAM, STS, the Tagging API, Bedrock's control plane), the
#: value is a conservative assumption, marked as such.
AWS_QUOTAS: dict[str, float] = {
    # CloudWatch Logs (cwl_region / "CloudWatch Logs quotas")
    "logs:DescribeLogGroups": 10,
    "logs:CreateLogGroup": 10,
    "logs:DeleteLogGroup": 10,
    "logs:ListTagsForResource": 5,
    "logs:TagResource": 5,
    "logs:UntagResource": 5,
    "logs:PutRetentionPolicy": 5,
    "logs:DeleteRetentionPolicy": 5,
    "logs:PutDataProtectionPolicy": 5,
    "logs:GetDataProtectionPolicy": 5,
    "logs:DeleteDataProtectionPolicy": 5,
    "logs:AssociateKmsKey": 5,
    "logs:DisassociateKmsKey": 5,
    "logs:DescribeLogStreams": 25,
    "logs:CreateLogStream": 50,
    "logs:DeleteLogStream": 15,
    "logs:GetLogEvents": 25,
    "logs:PutLogEvents": 5000,
    "logs:PutAccountPolicy": 5,
    "logs:DescribeAccountPolicies": 5,
    # CloudWatch (cloudwatch_limits)
    "cloudwatch:PutMetricAlarm": 3,
    "cloudwatch:DeleteAlarms": 3,
    "cloudwatch:DescribeAlarms": 9,
    "cloudwatch:PutDashboard": 10,
    "cloudwatch:GetDashboard": 10,
    "cloudwatch:ListDashboards": 10,
    "cloudwatch:DeleteDashboards": 10,
    # Resource Groups Tagging API: no published figure; assumed
    "tagging:GetResources": 10,
    # IAM and STS: "low, not raisable"; assumed
    "iam:GetRole": 20,
    "iam:GetRolePolicy": 20,
    "iam:CreateRole": 10,
    "iam:PutRolePolicy": 10,
    "iam:UpdateAssumeRolePolicy": 10,
    "iam:TagRole": 10,
    "sts:AssumeRole": 50,
    "sts:GetCallerIdentity": 50,
    # Bedrock control plane: assumed
    "bedrock:GetModelInvocationLoggingConfiguration": 10,
    "bedrock:PutModelInvocationLoggingConfiguration": 5,
    "bedrock:DeleteModelInvocationLoggingConfiguration": 5,
    # CloudTrail (ct-limits: 1 TPS for CreateTrail/UpdateTrail/…, 10 for Describe/Get)
    "cloudtrail:DescribeTrails": 10,
    "cloudtrail:GetTrailStatus": 10,
    "cloudtrail:GetEventSelectors": 10,
    "cloudtrail:ListTags": 10,
    "cloudtrail:CreateTrail": 1,
    "cloudtrail:UpdateTrail": 1,
    "cloudtrail:PutEventSelectors": 1,
    "cloudtrail:StartLogging": 1,
    "cloudtrail:StopLogging": 1,
    "cloudtrail:AddTags": 1,
    # S3: per prefix, thousands per second; bucket configuration calls assumed
    "s3:HeadBucket": 100,
    "s3:GetBucketPolicy": 100,
    "s3:GetBucketEncryption": 100,
    "s3:GetPublicAccessBlock": 100,
    "s3:GetBucketTagging": 100,
}

#: The throttling error each service answers with: (status, code, message).
THROTTLING: dict[str, tuple[int, str, str]] = {
    "logs": (400, "ThrottlingException", "Rate exceeded"),
    "cloudwatch": (400, "Throttling", "Rate exceeded"),
    "monitoring": (400, "Throttling", "Rate exceeded"),
    "iam": (400, "Throttling", "Rate exceeded"),
    "sts": (400, "Throttling", "Rate exceeded"),
    "s3": (503, "SlowDown", "Please reduce your request rate."),
    "tagging": (400, "ThrottledException", "Rate exceeded"),
    "resourcegroupstaggingapi": (400, "ThrottledException", "Rate exceeded"),
    "bedrock": (429, "ThrottlingException", "Too many requests, please wait before trying again."),
    "cloudtrail": (400, "ThrottlingException", "Rate exceeded"),
    "events": (400, "ThrottlingException", "Rate exceeded"),
    "sns": (400, "Throttled", "Rate exceeded"),
    "organizations": (400, "TooManyRequestsException", "AWS Organizations can't complete your request because another request is already in progress. Try again later."),
}
DEFAULT_THROTTLING = (400, "ThrottlingException", "Rate exceeded")

_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


def parse_latency(raw: str) -> tuple[float, float] | None:
    """``"50"`` → (0.05, 0.05); ``"20-100"`` → (0.02, 0.1); empty → None."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        low, _, high = raw.partition("-")
        lo, hi = float(low), float(high or low)
    except ValueError as exc:
        raise ValueError(f"{LATENCY_ENV} must be milliseconds (50) or a range (20-100), not {raw!r}") from exc
    if lo < 0 or hi < lo:
        raise ValueError(f"{LATENCY_ENV}: a range must be low-high with 0 <= low <= high, not {raw!r}")
    return lo / 1000.0, hi / 1000.0


def parse_quotas(raw: str) -> dict[str, float] | None:
    """``"aws"`` → the table; a JSON object → the table with its entries over it; empty → None."""
    raw = raw.strip()
    if not raw:
        return None
    if raw == "aws":
        return dict(AWS_QUOTAS)
    try:
        extra = json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"{QUOTAS_ENV} must be `aws` or a JSON object of rates: {exc}") from exc
    if not isinstance(extra, dict):
        raise ValueError(f"{QUOTAS_ENV} must be `aws` or a JSON object of rates")
    quotas = dict(AWS_QUOTAS)
    for key, rate in extra.items():
        if ":" not in key or not isinstance(rate, (int, float)):
            raise ValueError(f"{QUOTAS_ENV}: entry {key!r} must be 'service:Operation' -> requests per second")
        if rate <= 0:
            quotas.pop(key, None)
        else:
            quotas[key] = float(rate)
    return quotas


class Pacer:
    """Latency and token buckets, shared by every request thread."""

    def __init__(self, latency: tuple[float, float] | None, quotas: dict[str, float] | None) -> None:
        self.latency = latency
        self.quotas = quotas or {}
        self._lock = threading.Lock()
        # (account, region, key) -> (tokens, last refill time)
        self._buckets: dict[tuple[str, str, str], tuple[float, float]] = {}
        self.throttled: dict[str, int] = {}
        self.answered: dict[str, int] = {}

    @classmethod
    def from_env(cls) -> "Pacer":
        return cls(
            parse_latency(os.environ.get(LATENCY_ENV, "")),
            parse_quotas(os.environ.get(QUOTAS_ENV, "")),
        )

    def __bool__(self) -> bool:
        return self.latency is not None or bool(self.quotas)

    def admit(self, services: list[str], operation: str, account: str, region: str) -> str | None:
        """Take a token; return the service whose bucket is empty (throttle), else None."""
        for service in services:
            key = f"{service}:{operation}"
            rate = self.quotas.get(key)
            if rate is None:
                continue
            now = time.monotonic()
            with self._lock:
                tokens, last = self._buckets.get((account, region, key), (rate, now))
                tokens = min(rate, tokens + (now - last) * rate)
                if tokens < 1.0:
                    self._buckets[(account, region, key)] = (tokens, now)
                    self.throttled[key] = self.throttled.get(key, 0) + 1
                    return service
                self._buckets[(account, region, key)] = (tokens - 1.0, now)
                self.answered[key] = self.answered.get(key, 0) + 1
            return None
        return None

    def wait(self) -> None:
        if self.latency is not None:
            low, high = self.latency
            time.sleep(low if high == low else random.uniform(low, high))

    def counts(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {"throttled": dict(self.throttled), "answered": dict(self.answered)}


PACER = Pacer.from_env()


def _throttle_response(service: str, boto3_service: str) -> Any:
    from moto_ext import FaultInjector
    from moto.core.utils import get_service_model

    status, code, message = THROTTLING.get(service) or THROTTLING.get(boto3_service) or DEFAULT_THROTTLING
    protocol, json_version = "json", "1.1"
    try:
        metadata = get_service_model(boto3_service).metadata
        # Newer models name several protocols, CBOR first (the Tagging API, CloudWatch): moto
        # speaks the first one it knows, and moto_cbor.py turns a JSON error into CBOR.
        spoken = [p for p in metadata.get("protocols", []) if p in ("json", "rest-json", "query", "rest-xml", "ec2")]
        protocol = spoken[0] if spoken else metadata.get("protocol", protocol)
        json_version = metadata.get("jsonVersion", json_version)
    except Exception:
        pass
    return FaultInjector.render(protocol, json_version, {"status": status, "code": code, "message": message})


def _account_and_region(headers: Any, fallback_account: str | None, fallback_region: str | None) -> tuple[str, str]:
    found = _SCOPE.search(headers.get("Authorization", "") or "")
    region = fallback_region or (found.group(2) if found else "us-east-1")
    if fallback_account:
        return fallback_account, region
    account = "123456789012"
    if found:
        try:
            from moto.iam.models import get_account_id_from

            account = get_account_id_from(found.group(1))
        except Exception:
            pass
    return account, region


def _paced(response: BaseResponse, operation: str | None, account: str, region: str, headers: Any) -> Any:
    """The throttling answer for this request, or None after the latency. The operation's
    bucket is looked up under the SigV4 signing name (``tagging``), then moto's names."""
    if operation and PACER.quotas:
        signed = _SCOPE.search((headers or {}).get("Authorization", "") or "")
        names = (signed.group(3) if signed else "", response.service_name or "", response.boto3_service_name)
        services = [s for s in dict.fromkeys(names) if s]
        empty = PACER.admit(services, operation, account, region)
        if empty is not None:
            PACER.wait()
            return _throttle_response(empty, response.boto3_service_name)
    PACER.wait()
    return None


def install(app: Any) -> Any:
    """Wraps moto's entry points when a switch is set; returns ``app`` with the counts route."""
    if PACER:
        _wrap_entry_points()
    return CountsMiddleware(app)


def _wrap_entry_points() -> None:
    from moto.s3.responses import S3Response

    original_call_action: Callable[[BaseResponse], Any] = BaseResponse.call_action

    def call_action(self: BaseResponse) -> Any:
        try:
            operation = self._get_action()
        except Exception:
            operation = None
        found = _paced(self, operation, self.current_account, self.region, self.headers)
        return found if found is not None else original_call_action(self)

    BaseResponse.call_action = call_action  # type: ignore[method-assign]

    def s3_entry(original: Any) -> Any:
        def wrapper(self: Any, request: Any, full_url: str, headers: Any) -> Any:
            try:
                operation = self._get_action_from_method_and_request_uri(request)
            except Exception:
                operation = None
            account, region = _account_and_region(request.headers, None, None)
            found = _paced(self, operation, account, region, request.headers)
            return found if found is not None else original(self, request, full_url, headers)

        wrapper.__doc__ = original.__doc__
        return wrapper

    S3Response.bucket_response = s3_entry(S3Response.bucket_response)
    S3Response.key_response = s3_entry(S3Response.key_response)


class CountsMiddleware:
    """WSGI: ``GET /moto-api/warden/pace`` answers the pacer's counts; the rest passes."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == "/moto-api/warden/pace":
            body = json.dumps(PACER.counts()).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return self.app(environ, start_response)
