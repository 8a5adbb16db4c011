//! Test harness: a private local cloud (moto server with the project's extension) per test,
//! the built `warden` binary pointed at it, and AWS SDK clients for arranging and checking state.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;

pub const DIRECT_ACCOUNT: &str = "123456789012";

/// A moto server for one test; killed on drop (and it exits by itself if the test dies).
pub struct LocalCloud {
    child: Child,
    _stdin: ChildStdin,
    pub endpoint: String,
    pub workdir: tempfile::TempDir,
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("WARDEN_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = repo_root().join(".local-cloud/venv/bin/python");
    assert!(
        venv.exists(),
        "the local cloud is not installed: run `scripts/local-cloud.sh install` (or scripts/test.sh)"
    );
    venv
}

impl LocalCloud {
    pub fn start() -> Self {
        Self::start_with_env(&[])
    }

    /// Starts a server with extra environment (e.g. `WARDEN_MOTO_FAULTS`).
    pub fn start_with_env(env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(python())
            .arg(repo_root().join("tests/harness/moto_server.py"))
            .args(["--host", "127.0.0.1", "--port", "0", "--exit-on-stdin-eof"])
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start moto server");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read PORT line");
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .unwrap_or_else(|| panic!("moto server did not report a port: {line:?}"))
            .to_string();
        LocalCloud {
            child,
            _stdin: stdin,
            endpoint: format!("http://127.0.0.1:{port}"),
            workdir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// Writes a file in this test's work directory and returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.workdir.path().join(name);
        std::fs::write(&path, text).expect("write file");
        path
    }

    /// `program` in the repo root with a clean environment that points the AWS SDK at this
    /// cloud (and nowhere else: no profiles, no instance metadata).
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command
            .current_dir(repo_root())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .env("WARDEN_API_CALL_LOG", api_call_log());
        command
    }

    /// Runs `warden` against this cloud, without a terminal.
    pub fn warden(&self, args: &[&str]) -> Run {
        self.warden_with_env(args, &[])
    }

    /// Runs warden on a pseudo-terminal (through `script`, from util-linux), as on a laptop:
    /// what it draws on stdout and stderr comes back merged in `stdout`.
    pub fn warden_on_terminal(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        self.warden_on_terminal_typing(args, env, "")
    }

    /// The same, with `typed` entered on the terminal's keyboard.
    pub fn warden_on_terminal_typing(
        &self,
        args: &[&str],
        env: &[(&str, &str)],
        typed: &str,
    ) -> Run {
        let quoted: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_warden"))
            .chain(args.iter().copied())
            .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
            .collect();
        let mut child = self
            .command("script")
            .args(["-qec", &quoted.join(" "), "/dev/null"])
            .env("TERM", "xterm-256color")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run warden under script (util-linux)");
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("stdin");
            let _ = stdin.write_all(typed.as_bytes());
        }
        Run::from(child.wait_with_output().expect("wait for script"))
    }

    /// Runs `warden` against this cloud in `dir` (e.g. to find its `warden.yaml`), without a
    /// terminal.
    pub fn warden_in(&self, dir: &Path, args: &[&str]) -> Run {
        self.warden_with_env_in(dir, args, &[])
    }

    /// The same with extra environment.
    pub fn warden_with_env_in(&self, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
        let output = self
            .command(env!("CARGO_BIN_EXE_warden"))
            .current_dir(dir)
            .args(args)
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("run warden");
        Run::from(output)
    }

    pub fn warden_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let output = self
            .command(env!("CARGO_BIN_EXE_warden"))
            .args(args)
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("run warden");
        Run::from(output)
    }

    /// SDK config for an account: the default one directly, others through AssumeRole.
    pub async fn sdk(&self, account: &str, region: &str) -> aws_config::SdkConfig {
        let base = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(Region::new(region.to_string()))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .load()
            .await;
        if account == DIRECT_ACCOUNT {
            return base;
        }
        let sts = aws_sdk_sts::Client::new(&base);
        let out = sts
            .assume_role()
            .role_arn(format!("arn:aws:iam::{account}:role/test-admin"))
            .role_session_name("test")
            .send()
            .await
            .expect("assume role");
        let c = out.credentials().expect("credentials");
        base.to_builder()
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                    c.access_key_id(),
                    c.secret_access_key(),
                    Some(c.session_token().to_string()),
                    None,
                    "test-assumed",
                )),
            )
            .build()
    }

    pub async fn logs(&self, account: &str, region: &str) -> aws_sdk_cloudwatchlogs::Client {
        aws_sdk_cloudwatchlogs::Client::new(&self.sdk(account, region).await)
    }

    pub async fn bedrock(&self, account: &str, region: &str) -> aws_sdk_bedrock::Client {
        aws_sdk_bedrock::Client::new(&self.sdk(account, region).await)
    }

    pub async fn iam(&self, account: &str) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.sdk(account, "us-east-1").await)
    }

    pub async fn s3(&self, account: &str, region: &str) -> aws_sdk_s3::Client {
        let config = self.sdk(account, region).await;
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        )
    }
}

impl Drop for LocalCloud {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The result of one `warden` run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Asserts the exit code, showing the output when it differs.
    pub fn expect_code(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        assert!(
            !self.stderr.contains("panicked"),
            "warden panicked: {}",
            self.stderr
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// Live state of one log group as AWS holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupState {
    pub retention: Option<i32>,
    pub kms_key_id: Option<String>,
    pub tags: std::collections::BTreeMap<String, String>,
}

pub async fn group_state(
    logs: &aws_sdk_cloudwatchlogs::Client,
    account: &str,
    region: &str,
    name: &str,
) -> Option<GroupState> {
    let out = logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .expect("describe log groups");
    let group = out
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))?
        .clone();
    let tags = logs
        .list_tags_for_resource()
        .resource_arn(format!("arn:aws:logs:{region}:{account}:log-group:{name}"))
        .send()
        .await
        .expect("list tags")
        .tags()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .collect();
    Some(GroupState {
        retention: group.retention_in_days(),
        kms_key_id: group.kms_key_id().map(str::to_string),
        tags,
    })
}

/// One operation's entry (`{service, operation, calls, attempts}`) in the `api_calls` of a
/// JSON plan or apply report; panics when the run made no such call.
pub fn api_operation(report: &serde_json::Value, operation: &str) -> serde_json::Value {
    report["api_calls"]["operations"]
        .as_array()
        .expect("api_calls.operations")
        .iter()
        .find(|o| o["operation"] == operation)
        .cloned()
        .unwrap_or_else(|| panic!("no {operation} call in {report:#}"))
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Where this test binary's warden runs record the operations they call (one file per test
/// binary, emptied when the binary's first test starts), for the permissions test.
pub fn api_call_log() -> PathBuf {
    static LOG: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    LOG.get_or_init(|| {
        let dir = api_call_log_dir();
        std::fs::create_dir_all(&dir).expect("create the API call log directory");
        let binary = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "tests".into());
        // `workflows-98ed8cde68983bf0` -> `workflows`: one file per test file, across rebuilds.
        let name = binary
            .rsplit_once('-')
            .map_or(binary.as_str(), |(n, _)| n)
            .to_string();
        let path = dir.join(format!("{name}.log"));
        std::fs::write(&path, "").expect("empty the API call log");
        path
    })
    .clone()
}

pub fn api_call_log_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("warden-api-calls")
}
