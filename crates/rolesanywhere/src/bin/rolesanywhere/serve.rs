//! `rolesanywhere serve`: the IMDSv2-compatible endpoint, on tiny_http.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use crate::Failure;
use rolesanywhere::imds_server::{ImdsServer, role_name};
use rolesanywhere::refresh::next_attempt;

use crate::Session;

pub(crate) fn run(session: Session, port: u16, role_arn: &str) -> Result<(), Failure> {
    // Nothing to serve until the first call succeeds: fail fast.
    let creds = session.credentials()?;
    let state = Arc::new(ImdsServer::new(role_name(role_arn)));
    state.set_credentials(creds, SystemTime::now());
    let server = tiny_http::Server::http(("127.0.0.1", port))
        .map_err(|e| Failure::Io(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
    let bound = server
        .server_addr()
        .to_ip()
        .map(|a| a.port())
        .unwrap_or(port);
    eprintln!("rolesanywhere: serving on http://127.0.0.1:{bound}/");
    eprintln!("rolesanywhere: export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:{bound}/");

    let refresher = state.clone();
    std::thread::spawn(move || refresh_loop(&session, &refresher));

    for mut request in server.incoming_requests() {
        let mut b = http::Request::builder()
            .method(request.method().as_str())
            .uri(request.url());
        for h in request.headers() {
            b = b.header(h.field.as_str().as_str(), h.value.as_str());
        }
        // Bodies are not used; drain a little so keep-alive works.
        let mut sink = [0u8; 1024];
        let _ = std::io::Read::read(request.as_reader(), &mut sink);
        let response = match b.body(()) {
            Ok(req) => state.handle(&req, SystemTime::now(), Instant::now()),
            Err(_) => {
                let mut r = http::Response::new(b"bad request".to_vec());
                *r.status_mut() = http::StatusCode::BAD_REQUEST;
                r
            }
        };
        let mut out = tiny_http::Response::from_data(response.body().clone())
            .with_status_code(response.status().as_u16());
        for (k, v) in response.headers() {
            if let Ok(h) = tiny_http::Header::from_bytes(k.as_str().as_bytes(), v.as_bytes()) {
                out.add_header(h);
            }
        }
        let _ = request.respond(out);
    }
    Ok(())
}

fn refresh_loop(session: &Session, state: &ImdsServer) {
    let mut failures = 0u32;
    loop {
        let Some(wait) = next_attempt(state.expiry(), failures, SystemTime::now()) else {
            return; // credentials that never expire
        };
        std::thread::sleep(wait);
        match session.credentials() {
            Ok(c) => {
                state.set_credentials(c, SystemTime::now());
                failures = 0;
            }
            Err(e) => {
                // Keep serving what is still valid.
                failures += 1;
                eprintln!("rolesanywhere: refresh failed (keeping the current credentials): {e}");
            }
        }
    }
}
