//! Deploy-time variable values, gathered from flags, env files and the process environment.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use crate::args::VariableArgs;

/// Builds the variable table. Precedence, highest first: `--var`, `--var-file` (later files
/// win), the process environment. The deprecated `--env` and `--env-file` count as `--var` and
/// `--var-file`, with a warning.
pub fn collect(args: &VariableArgs) -> Result<HashMap<String, String>, String> {
    if !args.env.is_empty() {
        eprintln!(
            "apptrust: warning: `--env KEY=VALUE` is deprecated and will be removed; use \
             `--var KEY=VALUE` (in the Forge CLI, `--env` names an environment)"
        );
    }
    if !args.env_file.is_empty() {
        eprintln!(
            "apptrust: warning: `--env-file` is deprecated and will be removed; use `--var-file`"
        );
    }
    let mut vars: HashMap<String, String> = if args.no_process_env {
        HashMap::new()
    } else {
        std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect()
    };
    let flagged = args
        .env
        .iter()
        .map(|p| ("--env", p))
        .chain(args.var.iter().map(|p| ("--var", p)));
    layer(
        &mut vars,
        args.env_file.iter().chain(&args.var_file),
        flagged,
    )?;
    Ok(vars)
}

/// The values given explicitly, without the process environment: `--var` over `--var-file`
/// (later files win). `apptrust deploy` sends these to the server, and nothing else.
pub fn explicit(var: &[String], var_file: &[PathBuf]) -> Result<BTreeMap<String, String>, String> {
    let mut vars = HashMap::new();
    layer(&mut vars, var_file, var.iter().map(|p| ("--var", p)))?;
    Ok(vars.into_iter().collect())
}

/// Adds the files' values, then the flags' `KEY=VALUE` pairs, over `vars`.
fn layer<'a>(
    vars: &mut HashMap<String, String>,
    files: impl IntoIterator<Item = &'a PathBuf>,
    flags: impl IntoIterator<Item = (&'static str, &'a String)>,
) -> Result<(), String> {
    for file in files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read env file {}: {e}", file.display()))?;
        for (number, line) in text.lines().enumerate() {
            if let Some((key, value)) = parse_dotenv_line(line)
                .map_err(|e| format!("{}:{}: {e}", file.display(), number + 1))?
            {
                vars.insert(key, value);
            }
        }
    }
    for (flag, pair) in flags {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("{flag} expects KEY=VALUE, got `{pair}`"))?;
        vars.insert(key.to_string(), value.to_string());
    }
    Ok(())
}

/// One dotenv line: `KEY=VALUE`, optionally `export KEY=VALUE`, with `#` comments and quotes.
fn parse_dotenv_line(line: &str) -> Result<Option<(String, String)>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let line = line.strip_prefix("export ").unwrap_or(line);
    let (key, value) = line
        .split_once('=')
        .ok_or_else(|| format!("expected KEY=VALUE, got `{line}`"))?;
    let value = value.trim();
    let value = if let Some(inner) = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
    {
        inner.to_string()
    } else {
        value.split(" #").next().unwrap_or(value).trim().to_string()
    };
    Ok(Some((key.trim().to_string(), value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_lines() {
        assert_eq!(parse_dotenv_line("# c").unwrap(), None);
        assert_eq!(
            parse_dotenv_line("export A='x y'").unwrap(),
            Some(("A".into(), "x y".into()))
        );
        assert_eq!(
            parse_dotenv_line("B=v # note").unwrap(),
            Some(("B".into(), "v".into()))
        );
        assert!(parse_dotenv_line("nonsense").is_err());
    }

    #[test]
    fn flags_beat_files_beat_process() {
        let dir = std::env::temp_dir().join(format!("apptrust-vars-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("a.env");
        std::fs::write(&file, "X=file\nY=file\n").unwrap();
        let args = VariableArgs {
            var: vec!["X=flag".into()],
            var_file: vec![file],
            env: Vec::new(),
            env_file: Vec::new(),
            no_process_env: true,
        };
        let vars = collect(&args).unwrap();
        assert_eq!(vars["X"], "flag");
        assert_eq!(vars["Y"], "file");
        assert!(!vars.contains_key("PATH"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn explicit_values_layer_alike_and_leave_the_process_environment_out() {
        let dir = std::env::temp_dir().join(format!("apptrust-explicit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (first, second) = (dir.join("a.env"), dir.join("b.env"));
        std::fs::write(&first, "X=first\nY=first\nZ=first\n").unwrap();
        std::fs::write(&second, "export Y='second'\n").unwrap();
        let vars = explicit(&["X=flag".into()], &[first, second]).unwrap();
        assert_eq!(vars["X"], "flag");
        assert_eq!(vars["Y"], "second", "later files win");
        assert_eq!(vars["Z"], "first");
        assert!(!vars.contains_key("PATH"), "never the process environment");
        assert!(explicit(&["nonsense".into()], &[]).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
