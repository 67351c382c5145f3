//! Test support: the real `fixbook serve` process on a free loopback port, a small HTTP/1.1
//! client over `TcpStream` (so tests can also send slow, partial or broken requests), and
//! temporary folders.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fresh temporary folder for one test.
pub fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fixbook-server-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The `fixbook` command with the user's environment neutralised.
pub fn fixbook() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fixbook"));
    let home = std::env::temp_dir().join(format!("fixbook-server-{}-home", std::process::id()));
    c.env("FIXBOOK_PACK_PATH", "")
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env_remove("XDG_CACHE_HOME")
        .env_remove("FIXBOOK_CACHE_DIR")
        .env_remove("NO_COLOR")
        .current_dir(root());
    c
}

/// Runs `fixbook serve --no-cache ARGS` where it must refuse to start: asserts exit code 2
/// and nothing on standard output (it never listened); returns standard error.
pub fn serve_refused(args: &[&str]) -> String {
    let o = fixbook()
        .args(["serve", "--no-cache"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(o.stdout.is_empty(), "it must not listen: {o:?}");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A running `fixbook serve`, killed (by pid) when dropped.
pub struct Server {
    pub child: Child,
    pub addr: String,
    pub stderr: PathBuf,
    /// The server's own folder (its config file and standard error are here).
    pub dir: PathBuf,
}

impl Server {
    /// Starts `fixbook serve --listen 127.0.0.1:0 --no-cache ARGS` (with `config` as its
    /// config file when given) and waits for its first line.
    pub fn start(name: &str, args: &[&str], config: Option<&str>) -> Server {
        Server::start_with_env(name, args, config, &[])
    }

    /// Like [`Server::start`], with `env` added to the server's environment.
    pub fn start_with_env(
        name: &str,
        args: &[&str],
        config: Option<&str>,
        env: &[(&str, &str)],
    ) -> Server {
        let dir = tmp(&format!("srv-{name}"));
        let mut cmd = fixbook();
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--no-cache"]);
        cmd.envs(env.iter().copied());
        if let Some(c) = config {
            let p = dir.join("server.toml");
            std::fs::write(&p, c).unwrap();
            cmd.arg("--config").arg(p);
        }
        let stderr = dir.join("stderr.log");
        let mut child = cmd
            .args(args)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let Some(addr) = line.trim().strip_prefix("listening on http://") else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "first line {line:?}; stderr: {}",
                std::fs::read_to_string(&stderr).unwrap_or_default()
            );
        };
        Server {
            addr: addr.to_owned(),
            child,
            stderr,
            dir,
        }
    }

    /// Sends a signal (by pid) with the system's `kill`.
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig} failed");
    }

    pub fn get(&self, path: &str) -> Resp {
        request(&self.addr, "GET", path, &[], b"")
    }

    pub fn post_json(&self, path: &str, body: &Value) -> Resp {
        let b = serde_json::to_vec(body).unwrap();
        request(
            &self.addr,
            "POST",
            path,
            &[("Content-Type", "application/json")],
            &b,
        )
    }

    pub fn post_raw(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        request(&self.addr, "POST", path, headers, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {}: body is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The error's kind, checking the error shape on the way.
    pub fn error_kind(&self) -> String {
        let v = self.json();
        let e = &v["error"];
        assert!(
            e["message"].as_str().is_some_and(|m| !m.is_empty()),
            "error without a message: {v}"
        );
        e["kind"].as_str().unwrap_or_default().to_owned()
    }
}

/// Opens a connection with generous timeouts.
pub fn connect(addr: &str) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(120))).unwrap();
    s
}

/// The head of a request (ending with the blank line).
pub fn head(method: &str, path: &str, headers: &[(&str, &str)], len: Option<usize>) -> String {
    let mut h = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (k, v) in headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(n) = len {
        h.push_str(&format!("Content-Length: {n}\r\n"));
    }
    h.push_str("\r\n");
    h
}

/// Sends one request and reads the whole response.
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    let mut s = connect(addr);
    let h = head(method, path, headers, Some(body.len()));
    s.write_all(h.as_bytes()).unwrap();
    // the server may answer (413) and close before the whole body is sent
    let _ = s.write_all(body);
    read_response(&mut s)
}

/// Reads a response (Connection: close) from a stream.
pub fn read_response(s: &mut TcpStream) -> Resp {
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    parse(&raw)
}

/// Parses a whole HTTP/1.1 response (content-length or chunked).
pub fn parse(raw: &[u8]) -> Resp {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        let mut out = Vec::new();
        let mut rest = &body[..];
        while let Some(nl) = rest.windows(2).position(|w| w == b"\r\n") {
            let n = usize::from_str_radix(std::str::from_utf8(&rest[..nl]).unwrap().trim(), 16)
                .unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&rest[nl + 2..nl + 2 + n]);
            rest = &rest[nl + 2 + n + 2..];
        }
        body = out;
    }
    Resp {
        status,
        headers,
        body,
    }
}

/// A pack folder with one entry whose title and remedy carry `version`, matching the
/// signature `fixbook reload probe`.
pub fn probe_pack(version: &str) -> String {
    format!(
        r#"format = 1
id = "probe"
name = "Reload probe"
version = "1.0.{n}"

[[entries]]
id = "probe"
title = "Probe {version}"
signatures = [{{ id = "probe", pattern = 'fixbook reload probe' }}]
remedy = ["remedy {version}"]
"#,
        n = version.len()
    )
}

/// Writes `text` to `path` atomically (a temporary file renamed over it).
pub fn write_atomic(path: &Path, text: &str) {
    let t = path.with_extension("tmp-write");
    std::fs::write(&t, text).unwrap();
    std::fs::rename(&t, path).unwrap();
}
