"""Extensions to moto 5.2.5 for the bedrock-warden local-cloud harness.

Importing this module monkeypatches moto in place; it must be imported before
the first request is served (``moto_server.py`` does so). Two independent parts:

1. CloudWatch Logs operations that moto 5.2.5 lacks or implements only in part.
   Request and response shapes follow the botocore model
   ``botocore/data/logs/2014-03-28/service-2.json`` (protocol ``json`` 1.1,
   target prefix ``Logs_20140328``):

   * ``AssociateKmsKey`` / ``DisassociateKmsKey``: not implemented by moto.
   * ``DescribeLogGroups``: moto ignores ``logGroupIdentifiers`` (returns every
     group) and ``logGroupNamePattern``, and never reports ``dataProtectionStatus``.
   * ``PutDataProtectionPolicy`` / ``GetDataProtectionPolicy`` /
     ``DeleteDataProtectionPolicy``: not implemented by moto.
   * ``PutAccountPolicy`` / ``DescribeAccountPolicies`` / ``DeleteAccountPolicy``:
     not implemented by moto.

   moto's ``LogsResponse.call_action`` looks an operation up as a method named
   after it in snake_case, so adding a method to ``LogsResponse`` adds an
   operation. Log group state is kept on moto's own ``LogGroup`` objects, so it
   is per account and region and goes away with the group (or a
   ``/moto-api/reset``); account policies are kept on the ``LogsBackend``,
   which moto instantiates per account and region, and go with a reset too.

2. A fault-injection hook (``WARDEN_MOTO_FAULTS``), see ``FaultInjector`` below.

3. ``sts:AssumeRole`` honours a role's ``sts:ExternalId`` condition. moto lets any
   caller assume any role ARN (the role need not exist). Where the role does
   exist in the target account and every ``Allow`` statement of its trust policy
   requires ``StringEquals: {sts:ExternalId: …}``, a call without a matching
   ``ExternalId`` is refused with ``AccessDenied`` (HTTP 403), as AWS does; roles
   that do not exist behave as moto always did.

4. CloudTrail: CreateTrail refuses an existing name and a bucket policy that
   does not let CloudTrail write; HasCustomEventSelectors is truthful; a trail
   holds one kind of event selectors; PutEventSelectors validates them. See the
   comment at the head of Part 4.

5. EventBridge: CreateConnection refuses an existing name; UpdateConnection
   merges the auth parameters and updates the connection's secret (and
   authorizes it again); DeauthorizeConnection makes it DEAUTHORIZED;
   CreateApiDestination refuses an unknown connection or an existing name;
   PutTargets enforces 5 targets per rule and can report partial failures;
   TestEventPattern answers. See the comment at the head of Part 5.

6. SNS: email subscriptions stay pending until ConfirmSubscription, as in AWS.
   See the comment at the head of Part 6.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

from moto.core.responses import BaseResponse
from moto.core.utils import get_service_model
from moto.logs.exceptions import (
    InvalidParameterException,
    LogsClientError,
    ResourceNotFoundException,
)
from moto.logs.models import LogGroup, LogsBackend
from moto.logs.responses import LogsResponse
from moto.logs.utils import PAGINATION_MODEL
from moto.utilities.aws_headers import gen_amzn_requestid_long
from moto.utilities.paginator import paginate

__all__ = ["FAULTS", "FaultInjector", "install"]

# --------------------------------------------------------------------------
# Part 1: CloudWatch Logs
# --------------------------------------------------------------------------

#: ``DataProtectionPolicyDocument`` is limited to 30,720 characters (API reference).
MAX_POLICY_DOCUMENT_CHARS = 30720
#: ``DescribeLogGroupsLogGroupIdentifiers``: list, min 1, max 50.
MAX_LOG_GROUP_IDENTIFIERS = 50
#: ``PolicyType`` enum of the model (PutAccountPolicy and friends).
ACCOUNT_POLICY_TYPES = (
    "DATA_PROTECTION_POLICY",
    "SUBSCRIPTION_FILTER_POLICY",
    "FIELD_INDEX_POLICY",
    "TRANSFORMER_POLICY",
    "METRIC_EXTRACTION_POLICY",
    "RETENTION_POLICY",
)
#: How many account policies of a type one account may have per Region, as the
#: PutAccountPolicy reference states: one data protection policy, one
#: subscription filter policy, up to 20 transformer policies, 20 + 20 field
#: index policies (log group prefix / data source criteria), 5 metric
#: extraction policies, 20 retention policies.
ACCOUNT_POLICY_LIMITS = {
    "DATA_PROTECTION_POLICY": 1,
    "SUBSCRIPTION_FILTER_POLICY": 1,
    "FIELD_INDEX_POLICY": 40,
    "TRANSFORMER_POLICY": 20,
    "METRIC_EXTRACTION_POLICY": 5,
    "RETENTION_POLICY": 20,
}
#: ``selectionCriteria`` "can be up to 25KB in length ... its UTF-8 bytes".
MAX_SELECTION_CRITERIA_BYTES = 25 * 1024


def _now_millis() -> int:
    return int(time.time() * 1000)


def _log_group_name_from_identifier(backend: LogsBackend, identifier: str) -> str:
    """Map a ``LogGroupIdentifier`` (name or ARN) to a log group name.

    Accepts ``arn:<partition>:logs:<region>:<account>:log-group:<name>`` with or
    without the trailing ``:*``. An ARN of another account or region names a
    group that this backend cannot hold, so it is reported as not found.
    """
    if not identifier.startswith("arn:"):
        return identifier
    parts = identifier.split(":")
    if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group" or not parts[6]:
        raise InvalidParameterException(
            f"Invalid log group identifier: {identifier}"
        )
    if parts[3] != backend.region_name or parts[4] != backend.account_id:
        raise ResourceNotFoundException()
    return parts[6]


def _get_log_group(backend: LogsBackend, identifier: str) -> LogGroup:
    name = _log_group_name_from_identifier(backend, identifier)
    group = backend.groups.get(name)
    if group is None:
        # Same exception and message moto raises for other log group operations.
        raise ResourceNotFoundException()
    return group


# ---- LogGroup: data protection state and describe output --------------------

_original_to_describe_dict = LogGroup.to_describe_dict


def _log_group_to_describe_dict(self: LogGroup) -> dict[str, Any]:
    """``LogGroup`` shape of DescribeLogGroups, plus ``dataProtectionStatus``.

    moto never reports ``dataProtectionStatus``. AWS documents it as showing
    "whether this log group has a protection policy, or whether it had one in
    the past": ``ACTIVATED`` while a policy is set, ``DELETED`` after
    DeleteDataProtectionPolicy, absent for a group that never had one.
    """
    result = _original_to_describe_dict(self)
    status = getattr(self, "data_protection_status", None)
    if status:
        result["dataProtectionStatus"] = status
    return result


# ---- LogsBackend ------------------------------------------------------------


def associate_kms_key(self: LogsBackend, log_group_name: str, kms_key_id: str) -> None:
    """Backend of AssociateKmsKey: sets ``kmsKeyId`` on an existing log group."""
    _get_log_group(self, log_group_name).kms_key_id = kms_key_id


def disassociate_kms_key(self: LogsBackend, log_group_name: str) -> None:
    """Backend of DisassociateKmsKey: clears ``kmsKeyId`` on an existing log group."""
    _get_log_group(self, log_group_name).kms_key_id = None


@paginate(pagination_model=PAGINATION_MODEL)
def describe_log_groups(
    self: LogsBackend,
    log_group_name_prefix: str | None = None,
    log_group_identifiers: list[str] | None = None,
    log_group_name_pattern: str | None = None,
) -> list[LogGroup]:
    """Backend of DescribeLogGroups, replacing moto's (same name, same pagination
    model, so ``limit``/``nextToken`` behave exactly as in moto).

    Adds the ``logGroupIdentifiers`` filter (names or ARNs; identifiers that name
    no existing group are left out, as AWS does) and the case-sensitive substring
    filter ``logGroupNamePattern``. Results are sorted by name, as AWS does.
    """
    groups = list(self.groups.values())
    if log_group_identifiers is not None:
        wanted = set()
        for identifier in log_group_identifiers:
            try:
                wanted.add(_log_group_name_from_identifier(self, identifier))
            except ResourceNotFoundException:
                continue  # an ARN of another account/region: nothing to return
        groups = [g for g in groups if g.name in wanted]
    if log_group_name_prefix:
        groups = [g for g in groups if g.name.startswith(log_group_name_prefix)]
    if log_group_name_pattern:
        groups = [g for g in groups if log_group_name_pattern in g.name]
    return sorted(groups, key=lambda g: g.name)


def put_data_protection_policy(
    self: LogsBackend, log_group_identifier: str, policy_document: str
) -> LogGroup:
    """Backend of PutDataProtectionPolicy: stores the document on the log group."""
    group = _get_log_group(self, log_group_identifier)
    group.data_protection_policy = policy_document
    group.data_protection_updated = _now_millis()
    group.data_protection_status = "ACTIVATED"
    return group


def get_data_protection_policy(self: LogsBackend, log_group_identifier: str) -> LogGroup:
    """Backend of GetDataProtectionPolicy: the log group, whose policy may be unset."""
    return _get_log_group(self, log_group_identifier)


def delete_data_protection_policy(self: LogsBackend, log_group_identifier: str) -> None:
    """Backend of DeleteDataProtectionPolicy; ResourceNotFoundException if unset."""
    group = _get_log_group(self, log_group_identifier)
    if getattr(group, "data_protection_policy", None) is None:
        raise ResourceNotFoundException(
            "The specified data protection policy does not exist."
        )
    group.data_protection_policy = None
    group.data_protection_updated = _now_millis()
    group.data_protection_status = "DELETED"


# ---- LogsResponse (one method per operation) --------------------------------


def _require(response: LogsResponse, name: str) -> Any:
    value = response._get_param(name)
    if value is None or value == "":
        raise InvalidParameterException(
            f"1 validation error detected: Value null at '{name}' failed to satisfy "
            "constraint: Member must not be null"
        )
    return value


def _log_group_target(response: LogsResponse) -> str:
    """The log group that an AssociateKmsKey/DisassociateKmsKey request names.

    The request takes ``logGroupName`` or ``resourceIdentifier`` (never both).
    ``resourceIdentifier`` is accepted when it is a log group ARN; the account
    level ``query-result`` resource is not modelled and is rejected.
    """
    name = response._get_param("logGroupName")
    resource = response._get_param("resourceIdentifier")
    if name and resource:
        raise InvalidParameterException(
            "You must specify either logGroupName or resourceIdentifier, but not both."
        )
    if resource:
        if ":log-group:" not in resource:
            raise InvalidParameterException(
                "This harness supports only log group ARNs as resourceIdentifier "
                f"(query-result resources are not modelled): {resource}"
            )
        return resource
    if not name:
        raise InvalidParameterException(
            "You must specify either logGroupName or resourceIdentifier."
        )
    return name


def response_associate_kms_key(self: LogsResponse) -> str:
    """Mirrors CloudWatch Logs AssociateKmsKey (moto 5.2.5 lacks it).

    Input ``AssociateKmsKeyRequest`` {logGroupName | resourceIdentifier, kmsKeyId};
    no output. The key must be given as a KMS key ARN, as AWS requires; whether
    the key exists in moto's KMS is not checked. Errors: InvalidParameterException,
    ResourceNotFoundException.
    """
    target = _log_group_target(self)
    kms_key_id = _require(self, "kmsKeyId")
    if len(kms_key_id) > 256 or not (
        kms_key_id.startswith("arn:") and kms_key_id.split(":")[2:3] == ["kms"]
    ):
        raise InvalidParameterException(
            f"Specified KMS key {kms_key_id} is not a valid KMS key ARN."
        )
    self.logs_backend.associate_kms_key(target, kms_key_id)
    return ""


def response_disassociate_kms_key(self: LogsResponse) -> str:
    """Mirrors CloudWatch Logs DisassociateKmsKey (moto 5.2.5 lacks it).

    Input ``DisassociateKmsKeyRequest`` {logGroupName | resourceIdentifier};
    no output. Clears the group's ``kmsKeyId`` (a no-op if none is set).
    """
    self.logs_backend.disassociate_kms_key(_log_group_target(self))
    return ""


def response_describe_log_groups(self: LogsResponse) -> str:
    """Mirrors CloudWatch Logs DescribeLogGroups, replacing moto's handler.

    moto 5.2.5 ignores ``logGroupIdentifiers`` and ``logGroupNamePattern``. Per
    the model, ``logGroupIdentifiers`` (1 to 50 names or ARNs) excludes the other
    filters, and ``logGroupNamePrefix`` and ``logGroupNamePattern`` exclude each
    other: such combinations raise InvalidParameterException. With a pattern,
    only ``arn``, ``creationTime`` and ``logGroupName`` are returned, as
    documented. ``nextToken`` is left out of the response when there is none.
    """
    prefix = self._get_param("logGroupNamePrefix")
    pattern = self._get_param("logGroupNamePattern")
    identifiers = self._get_param("logGroupIdentifiers")
    next_token = self._get_param("nextToken")
    limit = self._get_param("limit", 50)
    if not isinstance(limit, int) or not 1 <= limit <= 50:
        raise InvalidParameterException(
            constraint="Member must have value between 1 and 50",
            parameter="limit",
            value=limit,
        )
    if identifiers is not None:
        if not isinstance(identifiers, list) or not (
            1 <= len(identifiers) <= MAX_LOG_GROUP_IDENTIFIERS
        ):
            raise InvalidParameterException(
                constraint="Member must have length between 1 and 50",
                parameter="logGroupIdentifiers",
                value=identifiers,
            )
        if prefix or pattern:
            raise InvalidParameterException(
                "If you specify logGroupIdentifiers, you can't specify "
                "logGroupNamePrefix or logGroupNamePattern."
            )
    if prefix and pattern:
        raise InvalidParameterException(
            "logGroupNamePrefix and logGroupNamePattern are mutually exclusive. "
            "Only one of these parameters can be passed."
        )
    groups, next_token = self.logs_backend.describe_log_groups(
        limit=limit,
        next_token=next_token,
        log_group_name_prefix=prefix,
        log_group_identifiers=identifiers,
        log_group_name_pattern=pattern,
    )
    described = [g.to_describe_dict() for g in groups]
    if pattern:
        keep = ("arn", "creationTime", "logGroupName")
        described = [{k: d[k] for k in keep if k in d} for d in described]
    result: dict[str, Any] = {"logGroups": described}
    if next_token:
        result["nextToken"] = next_token
    return json.dumps(result)


def _validate_policy_document(document: str) -> None:
    """A data protection policy must be a JSON object with ``Name``, ``Version``
    and a ``Statement`` list (AWS additionally checks the statements' content,
    which is not modelled here)."""
    if len(document) > MAX_POLICY_DOCUMENT_CHARS:
        raise InvalidParameterException(
            constraint=f"Member must have length less than or equal to {MAX_POLICY_DOCUMENT_CHARS}",
            parameter="policyDocument",
            value="...",
        )
    try:
        policy = json.loads(document)
    except ValueError as exc:
        raise InvalidParameterException(f"Invalid policy document: not JSON ({exc})")
    if not isinstance(policy, dict):
        raise InvalidParameterException("Invalid policy document: must be a JSON object")
    missing = [k for k in ("Name", "Version", "Statement") if k not in policy]
    if missing:
        raise InvalidParameterException(
            f"Invalid policy document: missing required field(s) {', '.join(missing)}"
        )
    if not isinstance(policy["Statement"], list) or not policy["Statement"]:
        raise InvalidParameterException(
            "Invalid policy document: Statement must be a non-empty list"
        )


def response_put_data_protection_policy(self: LogsResponse) -> str:
    """Mirrors CloudWatch Logs PutDataProtectionPolicy (moto 5.2.5 lacks it).

    Input {logGroupIdentifier (name or ARN), policyDocument}; output
    ``PutDataProtectionPolicyResponse`` {logGroupIdentifier (as given),
    policyDocument, lastUpdatedTime (epoch millis)}. Replaces any earlier policy.
    """
    identifier = _require(self, "logGroupIdentifier")
    document = _require(self, "policyDocument")
    _validate_policy_document(document)
    group = self.logs_backend.put_data_protection_policy(identifier, document)
    return json.dumps(
        {
            "logGroupIdentifier": identifier,
            "policyDocument": group.data_protection_policy,
            "lastUpdatedTime": group.data_protection_updated,
        }
    )


def response_get_data_protection_policy(self: LogsResponse) -> str:
    """Mirrors CloudWatch Logs GetDataProtectionPolicy (moto 5.2.5 lacks it).

    Output ``GetDataProtectionPolicyResponse``: {logGroupIdentifier,
    policyDocument, lastUpdatedTime}. For an existing group without a policy
    only ``logGroupIdentifier`` is returned (every member is optional in the
    model); a missing group is ResourceNotFoundException.
    """
    identifier = _require(self, "logGroupIdentifier")
    group = self.logs_backend.get_data_protection_policy(identifier)
    result: dict[str, Any] = {"logGroupIdentifier": identifier}
    document = getattr(group, "data_protection_policy", None)
    if document is not None:
        result["policyDocument"] = document
        result["lastUpdatedTime"] = group.data_protection_updated
    return json.dumps(result)


def response_delete_data_protection_policy(self: LogsResponse) -> str:
    """Mirrors CloudWatch Logs DeleteDataProtectionPolicy (moto 5.2.5 lacks it).

    No output; ResourceNotFoundException if the group is missing or has no policy.
    """
    identifier = _require(self, "logGroupIdentifier")
    self.logs_backend.delete_data_protection_policy(identifier)
    return "{}"


# ---- Account policies (PutAccountPolicy and friends) -------------------------


class LimitExceededException(LogsClientError):
    """moto's ``LimitExceededException`` with a message of our own (moto's
    takes none)."""

    def __init__(self, msg: str) -> None:
        self.code = 400
        super().__init__("LimitExceededException", msg)


class AccountPolicy:
    """One CloudWatch Logs account policy (model shape ``AccountPolicy``)."""

    def __init__(
        self,
        account_id: str,
        policy_name: str,
        policy_type: str,
        policy_document: str,
        scope: str,
        selection_criteria: str | None,
    ) -> None:
        self.account_id = account_id
        self.policy_name = policy_name
        self.policy_type = policy_type
        self.policy_document = policy_document
        self.scope = scope
        self.selection_criteria = selection_criteria
        self.last_updated_time = _now_millis()

    def to_dict(self) -> dict[str, Any]:
        """The ``AccountPolicy`` structure; ``selectionCriteria`` only when set."""
        result: dict[str, Any] = {
            "policyName": self.policy_name,
            "policyDocument": self.policy_document,
            "lastUpdatedTime": self.last_updated_time,
            "policyType": self.policy_type,
            "scope": self.scope,
        }
        if self.selection_criteria is not None:
            result["selectionCriteria"] = self.selection_criteria
        result["accountId"] = self.account_id
        return result


def _account_policies(backend: LogsBackend) -> dict[tuple[str, str], AccountPolicy]:
    """The backend's account policies, keyed by (policyType, policyName).

    Kept in the instance ``__dict__`` (created on first use), so it is per
    account and region like the backend itself and is emptied by moto's
    ``reset()``, which clears ``__dict__`` and re-runs ``__init__``.
    """
    return backend.__dict__.setdefault("account_policies", {})


def put_account_policy(
    self: LogsBackend,
    policy_name: str,
    policy_type: str,
    policy_document: str,
    scope: str,
    selection_criteria: str | None,
) -> AccountPolicy:
    """Backend of PutAccountPolicy: creates or replaces the (type, name) policy.

    A new name beyond the type's quota (``ACCOUNT_POLICY_LIMITS``; for a data
    protection or subscription filter policy: any second name) is
    LimitExceededException; the existing policy is left as it was.
    """
    policies = _account_policies(self)
    key = (policy_type, policy_name)
    if key not in policies:
        existing = sorted(n for (t, n) in policies if t == policy_type)
        limit = ACCOUNT_POLICY_LIMITS[policy_type]
        if len(existing) >= limit:
            if limit == 1:
                raise LimitExceededException(
                    f"This account already has a {policy_type} account policy "
                    f"({existing[0]}); an account can have only one. To update it, "
                    "specify its policyName, or delete it first."
                )
            raise LimitExceededException(
                f"An account can have at most {limit} account policies of type "
                f"{policy_type} per Region."
            )
    policy = AccountPolicy(
        self.account_id, policy_name, policy_type, policy_document, scope, selection_criteria
    )
    policies[key] = policy
    return policy


def describe_account_policies(
    self: LogsBackend,
    policy_type: str,
    policy_name: str | None = None,
    account_identifiers: list[str] | None = None,
) -> list[AccountPolicy]:
    """Backend of DescribeAccountPolicies: this account's policies of the type,
    sorted by name. ``account_identifiers`` naming other accounts only (a
    monitoring account's source accounts, which are not modelled) yields none."""
    if account_identifiers and self.account_id not in account_identifiers:
        return []
    return sorted(
        (
            p
            for (t, n), p in _account_policies(self).items()
            if t == policy_type and (policy_name is None or n == policy_name)
        ),
        key=lambda p: p.policy_name,
    )


def delete_account_policy(self: LogsBackend, policy_name: str, policy_type: str) -> None:
    """Backend of DeleteAccountPolicy; ResourceNotFoundException if there is no
    policy of that type and name."""
    if _account_policies(self).pop((policy_type, policy_name), None) is None:
        raise ResourceNotFoundException(
            f"Policy with name [{policy_name}] and type [{policy_type}] does not exist."
        )


def _policy_type_param(response: LogsResponse) -> str:
    policy_type = _require(response, "policyType")
    if policy_type not in ACCOUNT_POLICY_TYPES:
        raise InvalidParameterException(
            constraint="Member must satisfy enum value set: ["
            + ", ".join(ACCOUNT_POLICY_TYPES)
            + "]",
            parameter="policyType",
            value=policy_type,
        )
    return policy_type


def _reject_dry_run(response: LogsResponse, policy_type: str) -> None:
    """``dryRun`` is valid only with ``RETENTION_POLICY`` (model docs), and the
    harness does not compute a ``DryRunResult``: ``dryRun: true`` is always
    InvalidParameterException here, with a message saying which case it is."""
    if response._get_param("dryRun"):
        if policy_type != "RETENTION_POLICY":
            raise InvalidParameterException(
                "dryRun is valid only when policyType is RETENTION_POLICY."
            )
        raise InvalidParameterException(
            "This harness does not model dryRun (DryRunResult) for retention policies."
        )


def response_put_account_policy(self: LogsResponse) -> str:
    """Mirrors CloudWatch Logs PutAccountPolicy (moto 5.2.5 lacks it).

    Input ``PutAccountPolicyRequest`` {policyName, policyDocument, policyType,
    scope?, selectionCriteria?, dryRun?}; output ``PutAccountPolicyResponse``
    {accountPolicy: AccountPolicy}. Putting an existing (type, name) replaces
    it and refreshes ``lastUpdatedTime``.

    Checks (all InvalidParameterException): ``policyType`` in the model's enum;
    ``scope`` only ``ALL`` (the default); ``policyName`` not starting with
    ``aws/``; ``policyDocument`` JSON of at most 30,720 characters, and for
    ``DATA_PROTECTION_POLICY`` the same document checks as
    PutDataProtectionPolicy; ``selectionCriteria`` at most 25 KB and not with a
    data protection policy (the only type the docs give no selection criteria
    for); ``dryRun: true``. The other policy types' documents and selection
    criteria are stored as given, without checking their content or overlap.
    Quotas per type: see ``put_account_policy``.
    """
    policy_name = _require(self, "policyName")
    policy_document = _require(self, "policyDocument")
    policy_type = _policy_type_param(self)
    scope = self._get_param("scope") or "ALL"
    selection_criteria = self._get_param("selectionCriteria")
    if scope != "ALL":
        raise InvalidParameterException(
            constraint="Member must satisfy enum value set: [ALL]",
            parameter="scope",
            value=scope,
        )
    if policy_name.startswith("aws/"):
        raise InvalidParameterException(
            f"Invalid policyName {policy_name}: a policy name cannot start with aws/."
        )
    _reject_dry_run(self, policy_type)
    if policy_type == "DATA_PROTECTION_POLICY":
        _validate_policy_document(policy_document)
        if selection_criteria is not None:
            raise InvalidParameterException(
                "selectionCriteria is not supported for DATA_PROTECTION_POLICY."
            )
    else:
        if len(policy_document) > MAX_POLICY_DOCUMENT_CHARS:
            raise InvalidParameterException(
                constraint=f"Member must have length less than or equal to {MAX_POLICY_DOCUMENT_CHARS}",
                parameter="policyDocument",
                value="...",
            )
        try:
            json.loads(policy_document)
        except ValueError as exc:
            raise InvalidParameterException(f"Invalid policy document: not JSON ({exc})")
    if selection_criteria is not None and (
        len(selection_criteria.encode("utf-8")) > MAX_SELECTION_CRITERIA_BYTES
    ):
        raise InvalidParameterException(
            constraint=f"Member must have length less than or equal to {MAX_SELECTION_CRITERIA_BYTES} bytes",
            parameter="selectionCriteria",
            value="...",
        )
    policy = self.logs_backend.put_account_policy(
        policy_name, policy_type, policy_document, scope, selection_criteria
    )
    return json.dumps({"accountPolicy": policy.to_dict()})


def response_describe_account_policies(self: LogsResponse) -> str:
    """Mirrors CloudWatch Logs DescribeAccountPolicies (moto 5.2.5 lacks it).

    Input {policyType, policyName?, accountIdentifiers?, nextToken?}; output
    ``DescribeAccountPoliciesResponse`` {accountPolicies: [AccountPolicy]},
    sorted by name, everything on one page (no ``nextToken`` is issued, so a
    given one is InvalidParameterException). No match is an empty list, not an
    error. ``accountIdentifiers``: at most one 12-digit account ID (the model
    allows 20, the docs say "Currently, you can specify only one"); naming the
    caller's own account is the same as leaving it out, naming another returns
    an empty list (no monitoring-account links are modelled).
    """
    policy_type = _policy_type_param(self)
    policy_name = self._get_param("policyName")
    account_identifiers = self._get_param("accountIdentifiers")
    if self._get_param("nextToken"):
        raise InvalidParameterException("The specified nextToken is invalid.")
    if account_identifiers is not None:
        if not isinstance(account_identifiers, list) or len(account_identifiers) > 1:
            raise InvalidParameterException(
                "Currently, you can specify only one account ID in accountIdentifiers."
            )
        for account in account_identifiers:
            if not (isinstance(account, str) and len(account) == 12 and account.isdigit()):
                raise InvalidParameterException(
                    constraint="Member must satisfy regular expression pattern: ^\\d{12}$",
                    parameter="accountIdentifiers",
                    value=account,
                )
    policies = self.logs_backend.describe_account_policies(
        policy_type, policy_name, account_identifiers
    )
    return json.dumps({"accountPolicies": [p.to_dict() for p in policies]})


def response_delete_account_policy(self: LogsResponse) -> str:
    """Mirrors CloudWatch Logs DeleteAccountPolicy (moto 5.2.5 lacks it).

    Input {policyName, policyType, dryRun?}; no output (``{}``; ``dryRunResult``
    is not modelled, see ``_reject_dry_run``). ResourceNotFoundException when no
    policy of that type has that name.
    """
    policy_name = _require(self, "policyName")
    policy_type = _policy_type_param(self)
    _reject_dry_run(self, policy_type)
    self.logs_backend.delete_account_policy(policy_name, policy_type)
    return "{}"


def log_groups_for_tagging(self: LogsBackend) -> Any:
    """The log groups as the Resource Groups Tagging API lists them: resource type
    ``logs:log-group`` (moto says ``logs:loggroup``, so a ``ResourceTypeFilters`` of
    ``logs:log-group``, as AWS documents it, found nothing) and the ARN without ``:*``."""
    from moto.core.resource_tagging import TaggedResource

    for group in list(self.groups.values()):
        arn = group.arn[:-2] if group.arn.endswith(":*") else group.arn
        yield TaggedResource(
            arn=arn,
            tags=self.tagger.get_tag_dict_for_resource(group.arn),
            resource_type="logs:log-group",
        )


def tagging_get_resources(self: Any) -> Any:
    """moto's ``GetResources``, except that ``TagsPerPage`` limits a page only when given:
    with ``ResourcesPerPage`` alone (what AWS recommends), a page holds up to that many
    resources whatever their tag count, as on AWS (moto cut every page at 100 tags, i.e. 33
    resources with three tags each)."""
    from moto.core.responses import ActionResult
    from moto.resourcegroupstaggingapi.exceptions import ResourceGroupsTaggingAPIError

    resources_per_page = self._get_int_param("ResourcesPerPage", 50)
    tags_per_page = self._get_int_param("TagsPerPage")
    if tags_per_page is not None and tags_per_page not in range(100, 501):
        raise ResourceGroupsTaggingAPIError("InvalidParameterException", "TagsPerPage must be between 100 and 500")
    if resources_per_page not in range(1, 101):
        raise ResourceGroupsTaggingAPIError("InvalidParameterException", "ResourcesPerPage must be between 1 and 100")
    if tags_per_page is None:
        given = self._get_param("ResourcesPerPage") is not None
        tags_per_page = 10**9 if given else 100
    token, found = self.backend.get_resources(
        pagination_token=self._get_param("PaginationToken"),
        tag_filters=self._get_param("TagFilters", []),
        resources_per_page=resources_per_page,
        tags_per_page=tags_per_page,
        resource_type_filters=self._get_param("ResourceTypeFilters", []),
        resource_arn_list=self._get_param("ResourceARNList", []),
    )
    return ActionResult(
        {
            "ResourceTagMappingList": [
                {"ResourceARN": r.arn, "Tags": [{"Key": k, "Value": v} for k, v in r.tags.items()]}
                for r in found
            ],
            "PaginationToken": token,
        }
    )


def _install_logs() -> None:
    LogGroup.to_describe_dict = _log_group_to_describe_dict  # type: ignore[method-assign]
    LogGroup.data_protection_policy = None  # class defaults: existing groups too
    LogGroup.data_protection_updated = None
    LogGroup.data_protection_status = None

    LogsBackend.associate_kms_key = associate_kms_key
    LogsBackend.disassociate_kms_key = disassociate_kms_key
    LogsBackend.describe_log_groups = describe_log_groups  # type: ignore[method-assign]
    LogsBackend.put_data_protection_policy = put_data_protection_policy
    LogsBackend.get_data_protection_policy = get_data_protection_policy
    LogsBackend.delete_data_protection_policy = delete_data_protection_policy
    LogsBackend.put_account_policy = put_account_policy
    LogsBackend.describe_account_policies = describe_account_policies
    LogsBackend.delete_account_policy = delete_account_policy
    LogsBackend.iter_tagged_resources = log_groups_for_tagging  # type: ignore[method-assign]
    from moto.resourcegroupstaggingapi.responses import ResourceGroupsTaggingAPIResponse

    ResourceGroupsTaggingAPIResponse.get_resources = tagging_get_resources  # type: ignore[method-assign]

    # LogsResponse method name == snake_case of the operation name.
    LogsResponse.associate_kms_key = response_associate_kms_key
    LogsResponse.disassociate_kms_key = response_disassociate_kms_key
    LogsResponse.describe_log_groups = response_describe_log_groups  # type: ignore[method-assign]
    LogsResponse.put_data_protection_policy = response_put_data_protection_policy
    LogsResponse.get_data_protection_policy = response_get_data_protection_policy
    LogsResponse.delete_data_protection_policy = response_delete_data_protection_policy
    LogsResponse.put_account_policy = response_put_account_policy
    LogsResponse.describe_account_policies = response_describe_account_policies
    LogsResponse.delete_account_policy = response_delete_account_policy


# --------------------------------------------------------------------------
# Part 2: fault injection (WARDEN_MOTO_FAULTS)
# --------------------------------------------------------------------------

FAULTS_ENV = "WARDEN_MOTO_FAULTS"


class FaultInjector:
    """Makes the first N calls of chosen operations fail with an AWS-shaped error.

    Configured once, at server start, from the environment variable
    ``WARDEN_MOTO_FAULTS``: a JSON object mapping ``"<service>:<Operation>"`` to a
    fault::

        {"bedrock:PutModelInvocationLoggingConfiguration":
            {"times": 3, "status": 400, "code": "ValidationException",
             "message": "Failed to validate permissions for log group: ..."}}

    * ``<service>`` is moto's service name for the request, which for the
      services this project uses is the SigV4 signing name: ``logs``,
      ``bedrock``, ``sts``, ``iam``, ``kms``, ``s3``... (the botocore client
      name is accepted too). ``"*:<Operation>"`` matches any service.
    * ``<Operation>`` is the API operation name as in the botocore model.
    * ``after``: how many calls go through to moto before the failing ones
      (default 0), so a test can set state up before the fault hits.
    * ``times``: how many calls fail (default 1; a negative number: every call).
      Later calls fall through to moto. Counters are per key, thread-safe, and
      last for the life of the server process.
    * ``status`` (default 400), ``code``, ``message`` (default "").
    * ``hang``: seconds the call waits before it is answered (a black-holed or
      overloaded endpoint); with a ``code`` the error follows, without one the
      call then goes through to moto. One of ``code`` and ``hang`` is required.
    * ``partial`` (EventBridge ``PutTargets`` only): the call succeeds (HTTP 200)
      but reports targets as failed entries with ``code``/``message``, and does
      not store them: ``true`` for the last target of the call, or a list of
      target Ids. See Part 5.

    The hook wraps ``moto.core.responses.BaseResponse.call_action``, the single
    place through which moto dispatches every operation of every service whose
    responses class uses it: that covers the JSON-protocol services (identified
    by the ``X-Amz-Target`` header: logs, kms...), the query services (``Action``
    parameter: sts, iam...) and the REST-JSON services (operation matched from
    method and path via the botocore model: bedrock). S3, which moto dispatches
    by itself, is hooked at ``S3Response.bucket_response``/``key_response``
    (path-style requests). The check runs before moto's own handler, so a
    failed call changes no state.

    Error rendering by the service's protocol: ``json`` and ``rest-json`` get
    body ``{"__type": code, "message": msg}`` plus header ``x-amzn-ErrorType``;
    ``query`` gets ``<ErrorResponse><Error>`` XML, ``ec2`` ``<Response><Errors>``
    XML, ``rest-xml`` ``<Error>`` XML.
    """

    def __init__(self, spec: dict[str, Any] | None = None) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, dict[str, Any]] = {}
        self._calls: dict[str, int] = {}
        for key, fault in (spec or {}).items():
            if (
                ":" not in key
                or not isinstance(fault, dict)
                or not (fault.get("code") or fault.get("hang"))
            ):
                raise ValueError(
                    f"{FAULTS_ENV}: entry {key!r} must be 'service:Operation' -> "
                    '{"code": ..., "message": ..., "status": ..., "times": ..., "after": ..., "hang": ...}'
                )
            self._faults[key] = {
                "after": int(fault.get("after", 0)),
                "times": int(fault.get("times", 1)),
                "status": int(fault.get("status", 400)),
                "code": str(fault["code"]) if fault.get("code") else None,
                "message": str(fault.get("message", "")),
                "hang": float(fault.get("hang", 0)),
                "partial": fault.get("partial") or None,
            }

    @classmethod
    def from_env(cls) -> "FaultInjector":
        raw = os.environ.get(FAULTS_ENV, "").strip()
        if not raw:
            return cls()
        try:
            spec = json.loads(raw)
        except ValueError as exc:
            raise ValueError(f"{FAULTS_ENV} is not valid JSON: {exc}") from exc
        if not isinstance(spec, dict):
            raise ValueError(f"{FAULTS_ENV} must be a JSON object")
        return cls(spec)

    def __bool__(self) -> bool:
        return bool(self._faults)

    def take(self, services: list[str], operation: str) -> dict[str, Any] | None:
        """Count one call of ``operation``; return the fault if this call must fail."""
        keys = [f"{s}:{operation}" for s in services if s] + [f"*:{operation}"]
        with self._lock:
            for key in keys:
                fault = self._faults.get(key)
                if fault is None:
                    continue
                self._calls[key] = n = self._calls.get(key, 0) + 1
                n -= fault["after"]
                if n >= 1 and (fault["times"] < 0 or n <= fault["times"]):
                    return fault
                return None
        return None

    @staticmethod
    def render(
        protocol: str, json_version: str, fault: dict[str, Any]
    ) -> tuple[int, dict[str, str], str]:
        """Status, headers and body of the error, in the service's protocol."""
        code, message = fault["code"], fault["message"]
        headers: dict[str, str] = {}
        request_id = gen_amzn_requestid_long(headers)
        if protocol in ("json", "rest-json"):
            headers["x-amzn-ErrorType"] = code
            headers["Content-Type"] = (
                f"application/x-amz-json-{json_version}"
                if protocol == "json"
                else "application/json"
            )
            body = json.dumps({"__type": code, "message": message})
        else:
            from xml.sax.saxutils import escape

            code_x, msg_x = escape(code), escape(message)
            headers["Content-Type"] = "text/xml"
            if protocol == "ec2":
                body = (
                    f"<Response><Errors><Error><Code>{code_x}</Code><Message>{msg_x}</Message>"
                    f"</Error></Errors><RequestID>{request_id}</RequestID></Response>"
                )
            elif protocol == "rest-xml":
                body = (
                    f"<Error><Code>{code_x}</Code><Message>{msg_x}</Message>"
                    f"<RequestId>{request_id}</RequestId></Error>"
                )
            else:  # query
                kind = "Receiver" if fault["status"] >= 500 else "Sender"
                body = (
                    f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code_x}</Code>"
                    f"<Message>{msg_x}</Message></Error><RequestId>{request_id}</RequestId>"
                    "</ErrorResponse>"
                )
        return fault["status"], headers, body


