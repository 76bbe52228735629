//! Black-box test support: a real `apptrust serve` process on a random port, against a fresh
//! SQLite file or a fresh PostgreSQL database, spoken to over real HTTP.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

/// Which database a test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub const ELIGIBLE: &str = include_str!("../../../../examples/eligible/manifest.yml");
pub const NOT_ELIGIBLE: &str = include_str!("../../../../examples/not-eligible/manifest.yml");
pub const BLOCKED: &str = include_str!("../../../../examples/blocked/manifest.yml");

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_apptrust")
}

/// A database for one test; dropped with it (the SQLite folder) or left for the cluster's end.
pub struct TestDb {
    pub url: String,
    pub kind: Db,
    _dir: Option<TempDir>,
}

/// A temporary folder removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "apptrust-test-{tag}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl TestDb {
    pub fn new(kind: Db) -> TestDb {
        match kind {
            Db::Sqlite => {
                let dir = TempDir::new("db");
                let url = dir.0.join("apptrust.db").display().to_string();
                TestDb {
                    url,
                    kind,
                    _dir: Some(dir),
                }
            }
            Db::Postgres => {
                let Ok(server) = std::env::var("APPTRUST_TEST_POSTGRES_URL") else {
                    panic!(
                        "APPTRUST_TEST_POSTGRES_URL is not set: run the suite with scripts/test \
                         (which starts PostgreSQL), or point it at a server whose user may create databases"
                    );
                };
                static NEXT: AtomicU32 = AtomicU32::new(0);
                let name = format!(
                    "apptrust_t_{}_{}",
                    std::process::id(),
                    NEXT.fetch_add(1, Ordering::Relaxed)
                );
                psql(&server, &format!("CREATE DATABASE {name}"));
                let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
                TestDb {
                    url: format!("{base}/{name}"),
                    kind,
                    _dir: None,
                }
            }
        }
    }

    /// Runs SQL directly against the database (for tampering that no API allows).
    pub fn sql(&self, statement: &str) -> Result<String, String> {
        let output = match self.kind {
            Db::Postgres => Command::new("psql")
                .args([&self.url, "-v", "ON_ERROR_STOP=1", "-tAc", statement])
                .output(),
            Db::Sqlite => Command::new("python3")
                .args([
                    "-c",
                    "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nr=c.execute(sys.argv[2]).fetchall()\nc.commit()\nprint('\\n'.join('|'.join(map(str,x)) for x in r))",
                    &self.url,
                    statement,
                ])
                .output(),
        }
        .expect("run psql or python3");
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).to_string())
        }
    }
}

fn psql(url: &str, statement: &str) {
    let status = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-qc", statement])
        .status()
        .expect("psql is needed for the PostgreSQL suite");
    assert!(status.success(), "psql failed: {statement}");
}

/// A running server.
pub struct TestApp {
    pub url: String,
    pub db: TestDb,
    pub staff_token: String,
    child: Option<Child>,
    pub extra_args: Vec<String>,
    _config: Option<TempDir>,
}

impl TestApp {
    /// A server on a fresh database with a bootstrapped staff user.
    pub fn spawn(kind: Db) -> TestApp {
        TestApp::spawn_with(kind, &[])
    }

    pub fn spawn_with(kind: Db, extra: &[&str]) -> TestApp {
        let db = TestDb::new(kind);
        let output = Command::new(binary())
            .args(["admin", "bootstrap", "--database", &db.url])
            .output()
            .expect("run bootstrap");
        assert!(
            output.status.success(),
            "bootstrap failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let staff_token = String::from_utf8_lossy(&output.stdout).trim().to_string();
        let mut app = TestApp {
            url: String::new(),
            db,
            staff_token,
            child: None,
            extra_args: extra.iter().map(|s| s.to_string()).collect(),
            _config: None,
        };
        app.start();
        app
    }

    /// A server started with this TOML config file (limits, timeouts) on a fresh database.
    pub fn spawn_configured(kind: Db, toml: &str) -> TestApp {
        let dir = TempDir::new("config");
        let path = dir.0.join("apptrust.toml");
        std::fs::write(&path, toml).expect("write config");
        let path = path.display().to_string();
        let mut app = TestApp::spawn_with(kind, &["--config", &path]);
        app._config = Some(dir);
        app
    }

    /// The server's process id (for reading its memory from /proc).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).expect("running")
    }

    /// The host and port, for raw TCP.
    pub fn address(&self) -> String {
        self.url.trim_start_matches("http://").to_string()
    }

