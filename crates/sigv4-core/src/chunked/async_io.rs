//! [`tokio::io::AsyncRead`] adapters (feature `tokio`): the encoder and
//! the verifying reader for async bodies, with the same constant memory as
//! their blocking twins.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::vec;
use std::vec::Vec;

use tokio::io::{AsyncRead, ReadBuf};

use super::io::{Feeder, Next, invalid};
use super::{ChunkSigner, ChunkedDecoder, StreamingSeed};

fn invalid_text(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

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
    signer: ChunkSigner<'k>,
    source: R,
    chunk: Vec<u8>,
    /// Bytes of the chunk being filled from the source.
    filling: usize,
    head: [u8; 512],
    head_len: usize,
    data_len: usize,
    pos: usize,
    /// True while the current unit is being read out.
    framed: bool,
    remaining: u64,
    finished: bool,
}

impl<'k, R: AsyncRead + Unpin> AsyncChunkedEncoder<'k, R> {
    /// Encodes `source`, which holds exactly `decoded_length` bytes, in
    /// chunks of `chunk_size` bytes (at least 1).
    pub fn new(signer: ChunkSigner<'k>, source: R, chunk_size: usize, decoded_length: u64) -> Self {
        Self {
            signer,
            source,
            chunk: vec![0; chunk_size.max(1)],
            filling: 0,
            head: [0; 512],
            head_len: 0,
            data_len: 0,
            pos: 0,
            framed: false,
            remaining: decoded_length,
            finished: false,
        }
    }

    fn unit_len(&self) -> usize {
        if self.data_len > 0 {
            self.head_len + self.data_len + 2
        } else {
            self.head_len
        }
    }

    /// Fills and frames the next chunk; `Ready(false)` at the end.
    fn poll_refill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        if self.finished {
            return Poll::Ready(Ok(false));
        }
        let want = usize::try_from(self.remaining)
            .unwrap_or(usize::MAX)
            .min(self.chunk.len());
        while self.filling < want {
            let mut buf = ReadBuf::new(&mut self.chunk[self.filling..want]);
            ready!(Pin::new(&mut self.source).poll_read(cx, &mut buf))?;
            let n = buf.filled().len();
            if n == 0 {
                return Poll::Ready(Err(invalid_text(
                    "the body is shorter than the declared decoded length",
                )));
            }
            self.filling += n;
        }
        if want == 0 {
            // The declared length is reached: the source must be at its end.
            let mut probe = [0u8; 1];
            let mut buf = ReadBuf::new(&mut probe);
            ready!(Pin::new(&mut self.source).poll_read(cx, &mut buf))?;
            if !buf.filled().is_empty() {
                return Poll::Ready(Err(invalid_text(
                    "the body is longer than the declared decoded length",
                )));
            }
            let text = self.signer.finish().map_err(invalid)?;
            self.head[..text.len()].copy_from_slice(text.as_bytes());
            self.head_len = text.len();
            self.data_len = 0;
            self.finished = true;
        } else {
            let n = self.filling;
            self.remaining -= n as u64;
            let text = self
                .signer
                .chunk_header(&self.chunk[..n])
                .map_err(invalid)?;
            self.head[..text.len()].copy_from_slice(text.as_bytes());
            self.head_len = text.len();
            self.data_len = n;
            self.filling = 0;
        }
        self.pos = 0;
        self.framed = true;
        Poll::Ready(Ok(true))
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for AsyncChunkedEncoder<'_, R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if out.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        if (!this.framed || this.pos >= this.unit_len()) && !ready!(this.poll_refill(cx))? {
            return Poll::Ready(Ok(()));
        }
        let (h, d) = (this.head_len, this.data_len);
        let part: &[u8] = if this.pos < h {
            &this.head[this.pos..h]
        } else if this.pos < h + d {
            &this.chunk[this.pos - h..d]
        } else {
            &b"\r\n"[this.pos - h - d..]
        };
        let n = part.len().min(out.remaining());
        out.put_slice(&part[..n]);
        this.pos += n;
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