#: The process-wide injector, read from the environment at import time.
FAULTS = FaultInjector.from_env()

_original_call_action = BaseResponse.call_action


def _injected_fault(response: BaseResponse, operation: str | None) -> Any:
    """The error response for this call of ``operation``, or None to go on."""
    if not operation:
        return None
    services = [response.service_name or "", response.boto3_service_name]
    fault = FAULTS.take(services, operation)
    if fault is None:
        return None
    if fault["hang"] > 0:
        time.sleep(fault["hang"])
    if fault["code"] is None:
        return None
    if fault["partial"]:  # the call goes through; the handler reports failed entries
        setattr(response, "_warden_partial_fault", fault)
        return None
    protocol, json_version = "json", "1.1"
    try:
        metadata = get_service_model(response.boto3_service_name).metadata
        protocol = metadata.get("protocol", protocol)
        json_version = metadata.get("jsonVersion", json_version)
    except Exception:
        pass
    return FaultInjector.render(protocol, json_version, fault)


def _call_action_with_faults(self: BaseResponse) -> Any:
    """``BaseResponse.call_action`` preceded by the WARDEN_MOTO_FAULTS check."""
    if FAULTS:
        try:
            operation = self._get_action()
        except Exception:  # let moto report whatever is wrong with the request
            operation = None
        faulted = _injected_fault(self, operation)
        if faulted is not None:
            return faulted
    return _original_call_action(self)


