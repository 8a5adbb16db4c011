//! The CI examples under examples/ci/ are copied into users' repositories as they are: they
//! must parse as YAML, wire the three workflows (plan on review, apply of the reviewed plan,
//! scheduled drift) without stored keys, and every `warden` command line in them must be
//! accepted by the CLI parser with the flags it passes.

use clap::Parser;
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/ci")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("read the example");
    let node = marked_yaml::parse_yaml(0, &text)
        .unwrap_or_else(|e| panic!("{}: not valid YAML: {e}", path.display()));
    marked_yaml::from_node(&node).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Shell words of one command line, up to the first redirection, pipe, list operator or
/// comment (enough for the examples: quotes are removed, variables stay as written).
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut started = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                started = true;
            }
            (None, ' ' | '\t') => {
                if started || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            (None, '>' | '|' | ';' | '&' | '#') => break,
            (None, c) => word.push(c),
        }
    }
    if started || !word.is_empty() {
        words.push(word);
    }
    words
}

/// Every `warden …` command in the shell text, as its words.
fn warden_commands(script: &str) -> Vec<Vec<String>> {
    script
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("warden "))
        .map(words)
        .collect()
}

fn check_commands(file: &str, scripts: &[String]) -> Vec<String> {
    let mut seen = Vec::new();
    for script in scripts {
        for command in warden_commands(script) {
            if let Err(e) = bedrock_warden::cli::Cli::try_parse_from(&command) {
                panic!(
                    "{file}: `{}` is refused by the CLI:\n{e}",
                    command.join(" ")
                );
            }
            if command[1] == "apply" {
                assert!(
                    command.iter().any(|w| w == "--auto-approve"),
                    "{file}: `{}` would wait for a prompt in CI",
                    command.join(" ")
                );
            }
            seen.push(command[1].clone());
        }
    }
    seen
}

#[test]
fn github_actions_example_wires_plan_apply_and_drift_with_valid_commands() {
    let workflow = load("github-actions.yml");
    let on = &workflow["on"];
    for trigger in ["pull_request", "push", "schedule"] {
        assert!(!on[trigger].is_null(), "no `{trigger}` trigger");
    }
    let jobs = workflow["jobs"].as_object().expect("jobs");
    let mut scripts = Vec::new();
    for (name, job) in jobs {
        let steps = job["steps"].as_array().expect("steps");
        let uses_aws = steps.iter().any(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("aws-actions/configure-aws-credentials"))
        });
        if uses_aws {
            assert_eq!(
                job["permissions"]["id-token"], "write",
                "{name}: OIDC needs id-token: write"
            );
        }
        for step in steps {
            // No stored keys: credentials come from OIDC only.
            let text = step.to_string();
            assert!(
                !text.contains("aws-access-key-id") && !text.contains("AWS_SECRET_ACCESS_KEY"),
                "{name}: {text}"
            );
            if let Some(run) = step["run"].as_str() {
                scripts.push(run.to_string());
            }
        }
    }
    let seen = check_commands("github-actions.yml", &scripts);
    for command in ["validate", "plan", "apply", "drift"] {
        assert!(
            seen.iter().any(|s| s == command),
            "no `warden {command}` in {seen:?}"
        );
    }
    // Code scanning gets SARIF from plan and drift; the reviewed plan is an artifact that the
    // apply job downloads.
    let all = scripts.join("\n");
    assert!(
        all.contains("--format sarif > plan.sarif") && all.contains("--format sarif > drift.sarif")
    );
    assert!(all.contains("--out plan.json") && all.contains("warden apply plan.json"));
    assert!(all.contains("$GITHUB_STEP_SUMMARY"));
    let uploads: Vec<&str> = jobs
        .values()
        .flat_map(|j| j["steps"].as_array().unwrap())
        .filter_map(|s| s["uses"].as_str())
        .collect();
    assert!(uploads
        .iter()
        .any(|u| u.starts_with("github/codeql-action/upload-sarif")));
    assert!(uploads
        .iter()
        .any(|u| u.starts_with("actions/upload-artifact")));
}

#[test]
fn gitlab_example_has_valid_commands() {
    let pipeline = load("gitlab-ci.yml");
    let mut scripts = Vec::new();
    for (_, job) in pipeline.as_object().expect("jobs") {
        for key in ["before_script", "script"] {
            for line in job[key].as_array().into_iter().flatten() {
                scripts.push(line.as_str().expect("a script line").to_string());
            }
        }
    }
    let seen = check_commands("gitlab-ci.yml", &scripts);
    for command in ["validate", "plan", "apply", "drift"] {
        assert!(
            seen.iter().any(|s| s == command),
            "no `warden {command}` in {seen:?}"
        );
    }
}

#[test]
fn the_command_checker_refuses_a_flag_warden_does_not_have() {
    let scripts = ["warden drift -f warden.yaml --format sarif --no-such-flag > x".to_string()];
    let refused = std::panic::catch_unwind(|| check_commands("t", &scripts));
    assert!(refused.is_err());
    assert_eq!(
        words(r#"warden plan -f "$WARDEN_SPEC" --out plan.json >> "$GITHUB_STEP_SUMMARY""#),
        ["warden", "plan", "-f", "$WARDEN_SPEC", "--out", "plan.json"]
    );
}

/// Completions and the man page are generated from the CLI definition: every command is in
/// them, and bash can load the script.
#[test]
fn completions_and_man_page_name_every_command() {
    let warden = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_warden"))
            .args(args)
            .output()
            .expect("run warden");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let bash = warden(&["completions", "bash"]);
    let zsh = warden(&["completions", "zsh"]);
    let man = warden(&["man"]);
    assert!(man.contains(".TH warden 1"), "{man}");
    let command = <bedrock_warden::cli::Cli as clap::CommandFactory>::command();
    for sub in command.get_subcommands().map(|s| s.get_name()) {
        assert!(
            bash.contains(sub) && zsh.contains(sub),
            "`{sub}` missing from completions"
        );
        assert!(man.contains(sub), "`{sub}` missing from the man page");
    }
    let checked = std::process::Command::new("bash")
        .args(["-n", "-c", &bash])
        .status()
        .expect("bash");
    assert!(
        checked.success(),
        "the bash completion script does not parse"
    );
}
