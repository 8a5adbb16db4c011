//! `warden schema`: the spec's JSON Schema on stdout.

use std::io::Write;

use crate::error::{Outcome, WardenError};

pub fn run() -> Result<Outcome, WardenError> {
    let text = crate::render::json(&crate::spec::json_schema());
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(Outcome::Clean)
}