def _s3_with_faults(original: Any) -> Any:
    """S3 bypasses ``call_action`` (``S3Response.bucket_response``/``key_response``
    are its entry points); name the operation with moto's botocore-model router,
    which handles path-style requests, as SDKs send to an IP endpoint."""

    def wrapper(self: Any, request: Any, full_url: str, headers: Any) -> Any:
        if FAULTS:
            try:
                operation = self._get_action_from_method_and_request_uri(request)
            except Exception:
                operation = None
            faulted = _injected_fault(self, operation)
            if faulted is not None:
                return faulted
        return original(self, request, full_url, headers)

    wrapper.__doc__ = original.__doc__
    return wrapper


# --------------------------------------------------------------------------
# Part 3: sts:AssumeRole checks the external id a role's trust policy requires
# --------------------------------------------------------------------------


def required_external_ids(trust_policy: Any) -> set[str] | None:
    """The external ids a trust policy accepts, or None when some ``Allow``
    statement lets the role be assumed without one."""
    if isinstance(trust_policy, str):
        from urllib.parse import unquote

        text = trust_policy if trust_policy.lstrip().startswith("{") else unquote(trust_policy)
        trust_policy = json.loads(text)
    statements = trust_policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    accepted: set[str] = set()
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        wanted = statement.get("Condition", {}).get("StringEquals", {}).get("sts:ExternalId")
        if wanted is None:
            return None
        accepted.update([wanted] if isinstance(wanted, str) else wanted)
    return accepted or None


