//! Least-privilege IAM policies for the identity that runs warden, derived from the kinds a
//! spec uses (`table`), and the onboarding role a customer account deploys so that the
//! operations account can govern it.

pub mod table;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::model::Desired;
use crate::source::regions;
use table::{Access, Grant};

/// The policy document for the identity that runs warden on `desired`: its reads (`plan`,
/// `drift`) and, unless `read_only`, its writes (`apply`, `destroy`) in the accounts it reaches
/// directly (no `role_arn`), and `sts:AssumeRole` on the other accounts' roles (whose own
/// policy is the onboarding one). Resource ARNs name the spec's accounts, regions and
/// resources where IAM allows it.
pub fn policy(all: &Desired, read_only: bool) -> Value {
    let mut direct = all.clone();
    direct.accounts.retain(|a| a.role_arn.is_none());
    direct
        .resources
        .retain(|r| direct.accounts.iter().any(|a| a.name == r.addr.account));
    let desired = &direct;
    // (label, kind, grant): the label names the statement, the kind fills `{name}`.
    let mut grants: Vec<(String, Option<&str>, &Grant)> = table::ENGINE
        .iter()
        .map(|g| ("Warden".to_string(), None, g))
        .collect();
    let used: BTreeSet<crate::model::Kind> = desired.resources.iter().map(|r| r.kind()).collect();
    for kind in crate::kinds::ALL {
        // Kinds that look at scopes whose spec does not manage them read there too, and so do
        // kinds that `--prune` discovers (it looks for this project's leftovers of every kind).
        let in_spec = used.contains(kind);
        if !in_spec && !kind.notes_unmanaged() && !kind.discovers() {
            continue;
        }
        let Some(kind_grants) = table::for_kind(kind.as_str()) else {
            continue;
        };
        for grant in kind_grants {
            if in_spec || grant.access == Access::Read {
                grants.push((camel(kind.as_str()), Some(kind.as_str()), grant));
            }
        }
    }
    // Statements: one per (label, access, actions, condition), resources merged.
    type Key = (String, &'static str, Vec<&'static str>, Option<String>);
    let mut statements: BTreeMap<Key, BTreeSet<String>> = BTreeMap::new();
    for (label, kind, grant) in grants {
        if read_only && grant.access == Access::Write {
            continue;
        }
        let access = match grant.access {
            Access::Read => "Read",
            Access::Write => "Write",
        };
        let mut actions = grant.actions.to_vec();
        actions.sort_unstable();
        let condition = grant
            .condition
            .map(|c| c.replace("{project}", &desired.project));
        let resources = statements
            .entry((label, access, actions, condition))
            .or_default();
        resources.extend(expand_resources(desired, grant, kind));
    }
    let mut out: Vec<Value> = Vec::new();
    let mut sids: BTreeMap<String, usize> = BTreeMap::new();
    for ((label, access, actions, condition), resources) in statements {
        if resources.is_empty() {
            continue;
        }
        let base = format!("{label}{access}");
        let n = sids.entry(base.clone()).or_default();
        *n += 1;
        let sid = if *n == 1 { base } else { format!("{base}{n}") };
        let resources: Vec<String> = if resources.contains("*") {
            vec!["*".to_string()]
        } else {
            resources.into_iter().collect()
        };
        let mut statement = json!({
            "Sid": sid,
            "Effect": "Allow",
            "Action": actions,
            "Resource": resources,
        });
        if let Some(condition) = condition {
            statement["Condition"] =
                serde_json::from_str(&condition).unwrap_or(Value::String(condition));
        }
        out.push(statement);
    }
    // The caller assumes the governed accounts' roles.
    let roles: BTreeSet<&str> = all
        .accounts
        .iter()
        .filter_map(|a| a.role_arn.as_deref())
        .collect();
    if !roles.is_empty() {
        out.push(json!({
            "Sid": "AssumeGovernedAccountRoles",
            "Effect": "Allow",
            "Action": ["sts:AssumeRole"],
            "Resource": roles,
        }));
    }
    json!({"Version": "2012-10-17", "Statement": out})
}

/// A grant's ARN templates filled for every scope of the spec (and, with `{name}`, every
/// resource of its kind there).
fn expand_resources(desired: &Desired, grant: &Grant, kind: Option<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for template in grant.resources {
        if *template == "*" {
            out.insert("*".to_string());
            continue;
        }
        for (account, region) in desired.scopes() {
            let fill = |t: &str| {
                t.replace("{partition}", regions::partition(region))
                    .replace("{region}", region)
                    .replace("{account}", &account.id)
                    .replace("{project}", &desired.project)
            };
            let named = desired
                .resources
                .iter()
                .any(|r| Some(r.addr.kind.as_str()) == kind);
            if template.contains("{name}") && !named && grant.access == Access::Read {
                // A kind only read for `--prune`'s discovery: its leftovers have any name.
                out.insert(fill(&template.replace("{name}", "*")));
            } else if template.contains("{name}") {
                for resource in desired.resources.iter().filter(|r| {
                    Some(r.addr.kind.as_str()) == kind
                        && r.addr.account == account.name
                        && r.addr.region == region
                }) {
                    out.insert(fill(&template.replace("{name}", &resource.addr.name)));
                }
            } else {
                out.insert(fill(template));
            }
        }
    }
    out
}