    /// Signs in with a token; returns the cookie (`name=value`) and the CSRF token.
    pub fn sign_in(&self, token: &str) -> (String, String) {
        let response = ureq::post(&format!("{}/api/v1/session", self.url))
            .send_json(json!({"token": token}))
            .expect("sign in");
        let cookie = response
            .header("set-cookie")
            .and_then(|c| c.split(';').next())
            .expect("a cookie")
            .to_string();
        let body: Value = response.into_json().expect("json");
        let csrf = body["csrfToken"].as_str().expect("csrf").to_string();
        (cookie, csrf)
    }

    /// A request with a session cookie and its CSRF token.
    pub fn with_session(
        &self,
        method: &str,
        path: &str,
        session: &(String, String),
    ) -> ureq::Request {
        ureq::request(method, &format!("{}{path}", self.url))
            .timeout(Duration::from_secs(30))
            .set("Cookie", &session.0)
            .set("X-CSRF-Token", &session.1)
    }

    /// Another server process on the same database (a second instance).
    pub fn second_instance(&self) -> (String, Child) {
        start_server(&self.db.url, &self.extra_args)
    }

    /// (Re)starts the server process on the same database.
    pub fn start(&mut self) {
        let (url, child) = start_server(&self.db.url, &self.extra_args);
        self.url = url;
        self.child = Some(child);
    }

    /// Kills the server with SIGKILL: no chance to flush or clean up.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.request("GET", path, token, None)
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.request("POST", path, token, Some(body))
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request =
            ureq::request(method, &format!("{}{path}", self.url)).timeout(Duration::from_secs(30));
        if let Some(token) = token {
            request = request.set("Authorization", &format!("Bearer {token}"));
        }
        let result = match body {
            Some(body) => request.send_json(body),
            None => request.call(),
        };
        into_parts(result)
    }

    /// A partner with one member; returns the member's token.
    pub fn partner(&self, key: &str) -> String {
        let (status, body) = self.post(
            "/api/v1/partners",
            Some(&self.staff_token),
            json!({"key": key, "name": key}),
        );
        assert_eq!(status, 201, "{body}");
        let (status, body) = self.post(
            "/api/v1/users",
            Some(&self.staff_token),
            json!({"name": format!("{key} dev"), "email": format!("dev@{key}.test"), "role": "partner", "partner": key}),
        );
        assert_eq!(status, 201, "{body}");
        body["token"].as_str().expect("token").to_string()
    }

    /// An app of the token's partner.
    pub fn app(&self, token: &str, key: &str) {
        let (status, body) = self.post(
            "/api/v1/apps",
            Some(token),
            json!({"key": key, "name": key}),
        );
        assert_eq!(status, 201, "{body}");
    }

    /// Deploys to `app`; an example manifest in the body becomes a version of the app's own
    /// Forge app (see [`for_app`]), so that tests can deploy the examples to many apps.
    pub fn deploy(&self, token: &str, app: &str, env: &str, mut body: Value) -> (u16, Value) {
        if let Some(manifest) = body["manifest"].as_str() {
            body["manifest"] = Value::String(for_app(manifest, app));
        }
        self.post(
            &format!("/api/v1/apps/{app}/environments/{env}/deployments"),
            Some(token),
            body,
        )
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn into_parts(result: Result<ureq::Response, ureq::Error>) -> (u16, Value) {
    let response = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport error: {e}"),
    };
    let status = response.status();
    let text = response.into_string().expect("read body");
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

fn start_server(database: &str, extra: &[String]) -> (String, Child) {
    let mut child = Command::new(binary())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            database,
            "--job-interval-ms",
            "100",
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start apptrust serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    reader.read_line(&mut line).expect("read first line");
    // Keep draining, so the server never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let url = line
        .trim()
        .strip_prefix("apptrust serve: listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_string();
    (url, child)
}

/// The Forge app ids of the three examples.
pub const EXAMPLE_APP_IDS: [&str; 3] = [
    "ari:cloud:ecosystem::app/00000000-0000-4000-8000-000000000001",
    "ari:cloud:ecosystem::app/00000000-0000-4000-8000-000000000002",
    "ari:cloud:ecosystem::app/00000000-0000-4000-8000-000000000003",
];

/// A Forge app id of its own for the app with this key (the same every time).
pub fn forge_app_id(key: &str) -> String {
    // FNV-1a: stable across runs and platforms.
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!(
        "ari:cloud:ecosystem::app/{:08x}-0000-4000-8000-{:012x}",
        hash >> 32,
        hash & 0xffff_ffff_ffff
    )
}

/// An example manifest as a version of app `key`'s own Forge app: the server binds each app
/// to the Forge app its manifests name, and one Forge app to one app.
pub fn for_app(manifest: &str, key: &str) -> String {
    let own = forge_app_id(key);
    EXAMPLE_APP_IDS
        .iter()
        .fold(manifest.to_string(), |text, example| {
            text.replace(example, &own)
        })
}

/// Polls `check` until it returns true or ten seconds pass.
pub fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..200 {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for: {what}");
}

pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}