def _refusal(response: Any) -> tuple[str, dict[str, Any]] | None:
    """The AccessDenied response for this AssumeRole request, or None to go on."""
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    role_arn = response._get_param("RoleArn") or ""
    parts = role_arn.split(":", 5)
    if len(parts) != 6 or not parts[5].startswith("role/"):
        return None
    partition = get_partition(response.region or "us-east-1")
    try:
        role = iam_backends[parts[4]][partition].get_role(parts[5].rsplit("/", 1)[-1])
    except Exception:  # the role does not exist: moto's behaviour
        return None
    accepted = required_external_ids(role.assume_role_policy_document)
    if not accepted or response._get_param("ExternalId") in accepted:
        return None
    caller = f"arn:{partition}:iam::{response.current_account}:root"
    status, headers, body = FaultInjector.render(
        "query",
        "",
        {
            "status": 403,
            "code": "AccessDenied",
            "message": f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
        },
    )
    return body, dict(headers, status=status)


def _install_sts() -> None:
    from moto.sts.responses import TokenResponse

    original = TokenResponse.assume_role

    def assume_role(self: Any) -> Any:
        return _refusal(self) or original(self)

    TokenResponse.assume_role = assume_role  # type: ignore[method-assign]


def _install_faults() -> None:
    from moto.s3.responses import S3Response

    BaseResponse.call_action = _call_action_with_faults  # type: ignore[method-assign]
    S3Response.bucket_response = _s3_with_faults(S3Response.bucket_response)
    S3Response.key_response = _s3_with_faults(S3Response.key_response)


