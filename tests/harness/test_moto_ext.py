#!/usr/bin/env python3
"""Self-check of the local-cloud harness: moto_server.py + moto_ext.py, via boto3.

    .local-cloud/venv/bin/python tests/harness/test_moto_ext.py

Starts its own servers through the launcher (so it ignores any AWS_* settings of
the calling shell), runs every ``test_*`` function below and ends with the line
``N passed, M failed``; the exit status is 0 only if nothing failed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import traceback
import urllib.request
from typing import Any, Callable

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
LAUNCHER = os.path.join(HERE, "moto_server.py")
REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"  # moto's account for credentials it did not issue

POLICY = json.dumps(
    {
        "Name": "warden-data-protection",
        "Description": "mask secrets",
        "Version": "2021-06-01",
        "Statement": [
            {
                "Sid": "audit",
                "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/AwsSecretKey"],
                "Operation": {"Audit": {"FindingsDestination": {}}},
            },
            {
                "Sid": "redact",
                "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/AwsSecretKey"],
                "Operation": {"Deidentify": {"MaskConfig": {}}},
            },
        ],
    }
)

FAULTS = {
    "bedrock:PutModelInvocationLoggingConfiguration": {
        "times": 2,
        "status": 400,
        "code": "ValidationException",
        "message": "Failed to validate permissions for log group: /warden/bedrock",
    },
    "logs:PutRetentionPolicy": {
        "times": 1,
        "status": 503,
        "code": "ServiceUnavailableException",
        "message": "try later",
    },
    "sts:GetCallerIdentity": {"times": 1, "status": 403, "code": "ExpiredToken", "message": "expired"},
    "s3:GetBucketPolicy": {"times": 1, "status": 403, "code": "AccessDenied", "message": "Access Denied"},
    # ``after``: the first call goes through, the second fails, the third goes through.
    "logs:TagResource": {"after": 1, "times": 1, "code": "InvalidParameterException", "message": "no"},
}


class Server:
    """A launcher process, spawned the way the Rust harness does it."""

    def __init__(self, env_extra: dict[str, str] | None = None) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
        env.pop("WARDEN_MOTO_FAULTS", None)
        env.update(env_extra or {})
        self.proc = subprocess.Popen(
            [sys.executable, LAUNCHER, "--port", "0", "--exit-on-stdin-eof"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        assert line.startswith("PORT "), f"launcher said {line!r}"
        self.port = int(line.split()[1])
        # Contract: exactly one line on stdout, then EOF.
        self.rest_of_stdout = self.proc.stdout.read()
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def client(self, service: str, creds: dict[str, str] | None = None, **kw: Any) -> Any:
        creds = creds or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        config = Config(retries={"total_max_attempts": 1, "mode": "standard"})
        if "config" in kw:  # a caller's settings go on top of the no-retry default
            config = config.merge(kw.pop("config"))
        return boto3.session.Session(region_name=kw.pop("region_name", REGION), **creds).client(
            service, endpoint_url=self.endpoint, config=config, **kw
        )

    def close_stdin_and_wait(self, timeout: float = 10) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def expect_error(code: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> ClientError:
    try:
        fn(*args, **kwargs)
    except ClientError as err:
        got = err.response["Error"]["Code"]
        assert got == code, f"expected {code}, got {got}: {err}"
        return err
    raise AssertionError(f"expected {code}, call succeeded")


def strip_meta(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def assumed_credentials(srv: Server, account: str) -> dict[str, str]:
    """Credentials of ``arn:aws:iam::<account>:role/x``: moto puts them in that account."""
    creds = srv.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/x", RoleSessionName="warden"
    )["Credentials"]
    return {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }


ACCOUNT_POLICY_KEYS = {"policyName", "policyDocument", "lastUpdatedTime", "policyType", "scope", "accountId"}


# ---------------------------------------------------------------------------
# Tests. Each gets the shared plain server (no faults).
# ---------------------------------------------------------------------------


def test_launcher_stdout_contract(srv: Server) -> None:
    assert srv.rest_of_stdout == b"", srv.rest_of_stdout
    assert 0 < srv.port < 65536


def test_kms_key_associate_disassociate(srv: Server) -> None:
    logs = srv.client("logs")
    key = f"arn:aws:kms:{REGION}:{DEFAULT_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    logs.create_log_group(logGroupName="/kms/a")
    logs.associate_kms_key(logGroupName="/kms/a", kmsKeyId=key)
    group = logs.describe_log_groups(logGroupNamePrefix="/kms/a")["logGroups"][0]
    assert group["kmsKeyId"] == key, group
    logs.disassociate_kms_key(logGroupName="/kms/a")
    group = logs.describe_log_groups(logGroupNamePrefix="/kms/a")["logGroups"][0]
    assert "kmsKeyId" not in group, group
    # resourceIdentifier with a log group ARN works too
    arn = f"arn:aws:logs:{REGION}:{DEFAULT_ACCOUNT}:log-group:/kms/a"
    logs.associate_kms_key(resourceIdentifier=arn, kmsKeyId=key)
    assert logs.describe_log_groups(logGroupNamePrefix="/kms/a")["logGroups"][0]["kmsKeyId"] == key


def test_kms_key_errors(srv: Server) -> None:
    logs = srv.client("logs")
    key = f"arn:aws:kms:{REGION}:{DEFAULT_ACCOUNT}:key/k"
    err = expect_error("ResourceNotFoundException", logs.associate_kms_key, logGroupName="/kms/none", kmsKeyId=key)
    assert err.response["Error"]["Message"] == "The specified log group does not exist."
    expect_error("ResourceNotFoundException", logs.disassociate_kms_key, logGroupName="/kms/none")
    expect_error(
        "InvalidParameterException",
        logs.associate_kms_key,
        resourceIdentifier=f"arn:aws:logs:{REGION}:{DEFAULT_ACCOUNT}:query-result:*",
        kmsKeyId=key,
    )
    logs.create_log_group(logGroupName="/kms/b")
    expect_error("InvalidParameterException", logs.associate_kms_key, logGroupName="/kms/b", kmsKeyId="alias/x")


def test_describe_log_groups_identifiers(srv: Server) -> None:
    logs = srv.client("logs")
    for name in ("/ids/c", "/ids/a", "/ids/b", "/other/d"):
        logs.create_log_group(logGroupName=name)
    arn_d = f"arn:aws:logs:{REGION}:{DEFAULT_ACCOUNT}:log-group:/other/d"
    got = logs.describe_log_groups(logGroupIdentifiers=["/ids/c", "/ids/a", arn_d, "/ids/missing"])
    assert [g["logGroupName"] for g in got["logGroups"]] == ["/ids/a", "/ids/c", "/other/d"], got
    assert "nextToken" not in got
    # limit/nextToken still apply
    page1 = logs.describe_log_groups(logGroupIdentifiers=["/ids/a", "/ids/b", "/ids/c"], limit=2)
    assert [g["logGroupName"] for g in page1["logGroups"]] == ["/ids/a", "/ids/b"]
    page2 = logs.describe_log_groups(
        logGroupIdentifiers=["/ids/a", "/ids/b", "/ids/c"], limit=2, nextToken=page1["nextToken"]
    )
    assert [g["logGroupName"] for g in page2["logGroups"]] == ["/ids/c"]
    # ARN with the trailing ":*" form, and an ARN of another account
    got = logs.describe_log_groups(
        logGroupIdentifiers=[arn_d + ":*", "arn:aws:logs:us-east-1:999999999999:log-group:/ids/a"]
    )
    assert [g["logGroupName"] for g in got["logGroups"]] == ["/other/d"], got
    # prefix behaviour (moto's) unchanged, and the paginator sees every group
    assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/ids/")["logGroups"]] == [
        "/ids/a",
        "/ids/b",
        "/ids/c",
    ]
    names = [
        g["logGroupName"]
        for page in logs.get_paginator("describe_log_groups").paginate(
            logGroupNamePrefix="/ids/", PaginationConfig={"PageSize": 1}
        )
        for g in page["logGroups"]
    ]
    assert names == ["/ids/a", "/ids/b", "/ids/c"], names


def test_describe_log_groups_validation(srv: Server) -> None:
    logs = srv.client("logs")
    expect_error(
        "InvalidParameterException",
        logs.describe_log_groups,
        logGroupNamePrefix="/ids",
        logGroupIdentifiers=["/ids/a"],
    )
    expect_error(
        "InvalidParameterException",
        logs.describe_log_groups,
        logGroupNamePattern="ids",
        logGroupIdentifiers=["/ids/a"],
    )
    # more than 50 identifiers: boto3 does not check list max, the server must
    expect_error(
        "InvalidParameterException",
        logs.describe_log_groups,
        logGroupIdentifiers=[f"/g/{i}" for i in range(51)],
    )


def test_data_protection_policy_lifecycle(srv: Server) -> None:
    logs = srv.client("logs")
    logs.create_log_group(logGroupName="/dp/a")
    before = int(time.time() * 1000) - 1000
    put = strip_meta(logs.put_data_protection_policy(logGroupIdentifier="/dp/a", policyDocument=POLICY))
    assert set(put) == {"logGroupIdentifier", "policyDocument", "lastUpdatedTime"}, put
    assert put["logGroupIdentifier"] == "/dp/a" and put["policyDocument"] == POLICY
    assert isinstance(put["lastUpdatedTime"], int) and put["lastUpdatedTime"] >= before
    got = strip_meta(logs.get_data_protection_policy(logGroupIdentifier="/dp/a"))
    assert got == put, (got, put)
    group = logs.describe_log_groups(logGroupIdentifiers=["/dp/a"])["logGroups"][0]
    assert group["dataProtectionStatus"] == "ACTIVATED", group
    # identifiers by ARN are echoed back as given
    arn = f"arn:aws:logs:{REGION}:{DEFAULT_ACCOUNT}:log-group:/dp/a"
    got = strip_meta(logs.get_data_protection_policy(logGroupIdentifier=arn))
    assert got["logGroupIdentifier"] == arn and got["policyDocument"] == POLICY
    # delete
    assert strip_meta(logs.delete_data_protection_policy(logGroupIdentifier=arn)) == {}
    got = strip_meta(logs.get_data_protection_policy(logGroupIdentifier="/dp/a"))
    assert got == {"logGroupIdentifier": "/dp/a"}, got
    group = logs.describe_log_groups(logGroupIdentifiers=["/dp/a"])["logGroups"][0]
    assert group.get("dataProtectionStatus") == "DELETED", group
    expect_error("ResourceNotFoundException", logs.delete_data_protection_policy, logGroupIdentifier="/dp/a")


def test_data_protection_policy_errors(srv: Server) -> None:
    logs = srv.client("logs")
    logs.create_log_group(logGroupName="/dp/b")
    got = strip_meta(logs.get_data_protection_policy(logGroupIdentifier="/dp/b"))
    assert got == {"logGroupIdentifier": "/dp/b"}, got
    assert "dataProtectionStatus" not in logs.describe_log_groups(logGroupIdentifiers=["/dp/b"])["logGroups"][0]
    expect_error("ResourceNotFoundException", logs.delete_data_protection_policy, logGroupIdentifier="/dp/b")
    for name in ("put_data_protection_policy", "get_data_protection_policy", "delete_data_protection_policy"):
        kwargs = {"logGroupIdentifier": "/dp/none"}
        if name.startswith("put"):
            kwargs["policyDocument"] = POLICY
        expect_error("ResourceNotFoundException", getattr(logs, name), **kwargs)
    for bad in ("not json", "[]", json.dumps({"Name": "x", "Version": "2021-06-01"}),
                json.dumps({"Name": "x", "Version": "2021-06-01", "Statement": {}})):
        expect_error(
            "InvalidParameterException", logs.put_data_protection_policy, logGroupIdentifier="/dp/b", policyDocument=bad
        )
    assert "policyDocument" not in logs.get_data_protection_policy(logGroupIdentifier="/dp/b")


def test_account_policy_lifecycle(srv: Server) -> None:
    logs = srv.client("logs")
    before = int(time.time() * 1000) - 1000
    put = strip_meta(
        logs.put_account_policy(policyName="acct-dp", policyDocument=POLICY, policyType="DATA_PROTECTION_POLICY")
    )
    assert set(put) == {"accountPolicy"}, put
    policy = put["accountPolicy"]
    assert set(policy) == ACCOUNT_POLICY_KEYS, policy  # no selectionCriteria when none was given
    assert policy["policyName"] == "acct-dp" and policy["policyDocument"] == POLICY, policy
    assert policy["policyType"] == "DATA_PROTECTION_POLICY" and policy["scope"] == "ALL", policy
    assert policy["accountId"] == DEFAULT_ACCOUNT, policy
    assert isinstance(policy["lastUpdatedTime"], int) and policy["lastUpdatedTime"] >= before, policy
    got = strip_meta(logs.describe_account_policies(policyType="DATA_PROTECTION_POLICY"))
    assert got == {"accountPolicies": [policy]}, got
    got = logs.describe_account_policies(policyType="DATA_PROTECTION_POLICY", policyName="acct-dp")
    assert got["accountPolicies"] == [policy], got
    assert logs.describe_account_policies(policyType="DATA_PROTECTION_POLICY", policyName="nope")[
        "accountPolicies"] == []
    assert logs.describe_account_policies(policyType="SUBSCRIPTION_FILTER_POLICY")["accountPolicies"] == []
    got = logs.describe_account_policies(policyType="DATA_PROTECTION_POLICY", accountIdentifiers=[DEFAULT_ACCOUNT])
    assert got["accountPolicies"] == [policy], got
    # same name again: replaced, explicit scope ALL accepted
    updated = json.loads(POLICY)
    updated["Description"] = "v2"
    updated = json.dumps(updated)
    put2 = logs.put_account_policy(
        policyName="acct-dp", policyDocument=updated, policyType="DATA_PROTECTION_POLICY", scope="ALL"
    )["accountPolicy"]
    assert put2["policyDocument"] == updated and put2["lastUpdatedTime"] >= policy["lastUpdatedTime"], put2
    # one data protection account policy per account: another name is refused
    err = expect_error(
        "LimitExceededException",
        logs.put_account_policy,
        policyName="acct-dp-2",
        policyDocument=POLICY,
        policyType="DATA_PROTECTION_POLICY",
    )
    assert "acct-dp" in err.response["Error"]["Message"], err.response
    got = logs.describe_account_policies(policyType="DATA_PROTECTION_POLICY")["accountPolicies"]
    assert got == [put2], got
    # delete
    assert strip_meta(
        logs.delete_account_policy(policyName="acct-dp", policyType="DATA_PROTECTION_POLICY")
    ) == {}
    assert logs.describe_account_policies(policyType="DATA_PROTECTION_POLICY")["accountPolicies"] == []
    expect_error(
        "ResourceNotFoundException",
        logs.delete_account_policy,
        policyName="acct-dp",
        policyType="DATA_PROTECTION_POLICY",
    )
    # with the old one gone, another name is fine
    logs.put_account_policy(policyName="acct-dp-2", policyDocument=POLICY, policyType="DATA_PROTECTION_POLICY")
    logs.delete_account_policy(policyName="acct-dp-2", policyType="DATA_PROTECTION_POLICY")


def test_account_policy_other_types(srv: Server) -> None:
    logs = srv.client("logs")
    sub_doc = json.dumps(
        {"DestinationArn": f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT}:function:f", "FilterPattern": ""}
    )
    sub = logs.put_account_policy(
        policyName="acct-sub",
        policyDocument=sub_doc,
        policyType="SUBSCRIPTION_FILTER_POLICY",
        selectionCriteria='LogGroupName NOT IN ["/aws/lambda/f"]',
    )["accountPolicy"]
    assert set(sub) == ACCOUNT_POLICY_KEYS | {"selectionCriteria"}, sub
    assert sub["selectionCriteria"] == 'LogGroupName NOT IN ["/aws/lambda/f"]' and sub["scope"] == "ALL", sub
    expect_error(
        "LimitExceededException",
        logs.put_account_policy,
        policyName="acct-sub-2",
        policyDocument=sub_doc,
        policyType="SUBSCRIPTION_FILTER_POLICY",
    )
    # the same name in two types: two policies, each deleted by (name, type)
    idx_doc = json.dumps({"Fields": ["requestId"]})
    logs.put_account_policy(policyName="acct-sub", policyDocument=idx_doc, policyType="FIELD_INDEX_POLICY")
    for name in ("idx-b", "idx-a"):
        logs.put_account_policy(
            policyName=name,
            policyDocument=idx_doc,
            policyType="FIELD_INDEX_POLICY",
            selectionCriteria=f'LogGroupNamePrefix IN ["/{name}"]',
        )
    names = [p["policyName"] for p in logs.describe_account_policies(policyType="FIELD_INDEX_POLICY")["accountPolicies"]]
    assert names == ["acct-sub", "idx-a", "idx-b"], names
    logs.delete_account_policy(policyName="acct-sub", policyType="FIELD_INDEX_POLICY")
    got = logs.describe_account_policies(policyType="SUBSCRIPTION_FILTER_POLICY")["accountPolicies"]
    assert got == [sub], got
    # metric extraction: at most 5
    for i in range(5):
        logs.put_account_policy(
            policyName=f"emf-{i}", policyDocument="{}", policyType="METRIC_EXTRACTION_POLICY",
            selectionCriteria=f'LogGroupName IN ["/emf/{i}"]',
        )
    expect_error(
        "LimitExceededException",
        logs.put_account_policy,
        policyName="emf-5",
        policyDocument="{}",
        policyType="METRIC_EXTRACTION_POLICY",
    )
    # the remaining types are stored as given
    for policy_type, doc in (
        ("TRANSFORMER_POLICY", json.dumps({"transformerConfig": [{"parseJSON": {}}]})),
        ("RETENTION_POLICY", json.dumps({"retentionInDays": 90, "enforcementMode": "RETROACTIVE"})),
    ):
        put = logs.put_account_policy(policyName="acct-other", policyDocument=doc, policyType=policy_type)
        got = logs.describe_account_policies(policyType=policy_type)["accountPolicies"]
        assert got == [put["accountPolicy"]] and got[0]["policyDocument"] == doc, got
        logs.delete_account_policy(policyName="acct-other", policyType=policy_type)
    # clean up for the tests that follow
    logs.delete_account_policy(policyName="acct-sub", policyType="SUBSCRIPTION_FILTER_POLICY")
    for name in ("idx-a", "idx-b"):
        logs.delete_account_policy(policyName=name, policyType="FIELD_INDEX_POLICY")
    for i in range(5):
        logs.delete_account_policy(policyName=f"emf-{i}", policyType="METRIC_EXTRACTION_POLICY")


def test_account_policy_validation(srv: Server) -> None:
    logs = srv.client("logs")
    dp = {"policyName": "acct-bad", "policyDocument": POLICY, "policyType": "DATA_PROTECTION_POLICY"}
    bad_requests = [
        {**dp, "policyType": "NOT_A_TYPE"},  # boto3 does not check enums, the server must
        {**dp, "scope": "SOME"},
        {**dp, "policyName": "aws/reserved"},
        {**dp, "selectionCriteria": 'LogGroupNamePrefix IN ["/x"]'},  # not for data protection
        {**dp, "policyDocument": "x" * 30721},
        {**dp, "dryRun": True},  # dryRun only for retention policies
        {"policyName": "r", "policyType": "RETENTION_POLICY", "dryRun": True,  # DryRunResult not modelled
         "policyDocument": json.dumps({"retentionInDays": 90, "enforcementMode": "NEW_ONLY"})},
        {"policyName": "f", "policyType": "FIELD_INDEX_POLICY", "policyDocument": "not json"},
        {"policyName": "f", "policyType": "FIELD_INDEX_POLICY", "policyDocument": "{}",
         "selectionCriteria": "x" * (25 * 1024 + 1)},
    ]
    for bad in ("not json", "[]", json.dumps({"Name": "x", "Version": "2021-06-01"}),
                json.dumps({"Name": "x", "Version": "2021-06-01", "Statement": []})):
        bad_requests.append({**dp, "policyDocument": bad})
    for kwargs in bad_requests:
        expect_error("InvalidParameterException", logs.put_account_policy, **kwargs)
    for policy_type in ("DATA_PROTECTION_POLICY", "FIELD_INDEX_POLICY", "RETENTION_POLICY"):
        assert logs.describe_account_policies(policyType=policy_type)["accountPolicies"] == [], policy_type
    expect_error("InvalidParameterException", logs.describe_account_policies, policyType="NOT_A_TYPE")
    expect_error(
        "InvalidParameterException",
        logs.describe_account_policies,
        policyType="DATA_PROTECTION_POLICY",
        accountIdentifiers=[DEFAULT_ACCOUNT, "111111111111"],
    )
    expect_error(
        "InvalidParameterException",
        logs.describe_account_policies,
        policyType="DATA_PROTECTION_POLICY",
        accountIdentifiers=["12345678901x"],  # 12 long, so boto3 lets it through
    )
    expect_error(
        "InvalidParameterException",
        logs.describe_account_policies,
        policyType="DATA_PROTECTION_POLICY",
        nextToken="never-issued",
    )
    expect_error("InvalidParameterException", logs.delete_account_policy, policyName="x", policyType="NOT_A_TYPE")
    expect_error(
        "ResourceNotFoundException", logs.delete_account_policy, policyName="x", policyType="RETENTION_POLICY"
    )
    # required members, with the SDK's own check turned off
    raw = srv.client("logs", config=Config(parameter_validation=False))
    expect_error("InvalidParameterException", raw.describe_account_policies)
    expect_error("InvalidParameterException", raw.put_account_policy, policyName="x", policyType="RETENTION_POLICY")
    expect_error("InvalidParameterException", raw.delete_account_policy, policyType="RETENTION_POLICY")


def test_account_policy_isolation(srv: Server) -> None:
    other = "222222222222"
    logs = srv.client("logs")
    logs_other = srv.client("logs", assumed_credentials(srv, other))
    mine = logs.put_account_policy(policyName="iso-dp", policyDocument=POLICY, policyType="DATA_PROTECTION_POLICY")[
        "accountPolicy"]
    # the other account has its own quota of one data protection policy...
    theirs = logs_other.put_account_policy(
        policyName="iso-dp-other", policyDocument=POLICY, policyType="DATA_PROTECTION_POLICY"
    )["accountPolicy"]
    assert mine["accountId"] == DEFAULT_ACCOUNT and theirs["accountId"] == other, (mine, theirs)
    # ...and each account sees only its own
    assert logs.describe_account_policies(policyType="DATA_PROTECTION_POLICY")["accountPolicies"] == [mine]
    assert logs_other.describe_account_policies(policyType="DATA_PROTECTION_POLICY")["accountPolicies"] == [theirs]
    got = logs_other.describe_account_policies(policyType="DATA_PROTECTION_POLICY", accountIdentifiers=[DEFAULT_ACCOUNT])
    assert got["accountPolicies"] == [], got  # not a monitoring account: nothing of another account
    expect_error(
        "ResourceNotFoundException",
        logs_other.delete_account_policy,
        policyName="iso-dp",
        policyType="DATA_PROTECTION_POLICY",
    )
    # account policies are per Region as well
    logs_west = srv.client("logs", region_name="us-west-2")
    assert logs_west.describe_account_policies(policyType="DATA_PROTECTION_POLICY")["accountPolicies"] == []
    west = logs_west.put_account_policy(
        policyName="iso-dp-west", policyDocument=POLICY, policyType="DATA_PROTECTION_POLICY"
    )["accountPolicy"]
    assert west["accountId"] == DEFAULT_ACCOUNT, west
    logs_west.delete_account_policy(policyName="iso-dp-west", policyType="DATA_PROTECTION_POLICY")
    # deleting in one account leaves the other alone
    logs_other.delete_account_policy(policyName="iso-dp-other", policyType="DATA_PROTECTION_POLICY")
    assert logs.describe_account_policies(policyType="DATA_PROTECTION_POLICY")["accountPolicies"] == [mine]
    logs.delete_account_policy(policyName="iso-dp", policyType="DATA_PROTECTION_POLICY")


def test_assume_role_switches_account(srv: Server) -> None:
    sts = srv.client("sts")
    assert sts.get_caller_identity()["Account"] == DEFAULT_ACCOUNT
    creds = sts.assume_role(RoleArn="arn:aws:iam::111111111111:role/x", RoleSessionName="warden")["Credentials"]
    assumed = {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }
    ident = srv.client("sts", assumed).get_caller_identity()
    assert ident["Account"] == "111111111111", ident
    assert ident["Arn"] == "arn:aws:sts::111111111111:assumed-role/x/warden", ident
    logs_other = srv.client("logs", assumed)
    logs_other.create_log_group(logGroupName="/acct/other")
    group = logs_other.describe_log_groups(logGroupNamePrefix="/acct/")["logGroups"][0]
    assert group["logGroupArn"] == f"arn:aws:logs:{REGION}:111111111111:log-group:/acct/other", group
    assert srv.client("logs").describe_log_groups(logGroupNamePrefix="/acct/")["logGroups"] == []


def test_assume_role_honours_the_trust_policys_external_id(srv: Server) -> None:
    sts = srv.client("sts")
    creds = sts.assume_role(RoleArn="arn:aws:iam::222222222222:role/admin", RoleSessionName="setup")["Credentials"]
    admin = {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }
    trust = {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{DEFAULT_ACCOUNT}:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "right-id"}},
        }],
    }
    srv.client("iam", admin).create_role(RoleName="warden", AssumeRolePolicyDocument=json.dumps(trust))
    arn = "arn:aws:iam::222222222222:role/warden"
    for kwargs in ({}, {"ExternalId": "wrong-id"}):
        try:
            sts.assume_role(RoleArn=arn, RoleSessionName="warden", **kwargs)
        except ClientError as e:
            assert e.response["Error"]["Code"] == "AccessDenied", e.response
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 403, e.response
            assert f"sts:AssumeRole on resource: {arn}" in e.response["Error"]["Message"], e.response
        else:
            raise AssertionError(f"assumed without the right external id: {kwargs}")
    ok = sts.assume_role(RoleArn=arn, RoleSessionName="warden", ExternalId="right-id")
    assert ok["AssumedRoleUser"]["Arn"] == "arn:aws:sts::222222222222:assumed-role/warden/warden", ok
    # A role that does not exist, or one without the condition, behaves as moto always did.
    sts.assume_role(RoleArn="arn:aws:iam::222222222222:role/missing", RoleSessionName="warden")
    open_trust = dict(trust, Statement=[dict(trust["Statement"][0], Condition={})])
    srv.client("iam", admin).create_role(RoleName="open", AssumeRolePolicyDocument=json.dumps(open_trust))
    sts.assume_role(RoleArn="arn:aws:iam::222222222222:role/open", RoleSessionName="warden")


# ---------------------------------------------------------------------------
# Fault injection and stdin-EOF exit use a server of their own.
# ---------------------------------------------------------------------------


def test_fault_injection_and_stdin_eof(_: Server) -> None:
    srv = Server({"WARDEN_MOTO_FAULTS": json.dumps(FAULTS)})
    try:
        bedrock = srv.client("bedrock")
        config = {
            "cloudWatchConfig": {
                "logGroupName": "/warden/bedrock",
                "roleArn": f"arn:aws:iam::{DEFAULT_ACCOUNT}:role/bedrock-logging",
            },
            "textDataDeliveryEnabled": True,
        }
        for _attempt in range(2):  # REST-JSON: the first two calls fail...
            err = expect_error(
                "ValidationException", bedrock.put_model_invocation_logging_configuration, loggingConfig=config
            )
            meta = err.response["ResponseMetadata"]
            assert meta["HTTPStatusCode"] == 400, meta
            assert meta["HTTPHeaders"]["x-amzn-errortype"] == "ValidationException", meta
            assert err.response["Error"]["Message"] == FAULTS[
                "bedrock:PutModelInvocationLoggingConfiguration"]["message"]
            # ...and change nothing (moto answers {"loggingConfig": {}} when none is set)
            assert not bedrock.get_model_invocation_logging_configuration().get("loggingConfig")
        bedrock.put_model_invocation_logging_configuration(loggingConfig=config)  # ...the third passes
        got = bedrock.get_model_invocation_logging_configuration()["loggingConfig"]
        assert got["cloudWatchConfig"]["logGroupName"] == "/warden/bedrock", got

        logs = srv.client("logs")  # JSON 1.1 protocol, 5xx
        logs.create_log_group(logGroupName="/f/a")
        err = expect_error("ServiceUnavailableException", logs.put_retention_policy, logGroupName="/f/a", retentionInDays=7)
        assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 503
        logs.put_retention_policy(logGroupName="/f/a", retentionInDays=7)
        assert logs.describe_log_groups(logGroupNamePrefix="/f/a")["logGroups"][0]["retentionInDays"] == 7

        arn = f"arn:aws:logs:{REGION}:{DEFAULT_ACCOUNT}:log-group:/f/a"
        logs.tag_resource(resourceArn=arn, tags={"n": "1"})  # after: 1 lets this one through
        expect_error("InvalidParameterException", logs.tag_resource, resourceArn=arn, tags={"n": "2"})
        logs.tag_resource(resourceArn=arn, tags={"n": "3"})
        assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"n": "3"}

        sts = srv.client("sts")  # query protocol (XML error)
        err = expect_error("ExpiredToken", sts.get_caller_identity)
        assert err.response["Error"]["Message"] == "expired"
        assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert sts.get_caller_identity()["Account"] == DEFAULT_ACCOUNT

        s3 = srv.client("s3")  # rest-xml, hooked apart from the other services
        s3.create_bucket(Bucket="warden-logs")
        s3.put_bucket_policy(Bucket="warden-logs", Policy=json.dumps({"Version": "2012-10-17", "Statement": []}))
        err = expect_error("AccessDenied", s3.get_bucket_policy, Bucket="warden-logs")
        assert err.response["Error"]["Message"] == "Access Denied"
        assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert "Policy" in s3.get_bucket_policy(Bucket="warden-logs")

        assert srv.close_stdin_and_wait(timeout=10) == 0  # --exit-on-stdin-eof
    finally:
        srv.kill()


def test_hang_delays_then_answers(_: Server) -> None:
    faults = {"logs:DescribeLogGroups": {"hang": 2, "times": 1},
              "logs:CreateLogGroup": {"hang": 1, "code": "ServiceUnavailableException", "status": 400}}
    srv = Server({"WARDEN_MOTO_FAULTS": json.dumps(faults)})
    try:
        logs = srv.client("logs")
        started = time.monotonic()
        assert logs.describe_log_groups()["logGroups"] == []  # waited, then moto answered
        assert time.monotonic() - started >= 2, "the call was not held"
        started = time.monotonic()
        expect_error("ServiceUnavailableException", logs.create_log_group, logGroupName="/h")
        assert time.monotonic() - started >= 1, "the call was not held"
        assert logs.describe_log_groups()["logGroups"] == []  # the faulted create changed nothing
        started = time.monotonic()
        logs.create_log_group(logGroupName="/h")  # times: 1 — the next call is immediate
        assert time.monotonic() - started < 1
    finally:
        srv.kill()


def test_reset_clears_account_policies(_: Server) -> None:
    srv = Server()
    try:
        logs = srv.client("logs")
        logs.put_account_policy(policyName="r", policyDocument=POLICY, policyType="DATA_PROTECTION_POLICY")
        with urllib.request.urlopen(urllib.request.Request(f"{srv.endpoint}/moto-api/reset", method="POST")) as resp:
            assert resp.status == 200, resp.status
        assert logs.describe_account_policies(policyType="DATA_PROTECTION_POLICY")["accountPolicies"] == []
        logs.put_account_policy(policyName="r2", policyDocument=POLICY, policyType="DATA_PROTECTION_POLICY")
    finally:
        srv.kill()


def test_bad_fault_spec_fails_startup(_: Server) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    env["WARDEN_MOTO_FAULTS"] = "{not json"
    proc = subprocess.run(
        [sys.executable, LAUNCHER, "--port", "0"], env=env, capture_output=True, timeout=120, stdin=subprocess.DEVNULL
    )
    assert proc.returncode != 0 and b"PORT" not in proc.stdout, proc
    assert b"WARDEN_MOTO_FAULTS" in proc.stderr, proc.stderr[-500:]


# ---- CloudTrail (Part 4) ------------------------------------------------------


def cloudtrail_policy(bucket: str, prefix: str | None, account: str, trail_arn: str | None = None) -> dict[str, Any]:
    """The two statements CloudTrail documents for a trail's bucket."""
    condition = {"StringEquals": {"aws:SourceArn": trail_arn}} if trail_arn else {}
    path = f"{prefix}/" if prefix else ""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AWSCloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": f"arn:aws:s3:::{bucket}",
                **({"Condition": condition} if condition else {}),
            },
            {
                "Sid": "AWSCloudTrailWrite",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/{path}AWSLogs/{account}/*",
                "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **condition.get("StringEquals", {})}},
            },
        ],
    }


def trail_bucket(srv: Server, bucket: str, prefix: str | None = None, trail: str | None = None) -> None:
    s3 = srv.client("s3")
    s3.create_bucket(Bucket=bucket)
    arn = f"arn:aws:cloudtrail:{REGION}:{DEFAULT_ACCOUNT}:trail/{trail}" if trail else None
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(cloudtrail_policy(bucket, prefix, DEFAULT_ACCOUNT, arn)))


DATA_SELECTOR = {
    "Name": "guardrails",
    "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Data"]},
        {"Field": "resources.type", "Equals": ["AWS::Bedrock::Guardrail"]},
    ],
}
MANAGEMENT_SELECTOR = {"Name": "mgmt", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}


def test_cloudtrail_create_trail_with_an_existing_name_fails(srv: Server) -> None:
    trail_bucket(srv, "ct-dup", trail="dup")
    ct = srv.client("cloudtrail")
    ct.create_trail(Name="dup", S3BucketName="ct-dup", EnableLogFileValidation=True)
    err = expect_error("TrailAlreadyExistsException", ct.create_trail, Name="dup", S3BucketName="ct-dup")
    assert "dup" in err.response["Error"]["Message"], err
    # ...and the first trail keeps its settings (moto used to reset them)
    assert ct.get_trail(Name="dup")["Trail"]["LogFileValidationEnabled"] is True
    ct.delete_trail(Name="dup")


def test_cloudtrail_delete_trail_by_arn(srv: Server) -> None:
    trail_bucket(srv, "ct-del", trail="del")
    ct = srv.client("cloudtrail")
    arn = ct.create_trail(Name="del", S3BucketName="ct-del")["TrailARN"]
    ct.delete_trail(Name=arn)
    assert not [t for t in ct.describe_trails()["trailList"] if t["Name"] == "del"]
    expect_error("TrailNotFoundException", ct.delete_trail, Name=arn)


def test_cloudtrail_create_trail_checks_the_bucket_policy(srv: Server) -> None:
    s3, ct = srv.client("s3"), srv.client("cloudtrail")
    s3.create_bucket(Bucket="ct-nopolicy")
    expect_error("InsufficientS3BucketPolicyException", ct.create_trail, Name="pol0", S3BucketName="ct-nopolicy")
    expect_error("S3BucketDoesNotExistException", ct.create_trail, Name="pol0", S3BucketName="ct-missing")

    # the policy of another prefix does not cover this one
    trail_bucket(srv, "ct-prefixed", prefix="audit")
    expect_error("InsufficientS3BucketPolicyException", ct.create_trail, Name="pol1", S3BucketName="ct-prefixed")
    ct.create_trail(Name="pol1", S3BucketName="ct-prefixed", S3KeyPrefix="audit")

    # aws:SourceArn must name this trail
    trail_bucket(srv, "ct-sourcearn", trail="pol2")
    expect_error("InsufficientS3BucketPolicyException", ct.create_trail, Name="other", S3BucketName="ct-sourcearn")
    ct.create_trail(Name="pol2", S3BucketName="ct-sourcearn")

    # aws:SourceAccount of another account refuses; a Deny wins; write without acl check refuses
    for name, mutate in (
        ("acct", lambda p: p["Statement"][1]["Condition"].update({"StringEquals": {"aws:SourceAccount": "111111111111"}})),
        ("deny", lambda p: p["Statement"].append({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::ct-" + "deny/*"})),
        ("noacl", lambda p: p["Statement"].pop(0)),
    ):
        policy = cloudtrail_policy(f"ct-{name}", None, DEFAULT_ACCOUNT)
        mutate(policy)
        s3.create_bucket(Bucket=f"ct-{name}")
        s3.put_bucket_policy(Bucket=f"ct-{name}", Policy=json.dumps(policy))
        expect_error("InsufficientS3BucketPolicyException", ct.create_trail, Name=f"t-{name}", S3BucketName=f"ct-{name}")
    names = {t["Name"] for t in ct.describe_trails()["trailList"]}
    assert names == {"pol1", "pol2"}, names
    for name in names:
        ct.delete_trail(Name=name)


def test_cloudtrail_update_trail_checks_a_new_bucket(srv: Server) -> None:
    ct, s3 = srv.client("cloudtrail"), srv.client("s3")
    trail_bucket(srv, "ct-upd-a")
    ct.create_trail(Name="upd", S3BucketName="ct-upd-a")
    s3.create_bucket(Bucket="ct-upd-b")  # no policy
    expect_error("InsufficientS3BucketPolicyException", ct.update_trail, Name="upd", S3BucketName="ct-upd-b")
    expect_error("InsufficientS3BucketPolicyException", ct.update_trail, Name="upd", S3KeyPrefix="elsewhere")
    expect_error("S3BucketDoesNotExistException", ct.update_trail, Name="upd", S3BucketName="ct-upd-none")
    assert ct.get_trail(Name="upd")["Trail"]["S3BucketName"] == "ct-upd-a"
    ct.update_trail(Name="upd", EnableLogFileValidation=True)  # the bucket unchanged: no check
    trail_bucket(srv, "ct-upd-c")
    assert ct.update_trail(Name="upd", S3BucketName="ct-upd-c")["S3BucketName"] == "ct-upd-c"
    ct.delete_trail(Name="upd")


def test_cloudtrail_has_custom_event_selectors_and_one_kind(srv: Server) -> None:
    trail_bucket(srv, "ct-sel")
    ct = srv.client("cloudtrail")
    ct.create_trail(Name="sel", S3BucketName="ct-sel")
    assert ct.get_trail(Name="sel")["Trail"]["HasCustomEventSelectors"] is False
    got = strip_meta(ct.get_event_selectors(TrailName="sel"))
    assert "AdvancedEventSelectors" not in got, got  # AWS's default: all management events
    assert got["EventSelectors"] == [
        {"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [], "ExcludeManagementEventSources": []}
    ], got

    put = strip_meta(ct.put_event_selectors(TrailName="sel", AdvancedEventSelectors=[MANAGEMENT_SELECTOR, DATA_SELECTOR]))
    assert set(put) == {"TrailARN", "AdvancedEventSelectors"}, put
    got = strip_meta(ct.get_event_selectors(TrailName="sel"))
    assert set(got) == {"TrailARN", "AdvancedEventSelectors"}, got
    assert got["AdvancedEventSelectors"] == [MANAGEMENT_SELECTOR, DATA_SELECTOR], got
    assert ct.get_trail(Name="sel")["Trail"]["HasCustomEventSelectors"] is True
    assert ct.describe_trails(trailNameList=["sel"])["trailList"][0]["HasCustomEventSelectors"] is True

    basic = [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True, "DataResources": []}]
    ct.put_event_selectors(TrailName="sel", EventSelectors=basic)  # basic replaces advanced
    got = strip_meta(ct.get_event_selectors(TrailName="sel"))
    assert set(got) == {"TrailARN", "EventSelectors"}, got
    assert got["EventSelectors"][0]["ReadWriteType"] == "WriteOnly", got
    ct.put_event_selectors(TrailName="sel", AdvancedEventSelectors=[DATA_SELECTOR])  # and back
    got = strip_meta(ct.get_event_selectors(TrailName="sel"))
    assert got.get("AdvancedEventSelectors") == [DATA_SELECTOR] and "EventSelectors" not in got, got
    expect_error(
        "InvalidParameterCombinationException",
        ct.put_event_selectors, TrailName="sel", EventSelectors=basic, AdvancedEventSelectors=[DATA_SELECTOR],
    )
    ct.delete_trail(Name="sel")


def test_cloudtrail_put_event_selectors_validates(srv: Server) -> None:
    trail_bucket(srv, "ct-val")
    ct = srv.client("cloudtrail")
    ct.create_trail(Name="val", S3BucketName="ct-val")

    def fields(*fs: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"FieldSelectors": list(fs)}]

    category = {"Field": "eventCategory", "Equals": ["Data"]}
    guardrail = {"Field": "resources.type", "Equals": ["AWS::Bedrock::Guardrail"]}
    invalid = {
        "no eventCategory": fields(guardrail),
        "no resources.type for Data": fields(category),
        "unknown field": fields(category, guardrail, {"Field": "resources.Name", "Equals": ["x"]}),
        "StartsWith on readOnly": fields(category, guardrail, {"Field": "readOnly", "StartsWith": ["t"]}),
        "StartsWith on resources.type": fields(category, {"Field": "resources.type", "StartsWith": ["AWS::Bedrock::"]}),
        "malformed type": fields(category, {"Field": "resources.type", "Equals": ["AWS::Nope"]}),
        "two types in one selector": fields(
            category, {"Field": "resources.type", "Equals": ["AWS::Bedrock::Guardrail", "AWS::Bedrock::Model"]}
        ),
        "readOnly not a boolean": fields(category, guardrail, {"Field": "readOnly", "Equals": ["yes"]}),
        "unknown category": fields({"Field": "eventCategory", "Equals": ["Insight"]}, guardrail),
        "resources.type on management": fields({"Field": "eventCategory", "Equals": ["Management"]}, guardrail),
        "no operator": fields(category, guardrail, {"Field": "resources.ARN"}),
        "over 500 values": fields(
            category, guardrail,
            {"Field": "resources.ARN", "StartsWith": [f"arn:aws:bedrock:{REGION}:{DEFAULT_ACCOUNT}:guardrail/{i}" for i in range(499)]},
        ),
    }
    for label, selectors in invalid.items():
        try:
            ct.put_event_selectors(TrailName="val", AdvancedEventSelectors=selectors)
        except ClientError as err:
            assert err.response["Error"]["Code"] == "InvalidEventSelectorsException", (label, err)
        else:
            raise AssertionError(f"{label}: accepted")
    # A refused put changes nothing.
    assert ct.get_trail(Name="val")["Trail"]["HasCustomEventSelectors"] is False
    # Exactly 500 values pass; any AWS::<Service>::<Type> passes (AWS adds types often).
    ct.put_event_selectors(
        TrailName="val",
        AdvancedEventSelectors=fields(
            category, {"Field": "resources.type", "Equals": ["AWS::Bedrock::SomethingNew"]},
            {"Field": "readOnly", "Equals": ["false"]},
            {"Field": "resources.ARN", "StartsWith": [f"arn:aws:bedrock:{REGION}:{DEFAULT_ACCOUNT}:x/{i}" for i in range(497)]},
        ),
    )
    expect_error(
        "InvalidEventSelectorsException",
        ct.put_event_selectors, TrailName="val", EventSelectors=[{"ReadWriteType": "Sometimes"}],
    )
    ct.delete_trail(Name="val")


def test_cloudtrail_trail_limit_and_describe_filter(srv: Server) -> None:
    # An empty cloud: the count is per account and Region.
    with urllib.request.urlopen(urllib.request.Request(f"{srv.endpoint}/moto-api/reset", method="POST")) as resp:
        assert resp.status == 200, resp.status
    try:
        trail_bucket(srv, "ct-many")
        east, west = srv.client("cloudtrail"), srv.client("cloudtrail", region_name="us-west-2")
        west.create_trail(Name="west-multi", S3BucketName="ct-many", IsMultiRegionTrail=True)
        west.create_trail(Name="west-only", S3BucketName="ct-many")
        for i in range(4):
            east.create_trail(Name=f"east-{i}", S3BucketName="ct-many")
        # 4 here + west-multi's shadow = 5
        err = expect_error("MaximumNumberOfTrailsExceededException", east.create_trail, Name="east-4", S3BucketName="ct-many")
        assert "5 trails" in err.response["Error"]["Message"], err
        west.create_trail(Name="west-2", S3BucketName="ct-many")  # 3 in us-west-2

        def listed(client: Any, **kw: Any) -> list[str]:
            return sorted(t["Name"] for t in client.describe_trails(**kw)["trailList"])

        assert listed(east, trailNameList=["east-1"]) == ["east-1"]
        assert listed(east, trailNameList=["west-only"]) == []  # a name: this Region's trails only
        west_arn = f"arn:aws:cloudtrail:us-west-2:{DEFAULT_ACCOUNT}:trail/west-only"
        assert listed(east, trailNameList=[west_arn, "east-0"]) == ["east-0", "west-only"]
        assert listed(east) == ["east-0", "east-1", "east-2", "east-3", "west-multi"]
        assert listed(east, includeShadowTrails=False) == ["east-0", "east-1", "east-2", "east-3"]
    finally:
        with urllib.request.urlopen(urllib.request.Request(f"{srv.endpoint}/moto-api/reset", method="POST")):
            pass


def test_cloudtrail_fault_injection(_: Server) -> None:
    """A run dies between CreateTrail and PutEventSelectors: the fault fails the
    call, changes nothing, and the next call goes through."""
    srv = Server({"WARDEN_MOTO_FAULTS": json.dumps(
        {"cloudtrail:PutEventSelectors": {"times": 1, "code": "ThrottlingException", "message": "slow down"}}
    )})
    try:
        trail_bucket(srv, "ct-fault")
        ct = srv.client("cloudtrail")
        ct.create_trail(Name="fault", S3BucketName="ct-fault")
        err = expect_error("ThrottlingException", ct.put_event_selectors, TrailName="fault", AdvancedEventSelectors=[DATA_SELECTOR])
        assert err.response["Error"]["Message"] == "slow down"
        assert ct.get_trail(Name="fault")["Trail"]["HasCustomEventSelectors"] is False
        ct.put_event_selectors(TrailName="fault", AdvancedEventSelectors=[DATA_SELECTOR])
        assert ct.get_event_selectors(TrailName="fault")["AdvancedEventSelectors"] == [DATA_SELECTOR]
    finally:
        srv.kill()


# ---- EventBridge (Part 5) -----------------------------------------------------

API_KEY = {"ApiKeyAuthParameters": {"ApiKeyName": "Authorization", "ApiKeyValue": "Api-Token canary-one"}}


def secret_of(srv: Server, connection_arn_or_name: str) -> dict[str, Any]:
    ev = srv.client("events")
    arn = ev.describe_connection(Name=connection_arn_or_name)["SecretArn"]
    return json.loads(srv.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])


def test_events_create_connection_with_an_existing_name_fails(srv: Server) -> None:
    ev, sm = srv.client("events"), srv.client("secretsmanager")
    arn = ev.create_connection(Name="dt", AuthorizationType="API_KEY", AuthParameters=API_KEY)["ConnectionArn"]
    before = sm.list_secrets()["SecretList"]
    other = {"ApiKeyAuthParameters": {"ApiKeyName": "X-Other", "ApiKeyValue": "other"}}
    err = expect_error("ResourceAlreadyExistsException", ev.create_connection, Name="dt",
                       AuthorizationType="API_KEY", AuthParameters=other)
    assert "dt" in err.response["Error"]["Message"], err.response
    got = ev.describe_connection(Name="dt")
    assert got["ConnectionArn"] == arn, got
    assert got["AuthParameters"] == {"ApiKeyAuthParameters": {"ApiKeyName": "Authorization"}}, got
    assert sm.list_secrets()["SecretList"] == before  # no orphaned second secret
    assert secret_of(srv, "dt")["api_key_value"] == "Api-Token canary-one"
    ev.delete_connection(Name="dt")


def test_events_update_connection_updates_the_secret(srv: Server) -> None:
    ev, sm = srv.client("events"), srv.client("secretsmanager")
    ev.create_connection(Name="rot", AuthorizationType="API_KEY", AuthParameters=API_KEY)
    ev.update_connection(Name="rot", AuthParameters={"ApiKeyAuthParameters": {"ApiKeyValue": "Api-Token canary-two"}})
    got = ev.describe_connection(Name="rot")
    # the name given at creation is kept (moto replaced AuthParameters wholesale and lost it)
    assert got["AuthParameters"] == {"ApiKeyAuthParameters": {"ApiKeyName": "Authorization"}}, got
    assert "canary" not in json.dumps(strip_meta(got), default=str)  # the value is never described
    secret = secret_of(srv, "rot")
    assert secret == {"api_key_name": "Authorization", "api_key_value": "Api-Token canary-two"}, secret
    versions = sm.list_secret_version_ids(SecretId=got["SecretArn"])["Versions"]
    assert len(versions) == 2, versions  # a new version, the old one no longer current
    ev.update_connection(Name="rot", Description="only the description")
    assert secret_of(srv, "rot")["api_key_value"] == "Api-Token canary-two"
    assert ev.describe_connection(Name="rot")["Description"] == "only the description"
    expect_error("ResourceNotFoundException", ev.update_connection, Name="nope", Description="x")
    ev.delete_connection(Name="rot")


def test_events_deauthorized_connection_is_authorized_again_by_an_update(srv: Server) -> None:
    ev = srv.client("events")
    ev.create_connection(Name="deauth", AuthorizationType="API_KEY", AuthParameters=API_KEY)
    assert ev.describe_connection(Name="deauth")["ConnectionState"] == "AUTHORIZED"
    assert ev.deauthorize_connection(Name="deauth")["ConnectionState"] == "DEAUTHORIZED"
    assert ev.describe_connection(Name="deauth")["ConnectionState"] == "DEAUTHORIZED"
    ev.update_connection(Name="deauth", Description="not the key")
    assert ev.describe_connection(Name="deauth")["ConnectionState"] == "DEAUTHORIZED"
    ev.update_connection(Name="deauth", AuthParameters={"ApiKeyAuthParameters": {"ApiKeyValue": "Api-Token canary-3"}})
    assert ev.describe_connection(Name="deauth")["ConnectionState"] == "AUTHORIZED"
    expect_error("ResourceNotFoundException", ev.deauthorize_connection, Name="nope")
    ev.delete_connection(Name="deauth")


def test_events_create_api_destination_checks_the_connection(srv: Server) -> None:
    ev = srv.client("events")
    conn = ev.create_connection(Name="dest-conn", AuthorizationType="API_KEY", AuthParameters=API_KEY)["ConnectionArn"]
    ghost = conn.replace("dest-conn", "ghost")
    args = {"InvocationEndpoint": "https://abc12345.live.dynatrace.com/api/v2/bizevents/ingest",
            "HttpMethod": "POST", "InvocationRateLimitPerSecond": 10}
    err = expect_error("ResourceNotFoundException", ev.create_api_destination, Name="dt", ConnectionArn=ghost, **args)
    assert "ghost" in err.response["Error"]["Message"], err.response
    expect_error("ResourceNotFoundException", ev.describe_api_destination, Name="dt")  # nothing stored
    # a connection of another account is not found either
    other = conn.replace(DEFAULT_ACCOUNT, "222222222222")
    expect_error("ResourceNotFoundException", ev.create_api_destination, Name="dt", ConnectionArn=other, **args)
    ev.create_api_destination(Name="dt", ConnectionArn=conn, **args)
    err = expect_error("ResourceAlreadyExistsException", ev.create_api_destination, Name="dt", ConnectionArn=conn,
                       **dict(args, InvocationRateLimitPerSecond=1))
    assert ev.describe_api_destination(Name="dt")["InvocationRateLimitPerSecond"] == 10
    expect_error("ResourceNotFoundException", ev.update_api_destination, Name="dt", ConnectionArn=ghost)
    ev.update_api_destination(Name="dt", InvocationRateLimitPerSecond=20)
    got = ev.describe_api_destination(Name="dt")
    assert (got["ConnectionArn"], got["InvocationRateLimitPerSecond"]) == (conn, 20), got
    ev.delete_api_destination(Name="dt")
    ev.delete_connection(Name="dest-conn")


def test_events_rules_targets_limit_and_delete_order(srv: Server) -> None:
    ev = srv.client("events")
    # PutRule replaces the rule: omitted fields are reset (moto already does it as AWS)
    ev.put_rule(Name="five", EventPattern=json.dumps({"source": ["x"]}), Description="d", State="DISABLED")
    ev.put_rule(Name="five", EventPattern=json.dumps({"source": ["aws.bedrock"]}))
    rule = ev.describe_rule(Name="five")
    assert (rule.get("Description"), rule["State"]) == (None, "ENABLED"), rule
    targets = [{"Id": f"t{i}", "Arn": f"arn:aws:sns:{REGION}:{DEFAULT_ACCOUNT}:topic{i}"} for i in range(5)]
    assert ev.put_targets(Rule="five", Targets=targets)["FailedEntryCount"] == 0
    sixth = [{"Id": "t5", "Arn": f"arn:aws:sns:{REGION}:{DEFAULT_ACCOUNT}:topic5"}]
    expect_error("LimitExceededException", ev.put_targets, Rule="five", Targets=sixth)
    assert len(ev.list_targets_by_rule(Rule="five")["Targets"]) == 5
    ev.put_targets(Rule="five", Targets=[dict(targets[0], Input='{"a": 1}')])  # replacing one is fine
    # DeleteRule while targets remain: moto already refuses, as AWS does
    expect_error("ValidationException", ev.delete_rule, Name="five")
    ev.remove_targets(Rule="five", Ids=[t["Id"] for t in targets])
    ev.delete_rule(Name="five")
    expect_error("ResourceNotFoundException", ev.describe_rule, Name="five")


def test_events_test_event_pattern(srv: Server) -> None:
    ev = srv.client("events")
    event = {"id": "1", "account": DEFAULT_ACCOUNT, "source": "aws.bedrock", "time": "2026-12-03T10:00:00Z",
             "region": REGION, "detail-type": "AWS API Call via CloudTrail", "resources": [],
             "detail": {"eventSource": "bedrock.amazonaws.com", "eventName": "UpdateGuardrail"}}
    pattern = {"source": ["aws.bedrock"], "detail": {"eventName": [{"prefix": "UpdateGuard"}]}}
    assert ev.test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(event))["Result"] is True
    pattern["detail"]["eventName"] = [{"prefix": "Delete"}]
    assert ev.test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(event))["Result"] is False
    expect_error("InvalidEventPatternException", ev.test_event_pattern, EventPattern="{not json", Event=json.dumps(event))
    del event["account"]
    expect_error("ValidationException", ev.test_event_pattern, EventPattern=json.dumps(pattern), Event=json.dumps(event))


def test_events_presets_match_their_events(srv: Server) -> None:
    """The presets in src/events/presets.json, put as rules, match the events they name
    (TestEventPattern, so moto's matcher) and not the others."""
    with open(os.path.join(HERE, "..", "..", "src", "events", "presets.json")) as f:
        presets = {p["name"]: p["pattern"] for p in json.load(f)}
    ev = srv.client("events")

    def event(source: str, detail_type: str, detail: dict[str, Any]) -> str:
        return json.dumps({"id": "1", "account": DEFAULT_ACCOUNT, "source": source, "time": "2026-12-03T10:00:00Z",
                           "region": REGION, "detail-type": detail_type, "resources": [], "detail": detail})

    def call(service: str, name: str) -> str:
        return event(f"aws.{service}", "AWS API Call via CloudTrail",
                     {"eventSource": f"{service}.amazonaws.com", "eventName": name})

    job = event("aws.bedrock", "Model Customization Job State Change", {"jobStatus": "Completed"})
    bda = event("aws.bedrock", "Bedrock Data Automation Job Succeeded", {})
    expected = {
        "bedrock_configuration": ([job, bda], [call("bedrock", "CreateGuardrail")]),
        "bedrock_api_calls": ([call("bedrock", "CreateGuardrail"), call("bedrock", "DeleteModelInvocationLoggingConfiguration")],
                              [job, call("cloudtrail", "StopLogging")]),
        "governance_tampering": ([call("bedrock", "DeleteModelInvocationLoggingConfiguration"), call("cloudtrail", "StopLogging"),
                                  call("logs", "DeleteDataProtectionPolicy"), call("events", "RemoveTargets"),
                                  call("bedrock", "DeleteGuardrail")],
                                 [call("bedrock", "CreateGuardrail"), call("cloudtrail", "StartLogging"), job]),
    }
    assert set(presets) == set(expected), presets.keys()
    for name, (matching, other) in expected.items():
        pattern = json.dumps(presets[name])
        ev.put_rule(Name=f"preset-{name}", EventPattern=pattern)
        for e in matching:
            assert ev.test_event_pattern(EventPattern=pattern, Event=e)["Result"] is True, (name, e)
        for e in other:
            assert ev.test_event_pattern(EventPattern=pattern, Event=e)["Result"] is False, (name, e)
        ev.delete_rule(Name=f"preset-{name}")


def test_sns_email_subscriptions_wait_for_confirmation(srv: Server) -> None:
    sns = srv.client("sns")
    topic = sns.create_topic(Name="bedrock-governance-alerts")["TopicArn"]
    assert sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="secops@example.com")["SubscriptionArn"] == "pending confirmation"
    again = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="secops@example.com", ReturnSubscriptionArn=True)
    arn = again["SubscriptionArn"]
    assert arn.startswith(topic + ":"), again
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [(s["SubscriptionArn"], s["Endpoint"], s["Protocol"]) for s in listed] == [
        ("PendingConfirmation", "secops@example.com", "email")], listed
    assert sns.list_subscriptions()["Subscriptions"][0]["SubscriptionArn"] == "PendingConfirmation"
    assert sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"] == "true"
    attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert (attrs["SubscriptionsPending"], attrs["SubscriptionsConfirmed"]) == ("1", "0"), attrs
    expect_error("InvalidParameter", sns.confirm_subscription, TopicArn=topic, Token="guess")
    got = sns.confirm_subscription(TopicArn=topic, Token="warden-harness-confirm:secops@example.com")
    assert got["SubscriptionArn"] == arn, got
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"][0]["SubscriptionArn"] == arn
    assert sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"] == "false"
    attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert (attrs["SubscriptionsPending"], attrs["SubscriptionsConfirmed"]) == ("0", "1"), attrs
    # other protocols are confirmed at once, as in moto
    sqs_arn = f"arn:aws:sqs:{REGION}:{DEFAULT_ACCOUNT}:q"
    assert sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=sqs_arn)["SubscriptionArn"].startswith(topic + ":")
    sns.delete_topic(TopicArn=topic)


def test_events_put_targets_partial_failure(_: Server) -> None:
    faults = {"events:PutTargets": {"times": 1, "partial": ["bad"], "code": "ValidationException",
                                    "message": "RoleArn is not valid"},
              "events:CreateConnection": {"times": 1, "code": "ThrottlingException", "message": "slow"}}
    srv = Server({"WARDEN_MOTO_FAULTS": json.dumps(faults)})
    try:
        ev = srv.client("events")
        ev.put_rule(Name="r", EventPattern=json.dumps({"source": ["aws.bedrock"]}))
        arn = f"arn:aws:sns:{REGION}:{DEFAULT_ACCOUNT}:t"
        got = ev.put_targets(Rule="r", Targets=[{"Id": "good", "Arn": arn}, {"Id": "bad", "Arn": arn}])
        assert got["FailedEntryCount"] == 1, got
        assert got["FailedEntries"] == [{"TargetId": "bad", "ErrorCode": "ValidationException",
                                         "ErrorMessage": "RoleArn is not valid"}], got
        assert [t["Id"] for t in ev.list_targets_by_rule(Rule="r")["Targets"]] == ["good"]
        got = ev.put_targets(Rule="r", Targets=[{"Id": "bad", "Arn": arn}])  # times: 1
        assert got["FailedEntryCount"] == 0, got
        expect_error("ThrottlingException", ev.create_connection, Name="c", AuthorizationType="API_KEY",
                     AuthParameters=API_KEY)
        assert srv.client("secretsmanager").list_secrets()["SecretList"] == []  # the fault changed nothing
    finally:
        srv.kill()



# ---------------------------------------------------------------------------
# CloudWatch over Smithy RPC v2 CBOR (moto_cbor.py) and moto_monitoring.py
# ---------------------------------------------------------------------------


def cbor_client(srv: Server, service: str = "cloudwatch", **kw: Any) -> Any:
    """A boto3 client forced onto the Smithy RPC v2 CBOR protocol (botocore prefers JSON)."""
    import botocore.model

    saved = botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS
    botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS = ("smithy-rpc-v2-cbor",) + tuple(
        p for p in saved if p != "smithy-rpc-v2-cbor"
    )
    try:
        client = srv.client(service, **kw)
    finally:
        botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS = saved
    assert client.meta.service_model.resolved_protocol == "smithy-rpc-v2-cbor"
    return client


def raw_cbor(srv: Server, operation: str, params: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    """A hand-built CBOR request, as the Rust SDK sends it (signature not checked by moto)."""
    import cbor2

    request = urllib.request.Request(
        f"{srv.endpoint}/service/GraniteServiceVersion20100801/operation/{operation}",
        data=cbor2.dumps(params),
        method="POST",
        headers={
            "smithy-protocol": "rpc-v2-cbor",
            "Content-Type": "application/cbor",
            "Accept": "application/cbor",
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20261203/eu-west-1/monitoring/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    )
    try:
        with urllib.request.urlopen(request) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


ALARM = dict(
    AlarmName="throttles",
    Namespace="AWS/Bedrock",
    MetricName="InvocationThrottles",
    Dimensions=[{"Name": "ModelId", "Value": "amazon.titan-embed-text-v2:0"}],
    Statistic="Sum",
    Period=300,
    EvaluationPeriods=3,
    DatapointsToAlarm=2,
    Threshold=5.5,
    ComparisonOperator="GreaterThanOrEqualToThreshold",
    TreatMissingData="notBreaching",
    AlarmActions=["arn:aws:sns:us-east-1:123456789012:alerts"],
)


def band_alarm(name: str, **over: Any) -> dict[str, Any]:
    stat = {
        "Metric": {"Namespace": "AWS/Bedrock", "MetricName": "InputTokenCount",
                   "Dimensions": [{"Name": "ModelId", "Value": "m"}]},
        "Period": 300,
        "Stat": "Sum",
    }
    alarm = dict(
        AlarmName=name,
        EvaluationPeriods=2,
        ComparisonOperator="GreaterThanUpperThreshold",
        ThresholdMetricId="band",
        Metrics=[
            {"Id": "m1", "MetricStat": stat, "ReturnData": True},
            {"Id": "band", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)", "ReturnData": True},
        ],
    )
    alarm.update(over)
    return alarm


def test_cbor_route_round_trips_alarms_and_dashboards(srv: Server) -> None:
    cw = cbor_client(srv, region_name="eu-west-1")
    try:
        cw.put_metric_alarm(**ALARM)
        got = cw.describe_alarms(AlarmNames=["throttles"])["MetricAlarms"]
        assert len(got) == 1, got
        alarm = got[0]
        for key in ("Namespace", "MetricName", "Dimensions", "Statistic", "Period", "EvaluationPeriods",
                    "DatapointsToAlarm", "Threshold", "ComparisonOperator", "TreatMissingData", "AlarmActions"):
            assert alarm[key] == ALARM[key], (key, alarm[key])
        assert alarm["AlarmArn"] == f"arn:aws:cloudwatch:eu-west-1:{DEFAULT_ACCOUNT}:alarm:throttles"
        assert abs(alarm["AlarmConfigurationUpdatedTimestamp"].timestamp() - time.time()) < 120
        body = '{"widgets": [{"type": "text", "x": 0, "y": 0, "width": 6, "height": 3, "properties": {"markdown": "hi"}}]}'
        cw.put_dashboard(DashboardName="overview", DashboardBody=body)
        assert cw.get_dashboard(DashboardName="overview")["DashboardBody"] == body
        assert [d["DashboardName"] for d in cw.list_dashboards()["DashboardEntries"]] == ["overview"]
        err = expect_error("ResourceNotFound", cw.get_dashboard, DashboardName="nope")
        assert err.response["Error"]["QueryErrorCode"] == "ResourceNotFound", err.response
        assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 404
        # The same state is seen over JSON: one backend, two protocols.
        assert srv.client("cloudwatch", region_name="eu-west-1").describe_alarms()["MetricAlarms"][0]["AlarmName"] == "throttles"
    finally:
        cw.delete_alarms(AlarmNames=["throttles"])
        cw.delete_dashboards(DashboardNames=["overview"])


def test_cbor_route_wire_format(srv: Server) -> None:
    """What the Rust decoder needs: tag 1 timestamps, float64 doubles, CBOR errors with the
    query-compatible header, the smithy-protocol response header."""
    import cbor2

    status, headers, body = raw_cbor(srv, "PutMetricAlarm", {**ALARM, "AlarmName": "wire", "Threshold": 2.0})
    assert (status, body) == (200, b""), (status, body)
    assert headers["smithy-protocol"] == "rpc-v2-cbor" and headers["content-type"] == "application/cbor"
    status, headers, body = raw_cbor(srv, "DescribeAlarms", {"AlarmNames": ["wire"]})
    assert status == 200, body
    import datetime
    import re

    alarm = cbor2.loads(body)["MetricAlarms"][0]
    assert isinstance(alarm["AlarmConfigurationUpdatedTimestamp"], datetime.datetime)
    # Tag 1 (0xc1) then an epoch number (float64 0xfb or an unsigned int), never tag 0 (text).
    assert len(re.findall(rb"\xc1[\xfb\x1a\x1b]", body)) == 2, body  # two timestamps, both tag 1
    assert alarm["Threshold"] == 2.0
    assert b"\xfb" + __import__("struct").pack(">d", 2.0) in body  # a double is float64
    status, headers, body = raw_cbor(srv, "GetDashboard", {"DashboardName": "missing"})
    assert status == 404, status
    error = cbor2.loads(body)
    assert error["__type"].rsplit("#", 1)[-1] == "ResourceNotFound", error
    assert error["message"] == "Dashboard does not exist", error
    assert headers["x-amzn-query-error"] == "ResourceNotFound;Sender", headers
    status, _, body = raw_cbor(srv, "NoSuchOperation", {})
    assert status == 404 and cbor2.loads(body)["__type"] == "UnknownOperationException"
    raw_cbor(srv, "DeleteAlarms", {"AlarmNames": ["wire"]})


def test_put_metric_alarm_validates_and_starts_insufficient_data(srv: Server) -> None:
    cw = cbor_client(srv)
    try:
        cw.put_metric_alarm(**ALARM)
        alarm = cw.describe_alarms(AlarmNames=["throttles"])["MetricAlarms"][0]
        assert alarm["StateValue"] == "INSUFFICIENT_DATA", alarm["StateValue"]
        cw.set_alarm_state(AlarmName="throttles", StateValue="ALARM", StateReason="test")
        cw.put_metric_alarm(**{**ALARM, "Threshold": 9.0})  # an update keeps the state
        alarm = cw.describe_alarms(AlarmNames=["throttles"])["MetricAlarms"][0]
        assert (alarm["StateValue"], alarm["Threshold"]) == ("ALARM", 9.0), alarm
        bad = [
            ("ValidationError", {"ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold"}),
            ("ValidationError", {"ThresholdMetricId": "m1"}),
            ("ValidationError", {"DatapointsToAlarm": 4}),
            ("ValidationError", {"Period": 90}),
            ("ValidationError", {"TreatMissingData": "sometimes"}),
            ("InvalidParameterCombination", {"ExtendedStatistic": "p99"}),
            ("InvalidParameterCombination", {"Metrics": band_alarm("x")["Metrics"]}),
        ]
        for code, change in bad:
            expect_error(code, cw.put_metric_alarm, **{**ALARM, "AlarmName": "bad", **change})
        expect_error("InvalidParameterCombination", cw.put_metric_alarm, **band_alarm("bad", Threshold=1.0))
        expect_error("ValidationError", cw.put_metric_alarm, **band_alarm("bad", ThresholdMetricId="m1"))
        no_source = band_alarm("bad")
        no_source["Metrics"][1]["Expression"] = "ANOMALY_DETECTION_BAND(m9, 2)"
        expect_error("ValidationError", cw.put_metric_alarm, **no_source)
        assert cw.describe_alarms(AlarmNames=["bad"])["MetricAlarms"] == []
        # A band alarm is accepted (without a detector, as AWS accepts it).
        cw.put_metric_alarm(**band_alarm("band-ok"))
        got = cw.describe_alarms(AlarmNames=["band-ok"])["MetricAlarms"][0]
        assert got["ThresholdMetricId"] == "band" and "Threshold" not in got, got
    finally:
        cw.delete_alarms(AlarmNames=["throttles", "band-ok"])


def test_put_metric_alarm_ignores_tags_on_update(srv: Server) -> None:
    cw = cbor_client(srv)
    try:
        cw.put_metric_alarm(**ALARM, Tags=[{"Key": "owner", "Value": "warden"}])
        arn = cw.describe_alarms(AlarmNames=["throttles"])["MetricAlarms"][0]["AlarmArn"]
        cw.put_metric_alarm(**ALARM, Tags=[{"Key": "owner", "Value": "someone-else"}, {"Key": "x", "Value": "y"}])
        assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "owner", "Value": "warden"}]
    finally:
        cw.delete_alarms(AlarmNames=["throttles"])


def test_composite_alarms(srv: Server) -> None:
    cw = cbor_client(srv)
    try:
        cw.put_metric_alarm(**ALARM)
        rule = 'ALARM("throttles") OR ALARM(missing)'
        err = expect_error("ValidationError", cw.put_composite_alarm, AlarmName="broken", AlarmRule=rule)
        assert "missing" in err.response["Error"]["Message"], err
        cw.put_composite_alarm(AlarmName="governance-broken", AlarmRule='ALARM("throttles")',
                               AlarmActions=["arn:aws:sns:us-east-1:123456789012:alerts"])
        plain = cw.describe_alarms()
        assert [a["AlarmName"] for a in plain["MetricAlarms"]] == ["throttles"]
        assert plain["CompositeAlarms"] == [], plain["CompositeAlarms"]  # AWS: metric alarms unless asked
        both = cw.describe_alarms(AlarmTypes=["CompositeAlarm"])
        assert both["MetricAlarms"] == []
        (composite,) = both["CompositeAlarms"]
        assert composite["AlarmRule"] == 'ALARM("throttles")'
        assert composite["AlarmActions"] == ["arn:aws:sns:us-east-1:123456789012:alerts"]
    finally:
        cw.delete_alarms(AlarmNames=["throttles", "governance-broken"])


def test_anomaly_detectors(srv: Server) -> None:
    cw = cbor_client(srv)
    single = {"Namespace": "AWS/Bedrock", "MetricName": "OutputTokenCount",
              "Dimensions": [{"Name": "ModelId", "Value": "m"}], "Stat": "Sum"}
    cw.put_anomaly_detector(SingleMetricAnomalyDetector=single)
    cw.put_anomaly_detector(SingleMetricAnomalyDetector=single,
                            Configuration={"ExcludedTimeRanges": [], "MetricTimezone": "UTC"})  # replaces
    cw.put_anomaly_detector(SingleMetricAnomalyDetector={**single, "MetricName": "InputTokenCount"})
    got = cw.describe_anomaly_detectors(MetricName="OutputTokenCount")["AnomalyDetectors"]
    assert len(got) == 1, got
    assert got[0]["SingleMetricAnomalyDetector"] == single
    assert got[0]["Configuration"] == {"ExcludedTimeRanges": [], "MetricTimezone": "UTC"}
    assert got[0]["StateValue"] == "PENDING_TRAINING"
    assert len(cw.describe_anomaly_detectors(Namespace="AWS/Bedrock")["AnomalyDetectors"]) == 2
    expect_error("InvalidParameterCombination", cw.put_anomaly_detector,
                 SingleMetricAnomalyDetector=single, Namespace="AWS/Bedrock", MetricName="x", Stat="Sum")
    expect_error("ValidationError", cw.put_anomaly_detector,
                 SingleMetricAnomalyDetector={k: v for k, v in single.items() if k != "Stat"})
    cw.delete_anomaly_detector(SingleMetricAnomalyDetector=single)
    expect_error("ResourceNotFoundException", cw.delete_anomaly_detector, SingleMetricAnomalyDetector=single)
    cw.delete_anomaly_detector(SingleMetricAnomalyDetector={**single, "MetricName": "InputTokenCount"})
    assert cw.describe_anomaly_detectors()["AnomalyDetectors"] == []


def test_logs_query_definitions(srv: Server) -> None:
    logs = srv.client("logs")
    query = "fields @timestamp, modelId | sort @timestamp desc | limit 100"
    qid = logs.put_query_definition(name="warden/latest-invocations", queryString=query,
                                    logGroupNames=["/aws/bedrock/invocations"])["queryDefinitionId"]
    other = logs.put_query_definition(name="other/q", queryString="fields @message")["queryDefinitionId"]
    got = logs.describe_query_definitions(queryDefinitionNamePrefix="warden/")["queryDefinitions"]
    assert len(got) == 1, got
    assert got[0]["queryDefinitionId"] == qid and got[0]["queryString"] == query
    assert got[0]["logGroupNames"] == ["/aws/bedrock/invocations"] and got[0]["queryLanguage"] == "CWLI"
    assert isinstance(got[0]["lastModified"], int)
    assert logs.put_query_definition(queryDefinitionId=qid, name="warden/latest-invocations",
                                     queryString=query + " ")["queryDefinitionId"] == qid  # update in place
    got = logs.describe_query_definitions(queryDefinitionNamePrefix="warden/")["queryDefinitions"]
    assert got[0]["queryString"] == query + " " and "logGroupNames" not in got[0], got
    page = logs.describe_query_definitions(maxResults=1)
    assert len(page["queryDefinitions"]) == 1 and "nextToken" in page
    expect_error("ResourceNotFoundException", logs.put_query_definition,
                 queryDefinitionId="00000000-0000-0000-0000-000000000000", name="x", queryString="fields @message")
    expect_error("InvalidParameterException", logs.put_query_definition, name="x" * 256, queryString="x")
    assert logs.delete_query_definition(queryDefinitionId=qid)["success"] is True
    expect_error("ResourceNotFoundException", logs.delete_query_definition, queryDefinitionId=qid)
    logs.delete_query_definition(queryDefinitionId=other)
    # Per account: another account sees none.
    assert srv.client("logs", assumed_credentials(srv, "111111111111")).describe_query_definitions()["queryDefinitions"] == []



def test_cbor_route_fault_injection(_: Server) -> None:
    """A fault on a CloudWatch operation reaches a CBOR client as that error, state unchanged."""
    srv = Server({"WARDEN_MOTO_FAULTS": json.dumps(
        {"cloudwatch:PutMetricAlarm": {"times": 1, "code": "LimitExceeded", "message": "too many alarms"}}
    )})
    try:
        cw = cbor_client(srv)
        err = expect_error("LimitExceeded", cw.put_metric_alarm, **ALARM)
        assert err.response["Error"]["Message"] == "too many alarms", err.response
        assert cw.describe_alarms()["MetricAlarms"] == []
        cw.put_metric_alarm(**ALARM)
        assert [a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"]] == ["throttles"]
    finally:
        srv.kill()


def test_events_put_permission_policy_replaces_the_bus_policy(srv: Server) -> None:
    """PutPermission with a Policy document replaces the whole bus policy, as in AWS (moto merged)."""
    ev = srv.client("events")
    arn = ev.create_event_bus(Name="harness-policy-bus")["EventBusArn"]

    def statement(sid: str, account: str) -> dict[str, Any]:
        return {"Sid": sid, "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "events:PutEvents", "Resource": arn}

    ev.put_permission(EventBusName="harness-policy-bus",
                      Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement("Theirs", "999999999999")]}))
    ev.put_permission(EventBusName="harness-policy-bus",
                      Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement("Ours", "111111111111")]}))
    policy = json.loads(ev.describe_event_bus(Name="harness-policy-bus")["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["Ours"], policy
    # the one-statement form still adds a statement
    ev.put_permission(EventBusName="harness-policy-bus", Action="events:PutEvents",
                      Principal="222222222222", StatementId="Added")
    policy = json.loads(ev.describe_event_bus(Name="harness-policy-bus")["Policy"])
    assert sorted(s["Sid"] for s in policy["Statement"]) == ["Added", "Ours"], policy


# ---------------------------------------------------------------------------
# Tagging API for log groups, AWS-like latency and quotas (moto_pace.py)
# ---------------------------------------------------------------------------


def test_tagging_api_lists_log_groups(srv: Server) -> None:
    """GetResources finds log groups by the documented type `logs:log-group` and a tag key,
    with every tag, paged; other accounts' groups stay out."""
    logs = srv.client("logs")
    for i in range(3):
        logs.create_log_group(logGroupName=f"/tagged/{i}", tags={"warden:managed-by": "p", "team": str(i)})
    logs.create_log_group(logGroupName="/tagged/untagged")
    logs.create_log_group(logGroupName="/tagged/other-key", tags={"team": "x"})
    other = srv.client("logs", assumed_credentials(srv, "222222222222"))
    other.create_log_group(logGroupName="/tagged/elsewhere", tags={"warden:managed-by": "p"})
    tagging = srv.client("resourcegroupstaggingapi")
    pages = tagging.get_paginator("get_resources").paginate(
        TagFilters=[{"Key": "warden:managed-by"}],
        ResourceTypeFilters=["logs:log-group"],
        ResourcesPerPage=2,
    )
    found = {}
    for page in pages:
        assert len(page["ResourceTagMappingList"]) <= 2, page
        for item in page["ResourceTagMappingList"]:
            found[item["ResourceARN"]] = {t["Key"]: t["Value"] for t in item["Tags"]}
    arn = f"arn:aws:logs:{REGION}:123456789012:log-group:/tagged/"
    want = {f"{arn}{i}": {"warden:managed-by": "p", "team": str(i)} for i in range(3)}
    assert {k: v for k, v in found.items() if k.startswith(arn)} == want, found
    # ResourcesPerPage alone: a page is that many resources, whatever their tag count.
    for i in range(3, 60):
        logs.create_log_group(logGroupName=f"/tagged/{i}", tags={"warden:managed-by": "p", "a": "1", "b": "2"})
    page = tagging.get_resources(
        TagFilters=[{"Key": "warden:managed-by"}], ResourceTypeFilters=["logs:log-group"], ResourcesPerPage=100
    )
    assert len(page["ResourceTagMappingList"]) == 60 and not page.get("PaginationToken"), page.get("PaginationToken")
    for i in range(3, 60):
        logs.delete_log_group(logGroupName=f"/tagged/{i}")
    for name in ["/tagged/0", "/tagged/1", "/tagged/2", "/tagged/untagged", "/tagged/other-key"]:
        logs.delete_log_group(logGroupName=name)


def test_tagging_api_lists_the_tagged_kinds(srv: Server) -> None:
    """GetResources lists, by the types warden filters on and the ownership tag key, SNS topics,
    SQS queues, EventBridge rules (moto lists only buses: the extension adds rules, on the
    default bus and on a custom one) and buses, CloudWatch alarms and S3 buckets, with every tag
    and the ARN each service's own API returns."""
    owner = {"warden:managed-by": "p", "team": "t"}
    sns = srv.client("sns")
    topic = sns.create_topic(Name="tagkinds-topic", Tags=[{"Key": k, "Value": v} for k, v in owner.items()])["TopicArn"]
    sqs = srv.client("sqs")
    url = sqs.create_queue(QueueName="tagkinds-queue", tags=owner)["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = srv.client("events")
    tags = [{"Key": k, "Value": v} for k, v in owner.items()]
    bus = events.create_event_bus(Name="tagkinds-bus", Tags=tags)["EventBusArn"]
    pattern = json.dumps({"source": ["aws.bedrock"]})
    rule = events.put_rule(Name="tagkinds-rule", EventPattern=pattern, Tags=tags)["RuleArn"]
    bus_rule = events.put_rule(Name="tagkinds-rule", EventBusName="tagkinds-bus", EventPattern=pattern, Tags=tags)["RuleArn"]
    untagged_rule = events.put_rule(Name="tagkinds-untagged", EventPattern=pattern)["RuleArn"]
    cw = srv.client("cloudwatch")
    cw.put_metric_alarm(
        AlarmName="tagkinds-alarm", Namespace="AWS/Bedrock", MetricName="Invocations", Statistic="Sum",
        Period=300, EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold", Tags=tags,
    )
    alarm = cw.describe_alarms(AlarmNames=["tagkinds-alarm"])["MetricAlarms"][0]["AlarmArn"]
    s3 = srv.client("s3")
    s3.create_bucket(Bucket="tagkinds-bucket")
    s3.put_bucket_tagging(Bucket="tagkinds-bucket", Tagging={"TagSet": tags})
    tagging = srv.client("resourcegroupstaggingapi")
    found = {}
    for page in tagging.get_paginator("get_resources").paginate(
        TagFilters=[{"Key": "warden:managed-by"}],
        ResourceTypeFilters=["sns", "sqs", "events:rule", "events:event-bus", "cloudwatch:alarm", "s3"],
        ResourcesPerPage=100,
    ):
        for item in page["ResourceTagMappingList"]:
            found[item["ResourceARN"]] = {t["Key"]: t["Value"] for t in item["Tags"]}
    for arn in [topic, queue, bus, rule, bus_rule, alarm, "arn:aws:s3:::tagkinds-bucket"]:
        assert found.get(arn) == owner, (arn, found)
    assert untagged_rule not in found, found
    # A rule's type is `events:rule`: a filter on buses alone does not list rules.
    buses_only = tagging.get_resources(TagFilters=[{"Key": "warden:managed-by"}], ResourceTypeFilters=["events:event-bus"])
    assert rule not in {i["ResourceARN"] for i in buses_only["ResourceTagMappingList"]}, buses_only
    events.delete_rule(Name="tagkinds-rule", EventBusName="tagkinds-bus")
    events.delete_rule(Name="tagkinds-rule")
    events.delete_rule(Name="tagkinds-untagged")
    events.delete_event_bus(Name="tagkinds-bus")
    sns.delete_topic(TopicArn=topic)
    sqs.delete_queue(QueueUrl=url)
    cw.delete_alarms(AlarmNames=["tagkinds-alarm"])
    s3.delete_bucket(Bucket="tagkinds-bucket")


def pace_counts(srv: Server) -> dict[str, dict[str, int]]:
    import urllib.request

    with urllib.request.urlopen(f"{srv.endpoint}/moto-api/warden/pace") as answer:
        return json.loads(answer.read())


def test_pace_latency_fixed_and_random(_: Server) -> None:
    """WARDEN_MOTO_LATENCY delays every answer: fixed, or random within a range."""
    srv = Server({"WARDEN_MOTO_LATENCY": "120"})
    try:
        sts = srv.client("sts")
        sts.get_caller_identity()
        started = time.monotonic()
        for _ in range(3):
            sts.get_caller_identity()
        elapsed = time.monotonic() - started
        assert 0.36 <= elapsed < 1.5, elapsed
    finally:
        srv.kill()
    srv = Server({"WARDEN_MOTO_LATENCY": "10-200"})
    try:
        logs = srv.client("logs")
        times = []
        for _ in range(8):
            started = time.monotonic()
            logs.describe_log_groups()
            times.append(time.monotonic() - started)
        assert min(times) >= 0.01 and max(times) < 1.0, times
        assert max(times) - min(times) > 0.02, f"not random: {times}"
    finally:
        srv.kill()


def test_pace_quotas_throttle_in_the_services_shape(_: Server) -> None:
    """WARDEN_MOTO_QUOTAS=aws: above the documented rate the service's own throttling error,
    per (account, region, operation); below it, every call goes through."""
    srv = Server({"WARDEN_MOTO_QUOTAS": "aws"})
    try:
        logs = srv.client("logs")
        logs.create_log_group(logGroupName="/paced")
        arn = f"arn:aws:logs:{REGION}:123456789012:log-group:/paced"
        outcomes = []
        for _ in range(12):  # ListTagsForResource: 5 per second, burst 5
            try:
                logs.list_tags_for_resource(resourceArn=arn)
                outcomes.append("ok")
            except ClientError as err:
                assert err.response["Error"]["Code"] == "ThrottlingException", err.response
                assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 400
                assert err.response["Error"]["Message"] == "Rate exceeded"
                outcomes.append("throttled")
        assert 5 <= outcomes.count("ok") <= 7 and "throttled" in outcomes, outcomes
        # Another operation, another region and another account have their own buckets.
        logs.describe_log_groups()
        west = srv.client("logs", region_name="eu-west-1")
        west.create_log_group(logGroupName="/paced")
        west.list_tags_for_resource(resourceArn=arn.replace(REGION, "eu-west-1"))
        other = srv.client("logs", assumed_credentials(srv, "333333333333"))
        other.create_log_group(logGroupName="/paced")
        other.list_tags_for_resource(resourceArn=arn.replace("123456789012", "333333333333"))
        # Query protocol (IAM): `Throttling` in <ErrorResponse>.
        iam = srv.client("iam")
        codes = set()
        for _ in range(40):
            try:
                iam.get_role(RoleName="nobody")
            except ClientError as err:
                codes.add(err.response["Error"]["Code"])
        assert codes == {"NoSuchEntity", "Throttling"}, codes
        # Below the rate: nothing is throttled.
        time.sleep(1.1)
        for _ in range(4):
            logs.list_tags_for_resource(resourceArn=arn)
            time.sleep(0.25)
        counts = pace_counts(srv)
        assert counts["throttled"].get("logs:ListTagsForResource") == outcomes.count("throttled"), counts
        assert counts["throttled"].get("iam:GetRole", 0) >= 1, counts
    finally:
        srv.kill()


def test_pace_quota_overrides_and_tagging_shape(_: Server) -> None:
    """A JSON object adds to the table; the Tagging API throttles with ThrottledException."""
    srv = Server({"WARDEN_MOTO_QUOTAS": json.dumps({"tagging:GetResources": 1, "logs:DescribeLogGroups": 0})})
    try:
        tagging = srv.client("resourcegroupstaggingapi")
        tagging.get_resources()
        err = expect_error("ThrottledException", tagging.get_resources)
        assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        logs = srv.client("logs")
        for _ in range(30):  # the override removed this operation's bucket
            logs.describe_log_groups()
    finally:
        srv.kill()


def test_pace_bad_settings_fail_startup(_: Server) -> None:
    for env in ({"WARDEN_MOTO_LATENCY": "fast"}, {"WARDEN_MOTO_QUOTAS": "[1]"}, {"WARDEN_MOTO_QUOTAS": '{"x": 1}'}):
        try:
            Server(env)
        except AssertionError as err:
            assert "launcher said ''" in str(err), err
        else:
            raise AssertionError(f"{env} started")


def main() -> int:
    tests = [(name, fn) for name, fn in globals().items() if name.startswith("test_") and callable(fn)]
    srv = Server()
    passed = failed = 0
    try:
        for name, fn in tests:
            try:
                fn(srv)
            except Exception:
                failed += 1
                print(f"FAIL {name}", flush=True)
                traceback.print_exc()
            else:
                passed += 1
                print(f"ok   {name}", flush=True)
    finally:
        srv.kill()
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
