//! Joins the plans (or drift reports) of a CI matrix's shards into one: each shard planned some
//! of the accounts, the joined plan covers them all, so one summary and one exit code say it.

use std::collections::{BTreeMap, HashMap};

use super::{Plan, PLAN_FORMAT_VERSION};
use crate::cloud::{ApiCallReport, OperationCalls};

/// Why some plans cannot be joined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error("nothing to join")]
    Empty,
    #[error("{file} is plan format {found}; this warden reads format {PLAN_FORMAT_VERSION}")]
    Format { file: String, found: u32 },
    #[error("{file} is a plan of project `{found}`, {first} of project `{expected}`")]
    Project {
        file: String,
        found: String,
        first: String,
        expected: String,
    },
    #[error("account `{account}` is in both {first} and {second}: shards never share an account")]
    AccountTwice {
        account: String,
        first: String,
        second: String,
    },
}

/// Joins `(file name, plan)` pairs, in the given order: accounts, changes, errors and notes
/// concatenated, the summary counted again, the API calls added up, `prune` if any was.
pub fn merge(plans: Vec<(String, Plan)>) -> Result<Plan, MergeError> {
    let mut plans = plans.into_iter();
    let (first_file, mut joined) = plans.next().ok_or(MergeError::Empty)?;
    check_format(&first_file, &joined)?;
    let mut owner: HashMap<String, String> = joined
        .accounts
        .iter()
        .map(|a| (a.id.clone(), first_file.clone()))
        .collect();
    let mut calls: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
    add_calls(&mut calls, &joined.api_calls);
    for (file, plan) in plans {
        check_format(&file, &plan)?;
        if plan.project != joined.project {
            return Err(MergeError::Project {
                file,
                found: plan.project,
                first: first_file,
                expected: joined.project,
            });
        }
        for account in &plan.accounts {
            if let Some(first) = owner.insert(account.id.clone(), file.clone()) {
                return Err(MergeError::AccountTwice {
                    account: account.name.clone(),
                    first,
                    second: file,
                });
            }
        }
        add_calls(&mut calls, &plan.api_calls);
        joined.prune |= plan.prune;
        joined.accounts.extend(plan.accounts);
        joined.changes.extend(plan.changes);
        joined.errors.extend(plan.errors);
        joined.notes.extend(plan.notes);
        joined.created_at = joined.created_at.max(plan.created_at);
    }
    joined.summary = Plan::summarize(&joined.changes, joined.errors.len());
    let operations: Vec<OperationCalls> = calls
        .into_iter()
        .map(|((service, operation), (calls, attempts))| OperationCalls {
            service,
            operation,
            calls,
            attempts,
        })
        .collect();
    joined.api_calls = ApiCallReport {
        total_calls: operations.iter().map(|o| o.calls).sum(),
        total_attempts: operations.iter().map(|o| o.attempts).sum(),
        operations,
    };
    Ok(joined)
}

fn check_format(file: &str, plan: &Plan) -> Result<(), MergeError> {
    if plan.format_version == PLAN_FORMAT_VERSION {
        Ok(())
    } else {
        Err(MergeError::Format {
            file: file.to_string(),
            found: plan.format_version,
        })
    }
}

fn add_calls(into: &mut BTreeMap<(String, String), (u64, u64)>, report: &ApiCallReport) {
    for op in &report.operations {
        let entry = into
            .entry((op.service.clone(), op.operation.clone()))
            .or_default();
        entry.0 += op.calls;
        entry.1 += op.attempts;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccountTarget, Action, Kind, ResourceAddr, ResourceChange};

    fn shard(project: &str, account: &str, id: &str, action: Action) -> Plan {
        let change = ResourceChange {
            address: ResourceAddr::new(account, "us-east-1", Kind::LogGroup, "/a"),
            account_id: id.into(),
            action,
            before: None,
            after: None,
            fields: vec![],
            reason: None,
            depends_on: vec![],
            forces_replacement: vec![],
        };
        Plan {
            format_version: PLAN_FORMAT_VERSION,
            warden_version: String::new(),
            created_at: String::new(),
            spec_file: "spec.yaml".into(),
            project: project.into(),
            prune: false,
            accounts: vec![AccountTarget {
                name: account.into(),
                id: id.into(),
                role_arn: None,
                external_id: None,
                regions: vec!["us-east-1".into()],
            }],
            summary: Plan::summarize(std::slice::from_ref(&change), 0),
            changes: vec![change],
            errors: vec![],
            notes: vec![],
            api_calls: ApiCallReport {
                total_calls: 2,
                total_attempts: 3,
                operations: vec![OperationCalls {
                    service: "logs".into(),
                    operation: "DescribeLogGroups".into(),
                    calls: 2,
                    attempts: 3,
                }],
            },
        }
    }

    #[test]
    fn shards_join_into_one_plan_with_one_summary_and_the_calls_added_up() {
        let joined = merge(vec![
            (
                "1.json".into(),
                shard("p", "a", "111111111111", Action::Create),
            ),
            (
                "2.json".into(),
                shard("p", "b", "222222222222", Action::NoOp),
            ),
        ])
        .unwrap();
        assert_eq!(joined.accounts.len(), 2);
        assert_eq!((joined.summary.create, joined.summary.no_op), (1, 1));
        assert_eq!(
            (
                joined.api_calls.total_calls,
                joined.api_calls.total_attempts
            ),
            (4, 6)
        );
        assert_eq!(joined.api_calls.operations[0].calls, 4);
    }

    #[test]
    fn plans_that_do_not_belong_together_are_refused() {
        let twice = merge(vec![
            (
                "1.json".into(),
                shard("p", "a", "111111111111", Action::Create),
            ),
            (
                "2.json".into(),
                shard("p", "a", "111111111111", Action::Create),
            ),
        ]);
        assert!(
            matches!(twice, Err(MergeError::AccountTwice { .. })),
            "{twice:?}"
        );
        let projects = merge(vec![
            (
                "1.json".into(),
                shard("p", "a", "111111111111", Action::Create),
            ),
            (
                "2.json".into(),
                shard("q", "b", "222222222222", Action::Create),
            ),
        ]);
        assert!(matches!(projects, Err(MergeError::Project { .. })));
        assert_eq!(merge(vec![]), Err(MergeError::Empty));
    }
}