# --------------------------------------------------------------------------
# Part 4: CloudTrail trails and event selectors as AWS documents them
# --------------------------------------------------------------------------
# Shapes follow ``botocore/data/cloudtrail/2013-11-01/service-2.json``
# (protocol ``json`` 1.1, target prefix
# ``com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101``). moto 5.2.5:
#
# * CreateTrail with an existing name silently replaced the trail (settings
#   reset): now ``TrailAlreadyExistsException``.
# * CreateTrail (and UpdateTrail when the bucket or key prefix changes) did not
#   look at the bucket policy: now ``InsufficientS3BucketPolicyException`` unless
#   the policy lets ``cloudtrail.amazonaws.com`` call ``s3:GetBucketAcl`` on the
#   bucket and ``s3:PutObject`` on ``<bucket>/<prefix/>AWSLogs/<account>/*``; see
#   ``cloudtrail_write_refusal``. UpdateTrail also checks that a new bucket exists.
# * GetTrail/DescribeTrails said ``HasCustomEventSelectors: false`` always: now
#   true once PutEventSelectors has been called on the trail.
# * GetEventSelectors returned both keys; putting basic selectors after advanced
#   ones kept the advanced ones: now a trail has one kind, the last put, and a
#   trail that never had selectors put reports AWS's default (one basic selector,
#   all management events, no data events).
# * CreateTrail beyond 5 trails in a Region (multi-Region trails count everywhere):
#   ``MaximumNumberOfTrailsExceededException``; moto had no limit.
# * DescribeTrails ignored ``trailNameList``: now names (this Region's trails) and
#   ARNs (any Region of the account) filter as documented.
# * DeleteTrail by ARN (as AWS documents it: name or ARN) silently deleted nothing,
#   and an unknown trail was no error: now the ARN is resolved like GetTrail's, and
#   an unknown name or ARN is ``TrailNotFoundException``.
# * PutEventSelectors validated nothing: now ``InvalidEventSelectorsException``
#   per ``validate_advanced_event_selectors`` / ``validate_event_selectors``, and
#   ``InvalidParameterCombinationException`` for both kinds (or neither) at once.
# Not modelled: organization trails (their ``AWSLogs/<org id>/`` path), KMS key
# policies (``InsufficientEncryptionPolicyException``), SNS, the CloudWatch Logs
# role, ``InvalidHomeRegionException``, and name clashes with another region's
# multi-region trail.

from moto.core.exceptions import JsonRESTError

#: ``AdvancedFieldSelector.Field`` values of the API reference.
SELECTOR_FIELDS = {
    "eventCategory",
    "eventSource",
    "eventName",
    "eventType",
    "errorCode",
    "readOnly",
    "resources.type",
    "resources.ARN",
    "sessionCredentialFromConsole",
    "userIdentity.arn",
    "vpcEndpointId",
}
#: Fields that take only the ``Equals`` operator.
EQUALS_ONLY_FIELDS = {"eventCategory", "readOnly", "resources.type"}
#: ``eventCategory`` values that a trail (not an event data store) accepts.
TRAIL_EVENT_CATEGORIES = {"Management", "Data", "NetworkActivity"}
#: Fields a management-event selector may use.
MANAGEMENT_FIELDS = {"eventCategory", "readOnly", "eventSource"}
OPERATORS = ("Equals", "StartsWith", "EndsWith", "NotEquals", "NotStartsWith", "NotEndsWith")
#: "up to a maximum of 500 values for all conditions and selectors on a trail".
MAX_SELECTOR_VALUES = 500
MAX_BASIC_SELECTORS = 5
MAX_DATA_RESOURCES = 250
BASIC_DATA_RESOURCE_TYPES = {"AWS::S3::Object", "AWS::Lambda::Function", "AWS::DynamoDB::Table"}
RESOURCE_TYPE_SHAPE = r"^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$"
#: "Trails per Region: 5" (CloudTrail quotas); a multi-Region trail counts in every Region.
MAX_TRAILS_PER_REGION = 5
#: What GetEventSelectors reports for a trail created without selectors.
DEFAULT_EVENT_SELECTORS = [
    {
        "ReadWriteType": "All",
        "IncludeManagementEvents": True,
        "DataResources": [],
        "ExcludeManagementEventSources": [],
    }
]


class TrailAlreadyExistsException(JsonRESTError):
    code = 400

    def __init__(self, name: str, account_id: str) -> None:
        super().__init__(
            "TrailAlreadyExistsException",
            f"Trail {name} already exists for customer: {account_id}",
        )


class MaximumNumberOfTrailsExceededException(JsonRESTError):
    code = 400

    def __init__(self, account_id: str, region: str) -> None:
        super().__init__(
            "MaximumNumberOfTrailsExceededException",
            f"User: {account_id} already has {MAX_TRAILS_PER_REGION} trails in {region}.",
        )


class InsufficientS3BucketPolicyException(JsonRESTError):
    code = 400

    def __init__(self, bucket: str, reason: str) -> None:
        super().__init__(
            "InsufficientS3BucketPolicyException",
            f"Incorrect S3 bucket policy is detected for bucket: {bucket} ({reason})",
        )


