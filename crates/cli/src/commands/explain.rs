//! `apptrust explain CODE`: prints a code's documentation, the same text as its doc comment.

use apptrust_rules::Code;

use crate::args::ExplainArgs;

pub fn run(args: &ExplainArgs) -> Result<u8, String> {
    let Some(code) = Code::from_name(&args.code) else {
        let wanted = args.code.to_ascii_uppercase();
        let close: Vec<&str> = Code::ALL
            .iter()
            .map(|c| c.name())
            .filter(|n| n.contains(&wanted) || wanted.contains(n))
            .collect();
        let hint = if close.is_empty() {
            "run `apptrust rules` to list every code".to_string()
        } else {
            format!("did you mean {}?", close.join(", "))
        };
        return Err(format!("unknown code `{}`: {hint}", args.code));
    };
    crate::output::emitln(&format!("# {} ({})\n", code.name(), kind_word(code)))?;
    crate::output::emitln(&code.doc_text().to_string())?;
    Ok(0)
}

pub fn kind_word(code: Code) -> &'static str {
    match code.kind() {
        apptrust_rules::Kind::Rule => "trust-signal rule",
        apptrust_rules::Kind::Blocker => "deploy blocker",
        apptrust_rules::Kind::Advisory => "advisory",
        apptrust_rules::Kind::Error => "error",
    }
}
