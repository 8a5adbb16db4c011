//! Orders one scope's changes: creates and updates after what they depend on, deletes in
//! reverse dependency order, after everything else. Plans are shown in this order too.

use std::collections::{HashMap, HashSet};

use crate::model::ResourceAddr;
use crate::plan::{Action, ResourceChange};

/// Changes in an order that respects `depends_on` (ties keep plan order).
pub fn execution_order(changes: &[ResourceChange]) -> Vec<&ResourceChange> {
    let (mut deletes, others): (Vec<&ResourceChange>, Vec<&ResourceChange>) =
        changes.iter().partition(|c| c.action == Action::Delete);
    // Pruned resources carry no `depends_on` (they are not in the spec): their kinds' ranks
    // order them. Sorting by rank first keeps this idempotent: the plan is stored in this
    // order and the executor orders it again.
    deletes.sort_by_key(|c| c.address.kind.rank());
    let mut ordered = topological(&others);
    let mut reversed = topological(&deletes);
    reversed.reverse();
    ordered.extend(reversed);
    ordered
}

fn topological<'a>(changes: &[&'a ResourceChange]) -> Vec<&'a ResourceChange> {
    let present: HashSet<&ResourceAddr> = changes.iter().map(|c| &c.address).collect();
    let index: HashMap<&ResourceAddr, usize> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| (&c.address, i))
        .collect();
    let mut done: HashSet<&ResourceAddr> = HashSet::new();
    let mut out = Vec::with_capacity(changes.len());
    fn visit<'a>(
        i: usize,
        changes: &[&'a ResourceChange],
        index: &HashMap<&ResourceAddr, usize>,
        present: &HashSet<&ResourceAddr>,
        done: &mut HashSet<&'a ResourceAddr>,
        visiting: &mut HashSet<usize>,
        out: &mut Vec<&'a ResourceChange>,
    ) {
        let change = changes[i];
        if done.contains(&change.address) || !visiting.insert(i) {
            return;
        }
        for dep in change.depends_on.iter().filter(|d| present.contains(d)) {
            visit(index[dep], changes, index, present, done, visiting, out);
        }
        done.insert(&change.address);
        out.push(change);
    }
    let mut visiting = HashSet::new();
    for i in 0..changes.len() {
        visit(
            i,
            changes,
            &index,
            &present,
            &mut done,
            &mut visiting,
            &mut out,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(name: &str, action: Action, deps: &[&str]) -> ResourceChange {
        let addr = |n: &str| ResourceAddr::new("a", "r", crate::kinds::ALL[0], n);
        ResourceChange {
            address: addr(name),
            account_id: "1".into(),
            action,
            before: None,
            after: None,
            fields: vec![],
            reason: None,
            depends_on: deps.iter().map(|d| addr(d)).collect(),
            forces_replacement: vec![],
        }
    }

    /// Regression: the plan is stored in execution order and the executor ordered it again,
    /// which reversed the deletes a second time, so a pruned connection was deleted before the
    /// API destination using it and a bus before the rules on it.
    #[test]
    fn pruned_deletes_stay_in_reverse_rank_order_when_ordered_twice() {
        use crate::model::Kind;
        let delete = |kind: Kind, name: &str| {
            let mut c = change(name, Action::Delete, &[]);
            c.address = ResourceAddr::new("a", "r", kind, name);
            c
        };
        let changes = vec![
            delete(Kind::EventBus, "bus"),
            delete(Kind::EventConnection, "conn"),
            delete(Kind::EventApiDestination, "dest"),
            delete(Kind::EventRule, "rule"),
        ];
        let once: Vec<ResourceChange> = execution_order(&changes).into_iter().cloned().collect();
        let twice: Vec<&str> = execution_order(&once)
            .iter()
            .map(|c| c.address.name.as_str())
            .collect();
        assert_eq!(twice, vec!["rule", "dest", "conn", "bus"]);
    }

    #[test]
    fn dependencies_first_and_deletes_reversed_last() {
        let changes = vec![
            change("config", Action::Create, &["role", "group"]),
            change("old-child", Action::Delete, &["old-parent"]),
            change("old-parent", Action::Delete, &[]),
            change("group", Action::Update, &[]),
            change("role", Action::Create, &[]),
        ];
        let names: Vec<&str> = execution_order(&changes)
            .iter()
            .map(|c| c.address.name.as_str())
            .collect();
        assert_eq!(
            names,
            vec!["role", "group", "config", "old-child", "old-parent"]
        );
    }
}
