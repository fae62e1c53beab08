//! End to end against a real redis-server on a free loopback port, with a real client process
//! holding a connection: inspect must name the service at the other end even though the port is
//! not 6379. Needs the Debian package `redis-server`; set FORKLINT_SKIP_REDIS=1 to skip on purpose.
#![cfg(target_os = "linux")]

mod prereq;

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().unwrap().port()
}

#[test]
fn client_of_redis_on_a_random_port_names_redis() {
    if std::env::var("FORKLINT_SKIP_REDIS").as_deref() == Ok("1") {
        return prereq::missing("FORKLINT_SKIP_REDIS=1: the redis end-to-end test is off");
    }
    let Some(server_bin) = find_in_path("redis-server") else {
        panic!(
            "redis-server is not installed: install the Debian package `redis-server` \
             (apt-get install -y redis-server), or set FORKLINT_SKIP_REDIS=1 to skip this test"
        );
    };
    let port = free_port();
    let server = Reaped(
        Command::new(server_bin)
            .args(["--save", "", "--appendonly", "no", "--bind", "127.0.0.1"])
            .args(["--port", &port.to_string(), "--daemonize", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server"),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "redis-server did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    let script = r#"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"PING\r\n")
assert s.recv(64).startswith(b"+PONG"), "redis did not answer PING"
print(s.fileno(), flush=True)
sys.stdin.read()
"#;
    let mut client = Reaped(
        Command::new("python3")
            .args(["-c", script, &port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the python3 client"),
    );
    let mut line = String::new();
    BufReader::new(client.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let fd: i64 = line.trim().parse().expect("client printed its fd");

    let out = Command::new(env!("CARGO_BIN_EXE_forklint"))
        .args(["inspect", "--format", "json", &client.0.id().to_string()])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(out.status.code(), Some(1), "a shared connection is unsafe");
    let conn = v["fds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["fd"] == fd)
        .expect("the client's connection fd");
    let sock = &conn["socket"];
    assert_eq!(sock["state"], "ESTABLISHED");
    assert_eq!(sock["peer"], format!("127.0.0.1:{port}"));
    assert_eq!(sock["service"], "redis", "{sock:#}");
    assert_eq!(sock["peer_process"]["name"], "redis-server");
    assert_eq!(sock["peer_process"]["pid"], server.0.id());
    let fl002 = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "FL002" && f["severity"] == "error")
        .expect("FL002 error");
    assert!(fl002["message"].as_str().unwrap().contains("redis"));
    assert!(fl002["help"]
        .as_str()
        .unwrap()
        .contains("redis client after the fork"));

    // The server side: its listener and redis' own background threads.
    let out = Command::new(env!("CARGO_BIN_EXE_forklint"))
        .args(["inspect", "--format", "json", &server.0.id().to_string()])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let listens = v["fds"].as_array().unwrap().iter().any(|f| {
        f["socket"]["state"] == "LISTEN" && f["socket"]["local"] == format!("127.0.0.1:{port}")
    });
    assert!(listens, "redis-server's listener on {port}");
    let bio = v["threads"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"].as_str().is_some_and(|n| n.starts_with("bio_")))
        .count();
    assert!(bio > 0, "redis background threads: {:#}", v["threads"]);
    assert_eq!(v["verdict"], "unsafe");
}