/// `log_group` → `LogGroup`.
fn camel(name: &str) -> String {
    name.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Every IAM action a policy allows (for checking recorded operations against it).
pub fn allowed_actions(policy: &Value) -> BTreeSet<String> {
    policy["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["Action"].as_array().cloned().unwrap_or_default())
        .filter_map(|a| a.as_str().map(str::to_string))
        .collect()
}

/// What a customer account deploys so the operations account can govern it.
#[derive(Debug, Clone)]
pub struct Onboarding {
    pub role_name: String,
    pub operations_account: String,
    /// The governed account whose resources the policy names (its id becomes
    /// `${AWS::AccountId}` in the CloudFormation template, so one template serves a StackSet
    /// of accounts that share the baseline).
    pub account_id: String,
    pub policy: Value,
}

impl Onboarding {
    /// The role's trust policy: the operations account, with the external id.
    pub fn trust_policy(&self, partition: &str, external_id: &str) -> Value {
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:{partition}:iam::{}:root", self.operations_account)},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}}
            }]
        })
    }

    /// Plain JSON for `aws iam create-role` / `put-role-policy` (the external id is a
    /// placeholder: it is a secret shared with the operations account, never printed).
    pub fn plain(&self, partition: &str) -> Value {
        json!({
            "role_name": self.role_name,
            "assume_role_policy_document": self.trust_policy(partition, "<EXTERNAL_ID>"),
            "inline_policy_name": "bedrock-warden",
            "inline_policy_document": self.policy,
        })
    }

    /// A CloudFormation template (JSON), StackSets-ready: the account id and partition are
    /// pseudo parameters, the external id a NoEcho parameter.
    pub fn cloudformation(&self) -> Value {
        let generic = generalize(&self.policy, &self.account_id);
        json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Description": "Role that bedrock-warden in the operations account assumes to govern Amazon Bedrock settings in this account",
            "Parameters": {
                "ExternalId": {
                    "Type": "String",
                    "NoEcho": true,
                    "MinLength": 2,
                    "Description": "The external id the operations account sends (accounts[].external_id in its spec)"
                },
                "OperationsAccountId": {
                    "Type": "String",
                    "Default": self.operations_account,
                    "AllowedPattern": "^[0-9]{12}$"
                },
                "RoleName": {"Type": "String", "Default": self.role_name}
            },
            "Resources": {
                "WardenRole": {
                    "Type": "AWS::IAM::Role",
                    "Properties": {
                        "RoleName": {"Ref": "RoleName"},
                        "AssumeRolePolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [{
                                "Effect": "Allow",
                                "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${OperationsAccountId}:root"}},
                                "Action": "sts:AssumeRole",
                                "Condition": {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}
                            }]
                        },
                        "Policies": [{"PolicyName": "bedrock-warden", "PolicyDocument": generic}],
                        "Tags": [{"Key": "purpose", "Value": "bedrock-warden"}]
                    }
                }
            },
            "Outputs": {"RoleArn": {"Value": {"Fn::GetAtt": ["WardenRole", "Arn"]}}}
        })
    }
}

/// The policy with `account_id` and the partition in every resource as pseudo parameters
/// (`Fn::Sub`), so the same template fits every account of a StackSet.
fn generalize(policy: &Value, account_id: &str) -> Value {
    let mut out = policy.clone();
    for statement in out["Statement"].as_array_mut().into_iter().flatten() {
        let subbed = |r: &Value| match r.as_str() {
            Some("*") | None => r.clone(),
            Some(arn) => {
                let mut text = arn
                    .replace("${", "${!")
                    .replace(account_id, "${AWS::AccountId}");
                for partition in ["aws-us-gov", "aws-cn", "aws"] {
                    let prefix = format!("arn:{partition}:");
                    if let Some(rest) = text.strip_prefix(&prefix) {
                        text = format!("arn:${{AWS::Partition}}:{rest}");
                        break;
                    }
                }
                json!({"Fn::Sub": text})
            }
        };
        if let Some(resources) = statement["Resource"].as_array() {
            let generic: Vec<Value> = resources.iter().map(subbed).collect();
            statement["Resource"] = Value::Array(generic);
        }
    }
    out
}
