//! Loopback HTTP servers: one answer per connection, and a forward proxy.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// Serves one connection: records the request head, waits `delay`, answers
/// `response`.
pub fn serve_once(response: Vec<u8>, delay: Duration) -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let Ok((stream, _)) = listener.accept() else {
            return;
        };
        handle(stream, &response, delay, &tx);
    });
    (port, rx)
}

/// Reads one request (head and body) from `stream`, records it on `tx`,
/// waits `delay`, then writes `response`.
pub fn handle(mut stream: TcpStream, response: &[u8], delay: Duration, tx: &mpsc::Sender<String>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut head = String::new();
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            content_length = v.trim().parse().unwrap_or(0);
        }
        head.push_str(&line);
    }
    let mut body = vec![0; content_length];
    let _ = reader.read_exact(&mut body);
    head.push_str(&String::from_utf8_lossy(&body));
    let _ = tx.send(head);
    thread::sleep(delay);
    let _ = stream.write_all(response);
}

/// A complete HTTP/1.1 response with a JSON content type, an `X-Test: yes`
/// header and `body`.
pub fn ok_response(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nX-Test: yes\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A forward proxy for one connection: answers CONNECT, then serves the
/// tunnelled request itself; records both heads.
pub fn proxy_once(response: Vec<u8>) -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut head = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        let connect = head.starts_with("CONNECT ");
        let _ = tx.send(head);
        if connect {
            let _ = stream.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
            drop(reader);
            handle(stream, &response, Duration::ZERO, &tx);
        } else {
            let _ = stream.write_all(&response);
        }
    });
    (port, rx)
}

/// Serves one connection per entry of `responses`, in order; records each
/// request on the receiver. Connections past the script are dropped.
pub fn serve_script(responses: Vec<Vec<u8>>) -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for response in responses {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            handle(stream, &response, Duration::ZERO, &tx);
        }
    });
    (port, rx)
}
