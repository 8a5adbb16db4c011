//! The template catalog: the built-in `templates/` (compiled into the binary) overlaid by a
//! user's `templates_dir`, where a file of the same name replaces the built-in one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::alarms::AlarmPack;
use super::dashboards::DashboardTemplate;
use super::queries::QueryTemplate;
use super::{did_you_mean, TemplateError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TemplateKind {
    AlarmPack,
    Dashboard,
    Query,
}

impl TemplateKind {
    pub const ALL: [TemplateKind; 3] = [
        TemplateKind::AlarmPack,
        TemplateKind::Dashboard,
        TemplateKind::Query,
    ];

    /// The sub-directory of `templates/`.
    pub fn dir(self) -> &'static str {
        match self {
            TemplateKind::AlarmPack => "alarms",
            TemplateKind::Dashboard => "dashboards",
            TemplateKind::Query => "queries",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            TemplateKind::Dashboard => "json",
            _ => "yaml",
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            TemplateKind::AlarmPack => "alarm pack",
            TemplateKind::Dashboard => "dashboard",
            TemplateKind::Query => "saved query",
        }
    }
}

/// Where a template came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    BuiltIn,
    Dir(PathBuf),
}

macro_rules! builtin {
    ($kind:ident, $dir:literal, $name:literal, $ext:literal) => {
        (
            TemplateKind::$kind,
            $name,
            include_str!(concat!("../../templates/", $dir, "/", $name, ".", $ext)),
        )
    };
}

/// The built-in templates, compiled in (no new crate: `include_str!`). A unit test checks
/// that this list and the files under `templates/` agree.
pub const BUILTIN: &[(TemplateKind, &str, &str)] = &[
    builtin!(AlarmPack, "alarms", "bedrock-runtime", "yaml"),
    builtin!(AlarmPack, "alarms", "bedrock-guardrails", "yaml"),
    builtin!(AlarmPack, "alarms", "bedrock-agents", "yaml"),
    builtin!(AlarmPack, "alarms", "governance-health", "yaml"),
    builtin!(Dashboard, "dashboards", "bedrock-overview", "json"),
    builtin!(Dashboard, "dashboards", "bedrock-governance", "json"),
    builtin!(Query, "queries", "latest-invocations", "yaml"),
    builtin!(Query, "queries", "prompt-patterns", "yaml"),
    builtin!(Query, "queries", "tokens-by-caller", "yaml"),
];

#[derive(Debug, Clone)]
struct Entry {
    file: String,
    text: String,
    origin: Origin,
}

/// Errors of the catalog itself (reading the directory, unknown names).
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The caller locates this one in the spec (the name's position).
    #[error("unknown {} `{name}`{}; known: {}", kind.noun(), suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default(), known.join(", "))]
    Unknown {
        kind: TemplateKind,
        name: String,
        suggestion: Option<String>,
        known: Vec<String>,
    },
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("cannot read templates_dir {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Built-in templates plus the user's overlay.
#[derive(Debug, Clone)]
pub struct Catalog {
    entries: BTreeMap<(TemplateKind, String), Entry>,
}

impl Catalog {
    pub fn builtin() -> Self {
        let entries = BUILTIN
            .iter()
            .map(|(kind, name, text)| {
                let file = format!(
                    "builtin:templates/{}/{name}.{}",
                    kind.dir(),
                    kind.extension()
                );
                (
                    (*kind, name.to_string()),
                    Entry {
                        file,
                        text: text.to_string(),
                        origin: Origin::BuiltIn,
                    },
                )
            })
            .collect();
        Catalog { entries }
    }

    /// The built-ins overlaid by `templates_dir/{alarms,dashboards,queries}/<name>.<ext>`
    /// (each sub-directory optional). Files with another extension in those directories are
    /// an error (a `.yml` or a `.json` pack would otherwise be silently ignored).
    pub fn load(templates_dir: Option<&Path>) -> Result<Self, CatalogError> {
        let mut catalog = Catalog::builtin();
        let Some(dir) = templates_dir else {
            return Ok(catalog);
        };
        let io = |path: &Path, source| CatalogError::Io {
            path: path.to_path_buf(),
            source,
        };
        if !dir.is_dir() {
            return Err(io(
                dir,
                std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
            ));
        }
        for kind in TemplateKind::ALL {
            let sub = dir.join(kind.dir());
            if !sub.is_dir() {
                continue;
            }
            let mut files: Vec<PathBuf> = std::fs::read_dir(&sub)
                .map_err(|e| io(&sub, e))?
                .map(|e| e.map(|e| e.path()).map_err(|err| io(&sub, err)))
                .collect::<Result<_, _>>()?;
            files.sort();
            for path in files {
                if path.is_dir()
                    || path
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                {
                    continue;
                }
                let file = path.display().to_string();
                if path.extension().and_then(|e| e.to_str()) != Some(kind.extension()) {
                    return Err(TemplateError::at(
                        &file,
                        (1, 1),
                        "(file)",
                        format!(
                            "{} templates must end in .{}",
                            kind.noun(),
                            kind.extension()
                        ),
                    )
                    .help(format!("rename it, or move it out of {}", sub.display()))
                    .into());
                }
                let name = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or_default()
                    .to_string();
                let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
                catalog.entries.insert(
                    (kind, name),
                    Entry {
                        file,
                        text,
                        origin: Origin::Dir(path),
                    },
                );
            }
        }
        Ok(catalog)
    }

    /// The names of one kind, sorted.
    pub fn names(&self, kind: TemplateKind) -> Vec<&str> {
        self.entries
            .keys()
            .filter(|(k, _)| *k == kind)
            .map(|(_, n)| n.as_str())
            .collect()
    }

    pub fn origin(&self, kind: TemplateKind, name: &str) -> Option<&Origin> {
        self.entries
            .get(&(kind, name.to_string()))
            .map(|e| &e.origin)
    }

    fn entry(&self, kind: TemplateKind, name: &str) -> Result<&Entry, CatalogError> {
        self.entries
            .get(&(kind, name.to_string()))
            .ok_or_else(|| CatalogError::Unknown {
                kind,
                name: name.to_string(),
                suggestion: did_you_mean(name, self.names(kind)).map(str::to_string),
                known: self.names(kind).into_iter().map(str::to_string).collect(),
            })
    }

    pub fn alarm_pack(&self, name: &str) -> Result<AlarmPack, CatalogError> {
        let e = self.entry(TemplateKind::AlarmPack, name)?;
        Ok(AlarmPack::parse(name, &e.file, &e.text)?)
    }

    pub fn dashboard(&self, name: &str) -> Result<DashboardTemplate, CatalogError> {
        let e = self.entry(TemplateKind::Dashboard, name)?;
        Ok(DashboardTemplate::parse(name, &e.file, &e.text)?)
    }

    pub fn query(&self, name: &str) -> Result<QueryTemplate, CatalogError> {
        let e = self.entry(TemplateKind::Query, name)?;
        Ok(QueryTemplate::parse(name, &e.file, &e.text)?)
    }

    /// Parses every template; for `validate` (all errors, not only the first).
    pub fn check_all(&self) -> Vec<TemplateError> {
        let mut errors = Vec::new();
        for (kind, name) in self.entries.keys() {
            let result = match kind {
                TemplateKind::AlarmPack => self.alarm_pack(name).map(drop),
                TemplateKind::Dashboard => self.dashboard(name).map(drop),
                TemplateKind::Query => self.query(name).map(drop),
            };
            if let Err(CatalogError::Template(e)) = result {
                errors.push(e);
            }
        }
        errors
    }
}
