//! Connection limits of `patchbay serve`: a half-sent request is cut off
//! after `--header-read-timeout`, an idle connection after
//! `--idle-timeout`, and connections over `--max-connections` wait their
//! turn in the backlog, so idle sockets cannot keep `/health` from answering.
mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::{Options, Server, TempDir};

/// `patchbay serve` with `extra` flags, without its embedded worker, in a
/// data directory removed after the server is stopped.
fn serve(extra: &[&str]) -> (TempDir, Server) {
    let dir = TempDir::new("conn");
    let options =
        Options::new(&dir.0).args(&["--jwt-secret", "s", "--no-embedded-worker"]).args(extra).show_stderr();
    (dir, Server::start(options))
}

fn connect(address: &str) -> TcpStream {
    let stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    stream
}

/// Reads until the server closes the connection; how long that took.
fn time_until_closed(stream: &mut TcpStream) -> Duration {
    let start = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return start.elapsed(),
            Ok(_) => {}
        }
    }
}

fn get_health(stream: &mut TcpStream) -> String {
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: patchbay\r\n\r\n").unwrap();
    let mut buf = [0u8; 4096];
    let n = stream.read(&mut buf).unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[test]
fn a_half_sent_request_is_cut_off_after_the_header_read_timeout() {
    let (_dir, server) = serve(&["--header-read-timeout", "1s", "--idle-timeout", "30s"]);
    let mut half = connect(&server.address);
    half.write_all(b"GET /health HTT").unwrap();
    let took = time_until_closed(&mut half);
    assert!(took >= Duration::from_millis(800) && took < Duration::from_secs(5), "closed after {took:?}");
    // Trickling bytes does not extend it: the head's deadline runs from its first byte.
    let mut slow = connect(&server.address);
    let start = Instant::now();
    for byte in b"GET /health HTTP/1.1\r\n" {
        if slow.write_all(&[*byte]).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    time_until_closed(&mut slow);
    assert!(start.elapsed() < Duration::from_secs(5), "a trickled head was served for {:?}", start.elapsed());
    // A whole request is still answered.
    assert!(get_health(&mut connect(&server.address)).starts_with("HTTP/1.1 200"));
}

#[test]
fn idle_connections_close_after_the_idle_timeout() {
    let (_dir, server) = serve(&["--idle-timeout", "1s"]);
    // Never a byte.
    let took = time_until_closed(&mut connect(&server.address));
    assert!(took >= Duration::from_millis(800) && took < Duration::from_secs(5), "closed after {took:?}");
    // Kept alive after a request.
    let mut kept = connect(&server.address);
    assert!(get_health(&mut kept).starts_with("HTTP/1.1 200"));
    let took = time_until_closed(&mut kept);
    assert!(took >= Duration::from_millis(800) && took < Duration::from_secs(5), "closed after {took:?}");
}

#[test]
fn idle_sockets_over_the_cap_wait_and_health_still_answers() {
    let (_dir, server) =
        serve(&["--max-connections", "2", "--idle-timeout", "1s", "--header-read-timeout", "1s"]);
    // Twice the cap in idle sockets: two hold the slots, the rest wait.
    let idle: Vec<TcpStream> = (0..4).map(|_| connect(&server.address)).collect();
    std::thread::sleep(Duration::from_millis(200));
    let start = Instant::now();
    let mut probe = connect(&server.address);
    let answer = get_health(&mut probe);
    let took = start.elapsed();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // It waited for the idle ones to time out (two rounds of the cap),
    // and no longer.
    assert!(took >= Duration::from_millis(800), "answered after {took:?}: the cap did not hold");
    assert!(took < Duration::from_secs(10), "answered after {took:?}");
    drop(idle);
}
