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

/// A request as [`serve_fn`] hands it to its handler.
#[derive(Clone, Debug)]
pub struct Seen {
    /// The method.
    pub method: String,
    /// The path and query.
    pub target: String,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body (by `Content-Length`, or chunked).
    pub body: Vec<u8>,
}

impl Seen {
    /// A header's value (name in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one HTTP/1.1 request (`Content-Length` or chunked body); `None`
/// at the end of the connection or on a malformed request.
pub(crate) fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Seen> {
    let mut head = Vec::new();
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line).ok()? == 0 {
            return None;
        }
        head.extend_from_slice(&line);
        if line == b"\r\n" || line == b"\n" {
            break;
        }
        if head.len() > 64 * 1024 {
            return None;
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    if !matches!(req.parse(&head), Ok(httparse::Status::Complete(_))) {
        return None;
    }
    let headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_ascii_lowercase(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let mut rec = Seen {
        method: req.method?.to_string(),
        target: req.path?.to_string(),
        headers,
        body: Vec::new(),
    };
    if rec
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let n = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            rec.body.extend_from_slice(&chunk[..n]);
        }
    } else if let Some(len) = rec.header("content-length") {
        let mut body = vec![0; len.trim().parse().ok()?];
        reader.read_exact(&mut body).ok()?;
        rec.body = body;
    }
    Some(rec)
}

/// Serves every connection on its own thread with `handler`, which returns
/// the whole response; runs until the test process ends.
pub fn serve_fn(handler: impl Fn(&Seen) -> Vec<u8> + Send + Sync + 'static) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handler = std::sync::Arc::new(handler);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let handler = handler.clone();
            thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let Some(seen) = read_request(&mut reader) else {
                    return;
                };
                let response = handler(&seen);
                let _ = stream.write_all(&response);
            });
        }
    });
    port
}

/// A response with `status` (e.g. `"404 Not Found"`) and a text body.
pub fn text_response(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// An HTTPS server on loopback whose certificate (for `127.0.0.1` and
/// `localhost`) is signed by a fresh private CA, both made with the
/// `openssl` command as a user makes them; stops with the test process.
pub struct TlsServer {
    /// The port.
    pub port: u16,
    /// The CA certificate (PEM), to trust with `--cacert`.
    pub ca_pem: std::path::PathBuf,
    /// A client certificate (CN `test-client`) signed by the same CA.
    pub client_pem: std::path::PathBuf,
    /// Its key (PKCS#8 PEM).
    pub client_key: std::path::PathBuf,
    _child: std::process::Child,
}

/// Starts a [`TlsServer`] (needs `openssl` and `python3`). It answers
/// every GET with 200 and `tls ok`, followed by ` client=CN` when the
/// client showed a certificate.
pub fn tls_server(tag: &str) -> TlsServer {
    start_tls_server(tag, false)
}

/// A [`TlsServer`] that refuses clients without a certificate from its CA
/// (mutual TLS).
pub fn mtls_server(tag: &str) -> TlsServer {
    start_tls_server(tag, true)
}

fn start_tls_server(tag: &str, require_client: bool) -> TlsServer {
    // One directory per server, even for tests of one binary running at
    // once with the same tag.
    static SERVERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = SERVERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("tls-{tag}-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    crate::openssl(
        &dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=Test Root CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ],
    );
    // The server's certificate, and a client certificate for mutual TLS.
    for (name, key, subject, ext) in [
        (
            "leaf",
            &["rsa:2048"][..],
            "/CN=localhost",
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
        ),
        (
            "client",
            &["ec", "-pkeyopt", "ec_paramgen_curve:P-256"][..],
            "/CN=test-client",
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n",
        ),
    ] {
        let mut args = vec!["req", "-newkey"];
        args.extend_from_slice(key);
        let (keyout, csr) = (format!("{name}.key"), format!("{name}.csr"));
        args.extend(["-nodes", "-subj", subject, "-keyout", &keyout, "-out", &csr]);
        crate::openssl(&dir, &args);
        crate::sign_csr(&dir, name, "ca", ext, 1);
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (child, line) = crate::spawn_python(
        "tls_server.py",
        |c| {
            c.arg(port.to_string())
                .arg(dir.join("leaf.pem"))
                .arg(dir.join("leaf.key"));
            if require_client {
                c.arg(dir.join("ca.pem"));
            }
        },
        "for the TLS tests",
    );
    assert_eq!(line, "ready", "the TLS test server did not start");
    TlsServer {
        port,
        ca_pem: dir.join("ca.pem"),
        client_pem: dir.join("client.pem"),
        client_key: dir.join("client.key"),
        _child: child,
    }
}