class InvalidEventSelectorsException(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("InvalidEventSelectorsException", message)


# ---- the bucket policy check --------------------------------------------------


def _glob(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """IAM wildcard match: ``*`` any run of characters, ``?`` one character."""
    import re

    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _principal_is_cloudtrail(principal: Any) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return "cloudtrail.amazonaws.com" in _as_list(principal.get("Service")) or "*" in _as_list(
        principal.get("AWS")
    )


def _condition_holds(condition: Any, context: dict[str, str]) -> bool | None:
    """Evaluate a statement's ``Condition`` against the request ``context``
    (keys lower case). None when an operator is not understood."""
    if not condition:
        return True
    if not isinstance(condition, dict):
        return None
    for raw_operator, pairs in condition.items():
        operator = raw_operator.split(":")[-1]  # ForAnyValue:/ForAllValues: (single-valued keys)
        if_exists = operator.endswith("IfExists")
        operator = operator[: -len("IfExists")] if if_exists else operator
        if not isinstance(pairs, dict):
            return None
        for key, wanted in pairs.items():
            values = [str(v) for v in _as_list(wanted)]
            actual = context.get(key.lower())
            if operator == "Null":
                if (actual is None) != (values[:1] == ["true"]):
                    return False
                continue
            if actual is None:
                if if_exists or operator.startswith(("StringNot", "ArnNot")):
                    continue
                return False
            if operator in ("StringEquals", "ArnEquals"):
                ok = actual in values
            elif operator == "StringEqualsIgnoreCase":
                ok = actual.lower() in [v.lower() for v in values]
            elif operator in ("StringLike", "ArnLike"):
                ok = any(_glob(v, actual) for v in values)
            elif operator in ("StringNotEquals", "ArnNotEquals"):
                ok = actual not in values
            elif operator == "StringNotEqualsIgnoreCase":
                ok = actual.lower() not in [v.lower() for v in values]
            elif operator in ("StringNotLike", "ArnNotLike"):
                ok = not any(_glob(v, actual) for v in values)
            elif operator == "Bool":
                ok = actual.lower() in [v.lower() for v in values]
            else:
                return None
            if not ok:
                return False
    return True


def _statement_applies(statement: dict[str, Any], action: str, resources: list[str], context: dict[str, str]) -> bool | None:
    """Whether ``statement`` covers CloudTrail calling ``action`` on every one of
    ``resources``; None when its condition cannot be evaluated."""
    if any(k in statement for k in ("NotPrincipal", "NotAction", "NotResource")):
        return False
    if not _principal_is_cloudtrail(statement.get("Principal")):
        return False
    if not any(_glob(a, action, ignore_case=True) for a in _as_list(statement.get("Action"))):
        return False
    patterns = _as_list(statement.get("Resource"))
    if not all(any(_glob(p, r) for p in patterns) for r in resources):
        return False
    return _condition_holds(statement.get("Condition"), context)


def cloudtrail_write_refusal(
    policy_text: str | None,
    bucket: str,
    prefix: str | None,
    account: str,
    region: str,
    partition: str,
    trail_arn: str,
) -> str | None:
    """Why the bucket policy does not let CloudTrail deliver this trail's logs,
    or None when it does.

    CloudTrail needs ``s3:GetBucketAcl`` on ``arn:<partition>:s3:::<bucket>`` and
    ``s3:PutObject`` on ``…:<bucket>/<prefix/>AWSLogs/<account>/*`` (checked with
    a log file and a digest file key), from an ``Allow`` statement whose principal
    is the service ``cloudtrail.amazonaws.com`` (or ``*``) and whose conditions
    hold for the request: ``aws:SourceArn`` = the trail ARN, ``aws:SourceAccount``
    = the account, ``s3:x-amz-acl`` = ``bucket-owner-full-control``,
    ``aws:SecureTransport`` = true. A condition on any other key, or an operator
    not understood, does not hold. A ``Deny`` whose conditions hold refuses.
    """
    if not policy_text:
        return "the bucket has no policy"
    try:
        policy = json.loads(policy_text)
    except ValueError:
        return "the bucket policy is not JSON"
    statements = _as_list(policy.get("Statement") if isinstance(policy, dict) else None)
    context = {
        "aws:sourcearn": trail_arn,
        "aws:sourceaccount": account,
        "s3:x-amz-acl": "bucket-owner-full-control",
        "aws:securetransport": "true",
    }
    base = f"arn:{partition}:s3:::{bucket}"
    logs = f"{base}/{prefix.strip('/') + '/' if prefix else ''}AWSLogs/{account}"
    stamp = "2026/01/01"
    needs = {
        "s3:GetBucketAcl": [base],
        "s3:PutObject": [
            f"{logs}/CloudTrail/{region}/{stamp}/{account}_CloudTrail_{region}_20260101T0000Z_x.json.gz",
            f"{logs}/CloudTrail-Digest/{region}/{stamp}/{account}_CloudTrail-Digest_{region}_x_20260101T000000Z.json.gz",
        ],
    }
    for action, resources in needs.items():
        allowed = False
        for statement in statements:
            if not isinstance(statement, dict):
                continue
            applies = _statement_applies(statement, action, resources, context)
            if statement.get("Effect") == "Deny" and applies:
                return f"a Deny statement refuses {action} to cloudtrail.amazonaws.com"
            if statement.get("Effect") == "Allow" and applies:
                allowed = True
        if not allowed:
            return f"no statement allows cloudtrail.amazonaws.com {action} on {resources[0] if action == 's3:GetBucketAcl' else logs + '/*'}"
    return None


def _check_trail_bucket(account_id: str, region: str, trail_name: str, bucket: str, prefix: str | None) -> None:
    """InsufficientS3BucketPolicyException unless CloudTrail may write there; a
    bucket that does not exist is left for moto to report."""
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    partition = get_partition(region)
    try:
        found = s3_backends[account_id][partition].get_bucket(bucket)
    except Exception:
        return
    policy = found.policy.decode() if isinstance(found.policy, bytes) else found.policy
    trail_arn = f"arn:{partition}:cloudtrail:{region}:{account_id}:trail/{trail_name}"
    reason = cloudtrail_write_refusal(policy, bucket, prefix, account_id, region, partition, trail_arn)
    if reason:
        raise InsufficientS3BucketPolicyException(bucket, reason)


# ---- event selector validation -----------------------------------------------


def validate_advanced_event_selectors(selectors: Any) -> None:
    """InvalidEventSelectorsException unless ``selectors`` is a valid
    ``AdvancedEventSelectors`` list for a trail: every selector has a non-empty
    ``FieldSelectors`` and exactly one ``eventCategory`` (Equals, one of
    Management/Data/NetworkActivity); fields are known and appear once; each
    field selector has an operator with 1..2048-character values; ``readOnly``,
    ``eventCategory`` and ``resources.type`` use Equals only; ``readOnly`` is
    ``true``/``false``; a Data selector has exactly one ``resources.type`` value
    shaped ``AWS::<Service>::<Type>``; a Management selector uses only
    eventCategory/readOnly/eventSource; at most 500 values in all."""
    import re

    def bad(message: str) -> InvalidEventSelectorsException:
        return InvalidEventSelectorsException(message)

    if not isinstance(selectors, list) or not selectors:
        raise bad("AdvancedEventSelectors must be a non-empty list.")
    total = 0
    for index, selector in enumerate(selectors):
        where = f"AdvancedEventSelectors[{index}]"
        if not isinstance(selector, dict):
            raise bad(f"{where} must be an object.")
        name = selector.get("Name")
        if name is not None and not (isinstance(name, str) and 1 <= len(name) <= 1000):
            raise bad(f"{where}.Name must be 1 to 1000 characters.")
        fields = selector.get("FieldSelectors")
        if not isinstance(fields, list) or not fields:
            raise bad(f"{where}.FieldSelectors must be a non-empty list.")
        by_field: dict[str, dict[str, Any]] = {}
        for field_selector in fields:
            field = field_selector.get("Field") if isinstance(field_selector, dict) else None
            if field not in SELECTOR_FIELDS:
                raise bad(f"{where}: invalid field {field!r}; valid fields: {', '.join(sorted(SELECTOR_FIELDS))}.")
            if field in by_field:
                raise bad(f"{where}: field {field} appears more than once.")
            by_field[field] = field_selector
            used = [op for op in OPERATORS if field_selector.get(op) is not None]
            if not used:
                raise bad(f"{where}: field {field} has no operator.")
            for op in used:
                values = field_selector[op]
                if not isinstance(values, list) or not values or not all(
                    isinstance(v, str) and 1 <= len(v) <= 2048 for v in values
                ):
                    raise bad(f"{where}: {field} {op} must be a non-empty list of 1 to 2048-character strings.")
                total += len(values)
            if field in EQUALS_ONLY_FIELDS and used != ["Equals"]:
                raise bad(f"{where}: {field} supports only the Equals operator.")
        category = by_field.get("eventCategory")
        if category is None:
            raise bad(f"{where}: eventCategory is required.")
        if len(category["Equals"]) != 1 or category["Equals"][0] not in TRAIL_EVENT_CATEGORIES:
            raise bad(f"{where}: eventCategory must equal one of {', '.join(sorted(TRAIL_EVENT_CATEGORIES))}.")
        read_only = by_field.get("readOnly")
        if read_only is not None and not set(read_only["Equals"]) <= {"true", "false"}:
            raise bad(f"{where}: readOnly must equal true or false.")
        kind = category["Equals"][0]
        if kind == "Management":
            extra = set(by_field) - MANAGEMENT_FIELDS
            if extra:
                raise bad(f"{where}: a Management selector cannot use {', '.join(sorted(extra))}.")
        else:
            rtype = by_field.get("resources.type")
            if kind == "Data" and rtype is None:
                raise bad(f"{where}: resources.type is required for data events.")
            if rtype is not None:
                if len(rtype["Equals"]) != 1:
                    raise bad(f"{where}: resources.type takes exactly one value per selector.")
                if not re.match(RESOURCE_TYPE_SHAPE, rtype["Equals"][0]):
                    raise bad(f"{where}: invalid resources.type {rtype['Equals'][0]!r}.")
    if total > MAX_SELECTOR_VALUES:
        raise bad(
            f"A trail can have at most {MAX_SELECTOR_VALUES} values for all conditions "
            f"in all advanced event selectors; this request has {total}."
        )


def validate_event_selectors(selectors: Any) -> None:
    """InvalidEventSelectorsException unless ``selectors`` is a valid basic
    ``EventSelectors`` list: 1 to 5 selectors, ReadWriteType ReadOnly/WriteOnly/All,
    at most 250 data resources of the three types basic selectors support."""
    if not isinstance(selectors, list) or not 1 <= len(selectors) <= MAX_BASIC_SELECTORS:
        raise InvalidEventSelectorsException("Specify 1 to 5 event selectors for a trail.")
    resources = 0
    for selector in selectors:
        if not isinstance(selector, dict):
            raise InvalidEventSelectorsException("Each event selector must be an object.")
        if selector.get("ReadWriteType", "All") not in ("ReadOnly", "WriteOnly", "All"):
            raise InvalidEventSelectorsException(
                f"Invalid ReadWriteType {selector.get('ReadWriteType')!r}."
            )
        for resource in selector.get("DataResources") or []:
            resources += 1
            if resource.get("Type") not in BASIC_DATA_RESOURCE_TYPES:
                raise InvalidEventSelectorsException(
                    f"Invalid data resource type {resource.get('Type')!r} for basic event selectors."
                )
    if resources > MAX_DATA_RESOURCES:
        raise InvalidEventSelectorsException("A trail is limited to 250 data resources.")


# ---- backend and model patches -------------------------------------------------


def _install_cloudtrail() -> None:
    from types import SimpleNamespace

    from moto.cloudtrail.exceptions import (
        InvalidParameterCombinationException,
        S3BucketDoesNotExistException,
    )
    from moto.cloudtrail.models import CloudTrailBackend, Trail, cloudtrail_backends
    from moto.cloudtrail.responses import CloudTrailResponse

    original_create = CloudTrailBackend.create_trail
    original_update = CloudTrailBackend.update_trail
    original_description = Trail.description

    def create_trail(self: CloudTrailBackend, name: str, bucket_name: str, s3_key_prefix: str, *args: Any, **kwargs: Any) -> Trail:
        Trail.check_name(SimpleNamespace(trail_name=name or ""))  # type: ignore[arg-type]
        if name in self.trails:
            raise TrailAlreadyExistsException(name, self.account_id)
        if len(list(self.describe_trails(include_shadow_trails=True))) >= MAX_TRAILS_PER_REGION:
            raise MaximumNumberOfTrailsExceededException(self.account_id, self.region_name)
        _check_trail_bucket(self.account_id, self.region_name, name, bucket_name, s3_key_prefix)
        return original_create(self, name, bucket_name, s3_key_prefix, *args, **kwargs)

    def update_trail(self: CloudTrailBackend, name: str, s3_bucket_name: str | None, s3_key_prefix: str | None, *args: Any, **kwargs: Any) -> Trail:
        trail = self.get_trail(name)
        bucket = s3_bucket_name if s3_bucket_name is not None else trail.bucket_name
        prefix = s3_key_prefix if s3_key_prefix is not None else trail.s3_key_prefix
        if (bucket, prefix or "") != (trail.bucket_name, trail.s3_key_prefix or ""):
            from moto.s3.models import s3_backends

            try:
                s3_backends[self.account_id][trail.partition].get_bucket(bucket)
            except Exception:
                raise S3BucketDoesNotExistException(f"S3 bucket {bucket} does not exist!")
            _check_trail_bucket(self.account_id, trail.region_name, trail.trail_name, bucket, prefix)
        return original_update(self, name, s3_bucket_name, s3_key_prefix, *args, **kwargs)

    def description(self: Trail, include_region: bool = False) -> dict[str, Any]:
        result = original_description(self, include_region)
        result["HasCustomEventSelectors"] = bool(getattr(self, "selectors_kind", None))
        return result

    def put_event_selectors(self: Trail, event_selectors: Any, advanced_event_selectors: Any) -> None:
        if advanced_event_selectors is not None:
            self.advanced_event_selectors, self.event_selectors = advanced_event_selectors, []
            self.selectors_kind = "AdvancedEventSelectors"
        else:
            self.event_selectors, self.advanced_event_selectors = event_selectors, []
            self.selectors_kind = "EventSelectors"

    def selectors_response(trail: Trail) -> dict[str, Any]:
        kind = getattr(trail, "selectors_kind", None)
        if kind == "AdvancedEventSelectors":
            return {"TrailARN": trail.arn, kind: trail.advanced_event_selectors}
        if kind == "EventSelectors":
            return {"TrailARN": trail.arn, kind: trail.event_selectors}
        return {"TrailARN": trail.arn, "EventSelectors": DEFAULT_EVENT_SELECTORS}

    def response_put_event_selectors(self: CloudTrailResponse) -> str:
        """PutEventSelectors {TrailName, EventSelectors | AdvancedEventSelectors}
        → {TrailARN, EventSelectors | AdvancedEventSelectors}."""
        params = json.loads(self.body or "{}")
        basic = params.get("EventSelectors")
        advanced = params.get("AdvancedEventSelectors")
        if (basic is None) == (advanced is None):
            raise InvalidParameterCombinationException(
                "You can use either AdvancedEventSelectors or EventSelectors, but not both."
                if basic is not None
                else "Specify EventSelectors or AdvancedEventSelectors."
            )
        trail = self.cloudtrail_backend.get_trail(params.get("TrailName") or "")
        if advanced is not None:
            validate_advanced_event_selectors(advanced)
        else:
            validate_event_selectors(basic)
        trail.put_event_selectors(basic, advanced)
        return json.dumps(selectors_response(trail))

    def response_describe_trails(self: CloudTrailResponse) -> str:
        """DescribeTrails {trailNameList?, includeShadowTrails?} → {trailList}; moto ignores
        ``trailNameList``. Names match trails whose home is this Region; ARNs match the
        account's trails in any Region; an empty list: moto's answer (this Region's trails,
        plus other Regions' multi-Region trails unless includeShadowTrails is false)."""
        wanted = self._get_param("trailNameList") or []
        backend = self.cloudtrail_backend
        if not wanted:
            trails = list(backend.describe_trails(self._get_bool_param("includeShadowTrails", True)))
        else:
            everywhere = [
                t for b in cloudtrail_backends[self.current_account].values() for t in b.trails.values()
            ]
            trails = [
                t
                for t in everywhere
                if t.arn in wanted or (t.trail_name in wanted and t.region_name == backend.region_name)
            ]
        return json.dumps({"trailList": [t.description(include_region=True) for t in trails]})

    def response_get_event_selectors(self: CloudTrailResponse) -> str:
        """GetEventSelectors {TrailName} → {TrailARN, EventSelectors | AdvancedEventSelectors}."""
        params = json.loads(self.body or "{}")
        trail = self.cloudtrail_backend.get_trail(params.get("TrailName") or "")
        return json.dumps(selectors_response(trail))

    def delete_trail(self: CloudTrailBackend, name: str) -> None:
        trail = self.get_trail(name)  # by name or ARN; TrailNotFoundException otherwise
        del self.trails[trail.trail_name]

    CloudTrailBackend.delete_trail = delete_trail  # type: ignore[method-assign]
    CloudTrailBackend.create_trail = create_trail  # type: ignore[method-assign]
    CloudTrailBackend.update_trail = update_trail  # type: ignore[method-assign]
    Trail.description = description  # type: ignore[method-assign]
    Trail.put_event_selectors = put_event_selectors  # type: ignore[method-assign]
    Trail.selectors_kind = None
    CloudTrailResponse.put_event_selectors = response_put_event_selectors  # type: ignore[method-assign]
    CloudTrailResponse.get_event_selectors = response_get_event_selectors  # type: ignore[method-assign]
    CloudTrailResponse.describe_trails = response_describe_trails  # type: ignore[method-assign]


# --------------------------------------------------------------------------
# Part 5: EventBridge connections, API destinations, targets as AWS documents them
# --------------------------------------------------------------------------
# Shapes follow ``botocore/data/events/2015-10-07/service-2.json`` (protocol
# ``json`` 1.1, target prefix ``AWSEvents``). moto 5.2.5:
#
# * CreateConnection with an existing name replaced the connection and
#   orphaned its Secrets Manager secret: now ``ResourceAlreadyExistsException``,
#   the connection and its secret untouched.
# * UpdateConnection replaced ``AuthParameters`` wholesale (an update of just
#   ``ApiKeyValue`` lost ``ApiKeyName``) and never touched the secret: now the
#   given parameters are merged into the stored ones, field by field, and the
#   connection's secret gets a new current version with the merged values.
# * CreateApiDestination accepted any ``ConnectionArn`` and silently replaced an
#   API destination of the same name: now ``ResourceNotFoundException`` for a
#   connection that does not exist in the account and Region, and
#   ``ResourceAlreadyExistsException`` for an existing name. UpdateApiDestination
#   checks a new ``ConnectionArn`` the same way.
# * PutTargets had no per-rule limit and could never partly fail: now a rule
#   holding more than 5 targets is ``LimitExceededException`` (nothing stored),
#   and a ``WARDEN_MOTO_FAULTS`` entry with ``"partial"`` reports chosen targets
#   in ``FailedEntries`` (``FailedEntryCount`` > 0, HTTP 200) without storing
#   them, while the others are stored.
# * TestEventPattern answered an empty body: now ``{"Result": bool}`` from moto's
#   own pattern matcher; an invalid pattern is ``InvalidEventPatternException``,
#   an event without one of the fields AWS requires is ``ValidationException``.
# * DeauthorizeConnection was not implemented and a connection was always
#   ``AUTHORIZED``: now it sets the connection ``DEAUTHORIZED`` (the state AWS
#   reports when the endpoint keeps refusing the key, which a test cannot make a
#   real endpoint do here), and an UpdateConnection that gives ``AuthParameters``
#   authorizes it again, as in AWS (``AUTHORIZING`` then ``AUTHORIZED``; the
#   harness answers the settled state at once).
# Already as AWS in moto (pinned by the self-test): DeleteRule while the rule
# has targets is ``ValidationException``.

#: "Targets per rule: 5" (EventBridge quotas).
MAX_TARGETS_PER_RULE = 5
#: Top-level fields TestEventPattern requires of the event.
TEST_EVENT_REQUIRED_FIELDS = ("id", "account", "source", "time", "region", "detail-type", "resources")


def merge_auth_parameters(stored: dict[str, Any] | None, update: dict[str, Any] | None) -> dict[str, Any]:
    """UpdateConnection's ``AuthParameters`` merged into the stored ones: each
    given sub-structure (``ApiKeyAuthParameters``, ``BasicAuthParameters``,
    ``OAuthParameters``...) updates the stored one key by key; nested objects
    (OAuth ``ClientParameters``) are merged the same way; lists
    (``InvocationHttpParameters``' header/query/body lists) are replaced."""
    merged: dict[str, Any] = json.loads(json.dumps(stored or {}))
    for key, value in (update or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_auth_parameters(merged[key], value)
        else:
            merged[key] = value
    return merged


def _secret_value(auth_parameters: dict[str, Any]) -> str:
    """The secret text moto writes for a connection (see ``Connection.__init__``)."""
    from moto.utilities.utils import CamelToUnderscoresWalker

    value: dict[str, Any] = {}
    for key, part in auth_parameters.items():
        if key == "InvocationHttpParameters":
            value["InvocationHttpParameters"] = part
        else:
            value.update(part)
    return json.dumps(CamelToUnderscoresWalker.parse(value))


def partial_failures(fault: dict[str, Any] | None, targets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``FailedEntries`` a ``partial`` fault makes of this PutTargets call: the
    targets whose Id is listed, or the last target when ``partial`` is ``true``."""
    if not fault or not fault.get("partial") or not targets:
        return []
    partial = fault["partial"]
    ids = {targets[-1]["Id"]} if partial is True else set(partial)
    return [
        {"TargetId": t["Id"], "ErrorCode": fault["code"], "ErrorMessage": fault["message"]}
        for t in targets
        if t["Id"] in ids
    ]


def _install_events() -> None:
    from moto.events.exceptions import (
        InvalidEventPatternException,
        ResourceAlreadyExistsException,
        ResourceNotFoundException as EventsNotFound,
        ValidationException,
    )
    from moto.events.models import EventPattern, EventsBackend, get_secrets_manager_backend
    from moto.events.responses import EventsHandler

    class LimitExceeded(JsonRESTError):
        code = 400

        def __init__(self, message: str) -> None:
            super().__init__("LimitExceededException", message)

    original_create_connection = EventsBackend.create_connection
    original_create_destination = EventsBackend.create_api_destination
    original_update_destination = EventsBackend.update_api_destination
    original_put_targets = EventsBackend.put_targets

    def create_connection(self: EventsBackend, name: str, *args: Any, **kwargs: Any) -> Any:
        if name in self.connections:
            raise ResourceAlreadyExistsException(f"Connection {name} already exists.")
        return original_create_connection(self, name, *args, **kwargs)

    def update_connection(self: EventsBackend, name: str, **kwargs: Any) -> dict[str, Any]:
        connection = self.connections.get(name)
        if not connection:
            raise EventsNotFound(f"Connection '{name}' does not exist.")
        if kwargs.get("description") is not None:
            connection.description = kwargs["description"]
        if kwargs.get("authorization_type") is not None:
            connection.authorization_type = kwargs["authorization_type"]
        if kwargs.get("auth_parameters") is not None:
            connection.auth_parameters = merge_auth_parameters(connection.auth_parameters, kwargs["auth_parameters"])
            connection.state = "AUTHORIZED"
            get_secrets_manager_backend(self.account_id, self.region_name).put_secret_value(
                secret_id=connection.secret_arn,
                secret_string=_secret_value(connection.auth_parameters),
                secret_binary=None,  # type: ignore[arg-type]
                client_request_token=None,  # type: ignore[arg-type]
                version_stages=["AWSCURRENT"],
            )
        return connection.describe_short()

    def response_deauthorize_connection(self: EventsHandler) -> tuple[str, dict[str, Any]]:
        """DeauthorizeConnection {Name} → the connection's short description, ``DEAUTHORIZED``."""
        name = self._get_param("Name")
        connection = self.events_backend.connections.get(name)
        if not connection:
            raise EventsNotFound(f"Connection '{name}' does not exist.")
        connection.state = "DEAUTHORIZED"
        return json.dumps(connection.describe_short()), self.response_headers

    def _require_connection(self: EventsBackend, connection_arn: str | None) -> None:
        if not any(c.arn == connection_arn for c in self.connections.values()):
            name = (connection_arn or "").split(":connection/", 1)[-1].split("/", 1)[0]
            raise EventsNotFound(f"Connection '{name}' does not exist.")

    def create_api_destination(self: EventsBackend, name: str, description: str, connection_arn: str, *args: Any, **kwargs: Any) -> Any:
        if name in self.destinations:
            raise ResourceAlreadyExistsException(f"An api-destination '{name}' already exists.")
        _require_connection(self, connection_arn)
        return original_create_destination(self, name, description, connection_arn, *args, **kwargs)

    def update_api_destination(self: EventsBackend, name: str, **kwargs: Any) -> Any:
        if name in self.destinations and kwargs.get("connection_arn") is not None:
            _require_connection(self, kwargs["connection_arn"])
        return original_update_destination(self, name, **kwargs)

    def put_targets(self: EventsBackend, name: str, event_bus_arn: str | None, targets: list[dict[str, Any]]) -> None:
        bus = self._get_event_bus(self._normalize_event_bus_arn(event_bus_arn))
        rule = bus.rules.get(name)
        if rule is not None:
            ids = {t["Id"] for t in rule.targets} | {t["Id"] for t in targets}
            if len(ids) > MAX_TARGETS_PER_RULE:
                raise LimitExceeded(
                    f"The requested resource exceeds the maximum number allowed: rule {name} "
                    f"would have {len(ids)} targets, at most {MAX_TARGETS_PER_RULE}."
                )
        original_put_targets(self, name, event_bus_arn, targets)

    def response_put_targets(self: EventsHandler) -> tuple[str, dict[str, Any]]:
        """PutTargets {Rule, EventBusName?, Targets} → {FailedEntryCount, FailedEntries}."""
        targets = self._get_param("Targets") or []
        failed = partial_failures(getattr(self, "_warden_partial_fault", None), targets)
        failed_ids = {f["TargetId"] for f in failed}
        stored = [t for t in targets if t["Id"] not in failed_ids]
        if stored:
            self.events_backend.put_targets(self._get_param("Rule"), self._get_param("EventBusName"), stored)
        return json.dumps({"FailedEntryCount": len(failed), "FailedEntries": failed}), self.response_headers

    def response_test_event_pattern(self: EventsHandler) -> tuple[str, dict[str, Any]]:
        """TestEventPattern {EventPattern, Event} → {Result}."""
        pattern = EventPattern.load(self._get_param("EventPattern"))
        try:
            event = json.loads(self._get_param("Event") or "")
        except ValueError:
            raise ValidationException("Parameter Event is not valid. Reason: Event is not valid JSON.")
        if not isinstance(event, dict):
            raise ValidationException("Parameter Event is not valid. Reason: Event must be a JSON object.")
        for field in TEST_EVENT_REQUIRED_FIELDS:
            if field not in event:
                raise ValidationException(f"Parameter Event is not valid. Reason: Provided JSON must contain '{field}'.")
        return json.dumps({"Result": bool(pattern.matches_event(event))}), self.response_headers

    assert InvalidEventPatternException  # raised by EventPattern.load for a bad pattern
    EventsBackend.create_connection = create_connection  # type: ignore[method-assign]
    EventsBackend.update_connection = update_connection  # type: ignore[method-assign]
    EventsBackend.create_api_destination = create_api_destination  # type: ignore[method-assign]
    EventsBackend.update_api_destination = update_api_destination  # type: ignore[method-assign]
    EventsBackend.put_targets = put_targets  # type: ignore[method-assign]
    EventsHandler.put_targets = response_put_targets  # type: ignore[method-assign]
    EventsHandler.test_event_pattern = response_test_event_pattern  # type: ignore[method-assign]
    EventsHandler.deauthorize_connection = response_deauthorize_connection  # type: ignore[attr-defined]


# --------------------------------------------------------------------------
# Part 6: SNS email subscriptions wait for confirmation
# --------------------------------------------------------------------------
# Shapes follow ``botocore/data/sns/2010-03-31/service-2.json`` (protocol
# ``query``). moto 5.2.5 confirms every subscription at once: Subscribe answers
# the subscription ARN, list calls show it, ``PendingConfirmation`` is false, and
# the topic's ``SubscriptionsPending``/``SubscriptionsConfirmed`` stay 0. AWS
# sends an email and keeps an ``email``/``email-json`` subscription pending
# until the link in it is followed: Subscribe answers ``pending confirmation``
# (the ARN only with ``ReturnSubscriptionArn``), list calls show
# ``PendingConfirmation`` as its ARN, GetSubscriptionAttributes says
# ``PendingConfirmation: "true"``, and the topic counts it as pending.
# ConfirmSubscription confirms it with the token from the email; the harness's
# token is ``CONFIRM_TOKEN_PREFIX + <endpoint>`` (no email is sent). Other
# protocols are confirmed at once, as in moto (``http``/``https`` also need
# confirmation in AWS: not modelled).

#: Protocols whose subscriptions stay pending until confirmed.
CONFIRMED_BY_EMAIL = {"email", "email-json"}
#: ConfirmSubscription's ``Token`` for the subscription of ``<endpoint>`` to the topic.
CONFIRM_TOKEN_PREFIX = "warden-harness-confirm:"


def _install_sns() -> None:
    from moto.core.responses import ActionResult
    from moto.sns.exceptions import SNSInvalidParameter
    from moto.sns.models import SNSBackend, Subscription
    from moto.sns.responses import SNSResponse

    original_subscribe = SNSBackend.subscribe
    original_topic_attributes = SNSResponse.get_topic_attributes

    def subscribe(self: SNSBackend, topic_arn: str, endpoint: str, protocol: str) -> Subscription:
        known = self._find_subscription(topic_arn, endpoint, protocol)
        subscription = original_subscribe(self, topic_arn, endpoint, protocol)
        if known is None and protocol in CONFIRMED_BY_EMAIL:
            subscription.attributes["PendingConfirmation"] = "true"
            subscription.attributes["ConfirmationWasAuthenticated"] = "false"
        return subscription

    def pending(subscription: Subscription) -> bool:
        return str(subscription.attributes.get("PendingConfirmation")).lower() == "true"

    def listed(subscription: Subscription) -> dict[str, Any]:
        return {
            "SubscriptionArn": "PendingConfirmation" if pending(subscription) else subscription.arn,
            "Owner": subscription.owner,
            "Protocol": subscription.protocol,
            "Endpoint": subscription.endpoint,
            "TopicArn": subscription.topic_arn,
        }

    original_response_subscribe = SNSResponse.subscribe

    def response_subscribe(self: SNSResponse) -> Any:
        result = original_response_subscribe(self)
        arn = result.result["SubscriptionArn"]  # type: ignore[index]
        subscription = self.backend.subscriptions[arn]
        if pending(subscription) and not ensure_true(self._get_param("ReturnSubscriptionArn")):
            return ActionResult({"SubscriptionArn": "pending confirmation"})
        return result

    def ensure_true(value: Any) -> bool:
        return str(value).lower() == "true"

    def response_list_subscriptions(self: SNSResponse) -> Any:
        subscriptions, next_token = self.backend.list_subscriptions(next_token=self._get_param("NextToken"))
        return ActionResult({"Subscriptions": [listed(s) for s in subscriptions], "NextToken": next_token})

    def response_list_subscriptions_by_topic(self: SNSResponse) -> Any:
        subscriptions, next_token = self.backend.list_subscriptions_by_topic(
            self._get_param("TopicArn"), next_token=self._get_param("NextToken")
        )
        return ActionResult({"Subscriptions": [listed(s) for s in subscriptions], "NextToken": next_token})

    def response_confirm_subscription(self: SNSResponse) -> Any:
        """ConfirmSubscription {TopicArn, Token} → {SubscriptionArn}."""
        topic = self.backend.get_topic(self._get_param("TopicArn"))
        token = self._get_param("Token") or ""
        endpoint = token[len(CONFIRM_TOKEN_PREFIX):] if token.startswith(CONFIRM_TOKEN_PREFIX) else None
        for subscription in self.backend._get_topic_subscriptions(topic):
            if endpoint is not None and subscription.endpoint == endpoint and subscription.protocol in CONFIRMED_BY_EMAIL:
                subscription.attributes["PendingConfirmation"] = "false"
                subscription.attributes["ConfirmationWasAuthenticated"] = "true"
                return ActionResult({"SubscriptionArn": subscription.arn})
        raise SNSInvalidParameter("Invalid token")

    def response_get_topic_attributes(self: SNSResponse) -> Any:
        topic = self.backend.get_topic(self._get_param("TopicArn"))
        subscriptions = self.backend._get_topic_subscriptions(topic)
        topic.subscriptions_pending = sum(1 for s in subscriptions if pending(s))
        topic.subscriptions_confimed = len(subscriptions) - topic.subscriptions_pending
        return original_topic_attributes(self)

    SNSBackend.subscribe = subscribe  # type: ignore[method-assign]
    SNSResponse.subscribe = response_subscribe  # type: ignore[method-assign]
    SNSResponse.list_subscriptions = response_list_subscriptions  # type: ignore[method-assign]
    SNSResponse.list_subscriptions_by_topic = response_list_subscriptions_by_topic  # type: ignore[method-assign]
    SNSResponse.confirm_subscription = response_confirm_subscription  # type: ignore[method-assign]
    SNSResponse.get_topic_attributes = response_get_topic_attributes  # type: ignore[method-assign]


_installed = False


def install() -> None:
    """Apply all patches (idempotent; done on import)."""
    global _installed
    if not _installed:
        _install_logs()
        _install_faults()
        _install_sts()
        _install_cloudtrail()
        _install_events()
        _install_sns()
        __import__("moto_events")  # EventBridge bus policies (moto_events.py, patches on import)
        _installed = True


install()
