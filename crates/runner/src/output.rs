//! A test's output: stdout and stderr share one pipe, so they arrive
//! interleaved as written. Only the first 64 KiB are kept (plus enough to
//! mask a secret that straddles the cap); the rest is read and dropped so a
//! chatty command never blocks on a full pipe.
use std::io::{PipeReader, Read};
use tokio::sync::oneshot;

pub const OUTPUT_CAP: usize = 64 * 1024;

pub const TRUNCATED: &str = "\n[output truncated: only the first 64 KiB are kept]\n";

/// What was read: the kept bytes and whether more came.
pub struct Captured {
    pub bytes: Vec<u8>,
    pub truncated: bool,
}

/// Reads `reader` to its end on a thread of its own; the answer arrives
/// when every process holding the pipe's write end has closed it.
pub fn capture(mut reader: PipeReader, keep: usize) -> oneshot::Receiver<Captured> {
    let (send, receive) = oneshot::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let mut truncated = false;
        let mut buffer = [0u8; 8192];
        loop {
            match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => {
                    let room = keep.saturating_sub(bytes.len());
                    bytes.extend_from_slice(&buffer[..n.min(room)]);
                    truncated |= n > room;
                }
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = send.send(Captured { bytes, truncated });
    });
    receive
}

/// The text to report: masked, then cut to the cap (on a character
/// boundary) with a marker when anything was left out.
pub fn finish(captured: Captured, mask: impl Fn(&str) -> String) -> String {
    let text = String::from_utf8_lossy(&captured.bytes);
    let mut masked = mask(&text);
    let mut truncated = captured.truncated;
    if masked.len() > OUTPUT_CAP {
        let mut end = OUTPUT_CAP;
        while !masked.is_char_boundary(end) {
            end -= 1;
        }
        masked.truncate(end);
        truncated = true;
    }
    if truncated {
        masked.push_str(TRUNCATED);
    }
    masked
}
