//! CloudWatch Logs Insights saved queries (PutQueryDefinition), scoped to the invocation log
//! group. They have no tags: the name's folder `warden/<project>/` marks them as the project's,
//! and one DescribeQueryDefinitions (name prefix = that folder) reads them all.

use std::collections::BTreeMap;

use aws_sdk_cloudwatchlogs::types::QueryDefinition;
use aws_sdk_cloudwatchlogs::Client;
use serde_json::{json, Value};

use super::{Named, Ownership, Placement, ResourceKind};
use crate::cloud::{classify, AccountSession, CloudError};
use crate::model::{Kind, LiveResource};

pub type Scope<'a> = super::Scope<'a, Client>;

/// The folder every saved query of `project` lives in.
pub fn folder(project: &str) -> String {
    format!("warden/{project}/")
}

/// The project whose folder holds `name`.
fn owner_of(name: &str) -> Option<String> {
    let rest = name.strip_prefix("warden/")?;
    let (project, query) = rest.split_once('/')?;
    (!project.is_empty() && !query.is_empty()).then(|| project.to_string())
}

/// A saved Logs Insights query.
pub struct QueryDefinitionKind;

impl ResourceKind for QueryDefinitionKind {
    const KIND: Kind = Kind::QueryDefinition;
    const NAME: &'static str = "query_definition";
    const RANK: u8 = 6;
    const CONTROL: &'static str = "saved queries";
    const PLACEMENT: Placement = Placement::Regional;
    const OWNERSHIP: Ownership = Ownership::Marked;
    const DISCOVERS: bool = true;
    type Client = Client;

    fn client(session: &AccountSession, region: &str) -> Client {
        session.logs(region)
    }

    async fn read(
        scope: &Scope<'_>,
        wanted: &[Named],
        discover_owner: Option<&str>,
    ) -> Result<Vec<LiveResource>, CloudError> {
        let mut folders: Vec<String> = wanted
            .iter()
            .filter_map(|n| owner_of(&n.name))
            .chain(discover_owner.map(str::to_string))
            .map(|p| folder(&p))
            .collect();
        folders.sort();
        folders.dedup();
        let mut found: BTreeMap<String, LiveResource> = BTreeMap::new();
        for prefix in folders {
            for q in list(&scope.client, &prefix).await? {
                let Some(name) = q.name() else { continue };
                let asked = wanted.iter().any(|n| n.name == name);
                let discovered =
                    discover_owner.is_some() && owner_of(name).as_deref() == discover_owner;
                if (asked || discovered) && !found.contains_key(name) {
                    found.insert(
                        name.to_string(),
                        LiveResource {
                            addr: scope.addr(Kind::QueryDefinition, name),
                            props: props_of(&q),
                            owner: owner_of(name),
                        },
                    );
                }
            }
        }
        Ok(found.into_values().collect())
    }

    fn comparable(_desired: &Value, live: &Value) -> Value {
        live.clone()
    }

    async fn create(scope: &Scope<'_>, name: &str, after: &Value) -> Result<(), CloudError> {
        put(scope, name, None, after).await
    }

    async fn update(
        scope: &Scope<'_>,
        name: &str,
        _before: &Value,
        after: &Value,
    ) -> Result<(), CloudError> {
        let id = find_id(scope, name).await?;
        put(scope, name, id, after).await
    }

    async fn delete(scope: &Scope<'_>, name: &str, _before: &Value) -> Result<(), CloudError> {
        let Some(id) = find_id(scope, name).await? else {
            return Ok(());
        };
        match scope
            .client
            .delete_query_definition()
            .query_definition_id(id)
            .send()
            .await
            .map_err(|e| classify("logs:DeleteQueryDefinition", e))
        {
            Err(e) if e.is_not_found() => Ok(()),
            other => other.map(|_| ()),
        }
    }
}

fn props_of(q: &QueryDefinition) -> Value {
    let mut groups: Vec<String> = q.log_group_names().to_vec();
    groups.sort();
    json!({
        "query_string": q.query_string(),
        "log_group_names": groups,
    })
}

async fn list(client: &Client, prefix: &str) -> Result<Vec<QueryDefinition>, CloudError> {
    super::all_pages(|token| async move {
        let page = client
            .describe_query_definitions()
            .query_definition_name_prefix(prefix)
            .max_results(1000)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify("logs:DescribeQueryDefinitions", e))?;
        Ok((
            page.query_definitions().to_vec(),
            page.next_token().map(str::to_string),
        ))
    })
    .await
}

async fn find_id(scope: &Scope<'_>, name: &str) -> Result<Option<String>, CloudError> {
    Ok(list(&scope.client, name)
        .await?
        .into_iter()
        .find(|q| q.name() == Some(name))
        .and_then(|q| q.query_definition_id().map(str::to_string)))
}

async fn put(
    scope: &Scope<'_>,
    name: &str,
    id: Option<String>,
    props: &Value,
) -> Result<(), CloudError> {
    let groups: Vec<String> = props["log_group_names"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g.as_str().map(str::to_string))
        .collect();
    scope
        .client
        .put_query_definition()
        .name(name)
        .query_string(props["query_string"].as_str().unwrap_or_default())
        .set_log_group_names(Some(groups))
        .set_query_definition_id(id)
        .send()
        .await
        .map_err(|e| classify("logs:PutQueryDefinition", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_names_the_owner() {
        assert_eq!(
            owner_of("warden/ai-gov/latest-invocations").as_deref(),
            Some("ai-gov")
        );
        assert_eq!(owner_of("team/latest-invocations"), None);
        assert_eq!(owner_of("warden/ai-gov/"), None);
    }
}
