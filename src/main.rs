//! Entry point: parse arguments, run the command, and map the result to an exit code
//! (the only place that does).

use std::io::Write;
use std::process::ExitCode;

use bedrock_warden::cli;
use bedrock_warden::error::{Outcome, WardenError};

/// Exit codes, documented in the README.
const EXIT_OK: u8 = 0;
const EXIT_ERROR: u8 = 1;
const EXIT_CHANGES: u8 = 2;
const EXIT_PARTIAL: u8 = 3;

fn main() -> ExitCode {
    let args = match cli::parse() {
        Ok(args) => args,
        Err(usage) => {
            let _ = usage.print();
            // --help and --version are not errors; a bad argument is (1, never 2, which
            // means "changes present").
            return ExitCode::from(if usage.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_OK
            });
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let result = runtime.block_on(cli::run(args));
    let _ = std::io::stdout().flush();
    match result {
        Ok(Outcome::Clean) => ExitCode::from(EXIT_OK),
        Ok(Outcome::Changes) => ExitCode::from(EXIT_CHANGES),
        Ok(Outcome::Partial) => ExitCode::from(EXIT_PARTIAL),
        Err(error) => {
            report(&error);
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn report(error: &WardenError) {
    let color = cli::stderr_color();
    let mut stderr = anstream::stderr();
    let text = match error {
        WardenError::Spec(errors) => {
            cli::render_diagnostics(&errors.source_file, &errors.diagnostics, color)
        }
        WardenError::Expand {
            source_file,
            diagnostics,
        } => cli::render_diagnostics(source_file, diagnostics, color),
        WardenError::Usage { message, help } => match help {
            Some(h) => format!("error: {message}\n  help: {h}\n"),
            None => format!("error: {message}\n"),
        },
        WardenError::StalePlan(rendered) => rendered.clone(),
        other => format!("error: {other}\n"),
    };
    let _ = stderr.write_all(text.as_bytes());
}
