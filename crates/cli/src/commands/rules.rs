//! `apptrust rules`: every code, one line each; or the approved analytics tools.

use apptrust_rules::{AnalyticsPolicy, Code};
use serde_json::json;

use crate::args::{Format, RulesArgs};

pub fn run(args: &RulesArgs) -> Result<u8, String> {
    if args.analytics_tools {
        let policy = AnalyticsPolicy::default();
        if args.format == Format::Json {
            let value = json!({"version": policy.version, "effective": policy.effective, "hosts": policy.patterns});
            println!(
                "{}",
                serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?
            );
        } else {
            println!(
                "# approved analytics tools, version {} (effective {})",
                policy.version, policy.effective
            );
            for pattern in &policy.patterns {
                println!("{pattern}");
            }
        }
        return Ok(0);
    }
    if args.format == Format::Json {
        let rows: Vec<_> = Code::ALL
            .iter()
            .map(|c| json!({"code": c.name(), "kind": c.kind(), "severity": c.severity(), "summary": c.summary()}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?
        );
        return Ok(0);
    }
    let width = Code::ALL.iter().map(|c| c.name().len()).max().unwrap_or(0);
    for code in Code::ALL {
        let kind = format!("{:?}", code.kind()).to_lowercase();
        println!("{:width$}  {kind:8}  {}", code.name(), code.summary());
    }
    Ok(0)
}
