//! [`tokio::io::AsyncRead`] adapters (feature `tokio`): the encoder and
//! the verifying reader for async bodies, with the same constant memory as
//! their blocking twins.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::vec::Vec;

use tokio::io::{AsyncRead, ReadBuf};

use super::io::{Feeder, Framer, Next};
use super::{ChunkSigner, ChunkedDecoder, StreamingSeed};

/// [`ChunkedEncoder`](super::ChunkedEncoder) for an async body: reads `R`
/// and yields the aws-chunked encoding, one chunk in memory.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// use tokio::io::AsyncReadExt;
/// use sigv4_core::chunked::{AsyncChunkedEncoder, ChunkSigner, StreamingMode};
/// use sigv4_core::{CredentialsRef, SigningParams};
/// let creds = CredentialsRef::new("AKIDEXAMPLE", "secret");
/// let params = SigningParams::new("us-east-1", "s3", "20240101T000000Z".parse()?);
/// let signer = ChunkSigner::hmac(&creds, &params, &"0".repeat(64), StreamingMode::Signed, None)?;
/// let body = &b"hello"[..]; // any AsyncRead: a file, a socket, a body stream
/// let mut wire = Vec::new();
/// AsyncChunkedEncoder::new(signer, body, 2, 5).read_to_end(&mut wire).await?;
/// assert!(wire.starts_with(b"2;chunk-signature="));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct AsyncChunkedEncoder<'k, R> {
    framer: Framer<'k>,
    source: R,
}

impl<'k, R: AsyncRead + Unpin> AsyncChunkedEncoder<'k, R> {
    /// Encodes `source`, which holds exactly `decoded_length` bytes, in
    /// chunks of `chunk_size` bytes (at least 1).
    pub fn new(signer: ChunkSigner<'k>, source: R, chunk_size: usize, decoded_length: u64) -> Self {
        Self {
            framer: Framer::new(signer, chunk_size, decoded_length),
            source,
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for AsyncChunkedEncoder<'_, R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let f = &mut this.framer;
        if out.remaining() > 0 && f.needs_frame() {
            if f.finished() {
                return Poll::Ready(Ok(()));
            }
            // A partly filled chunk survives a pending read.
            while !f.unfilled().is_empty() {
                let mut buf = ReadBuf::new(f.unfilled());
                ready!(Pin::new(&mut this.source).poll_read(cx, &mut buf))?;
                let n = buf.filled().len();
                f.filled(n)?;
            }
            if f.at_declared_end() {
                let mut probe = [0u8; 1];
                let mut buf = ReadBuf::new(&mut probe);
                ready!(Pin::new(&mut this.source).poll_read(cx, &mut buf))?;
                f.probed(buf.filled().len())?;
            }
            f.frame()?;
        }
        let n = f.copy_out(out.initialize_unfilled());
        out.advance(n);
        Poll::Ready(Ok(()))
    }
}

/// [`VerifiedBody`](super::VerifiedBody) for an async body: yields the
/// decoded body, each chunk only once verified.
#[derive(Debug)]
pub struct AsyncVerifiedBody<R> {
    feeder: Feeder,
    source: R,
}

impl<R: AsyncRead + Unpin> AsyncVerifiedBody<R> {
    /// Decodes the body of the request `seed` came from, accepting chunks
    /// of at most `max_chunk` bytes.
    pub fn new(seed: StreamingSeed, source: R, max_chunk: usize) -> Self {
        Self {
            feeder: Feeder::new(seed, max_chunk),
            source,
        }
    }

    /// The decoder (its trailer, once the body was read to the end).
    pub fn decoder(&self) -> &ChunkedDecoder<Vec<u8>> {
        &self.feeder.decoder
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for AsyncVerifiedBody<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            match this.feeder.next(out.initialize_unfilled())? {
                Next::Copied(n) => {
                    out.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Next::NeedInput => {
                    let mut buf = ReadBuf::new(this.feeder.input_slot());
                    ready!(Pin::new(&mut this.source).poll_read(cx, &mut buf))?;
                    let n = buf.filled().len();
                    this.feeder.filled(n);
                }
            }
        }
    }
}
