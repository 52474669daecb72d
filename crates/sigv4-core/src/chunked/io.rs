//! [`std::io::Read`] adapters: an encoder that turns a body into the
//! aws-chunked wire form, and a reader that decodes and verifies one.

use std::io::{self, Read};
use std::vec;
use std::vec::Vec;

use super::{ChunkError, ChunkSigner, ChunkedDecoder, StreamingSeed};

pub(super) fn invalid(e: ChunkError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// Reads a body from `R` and yields its aws-chunked encoding, one chunk of
/// `chunk_size` at a time: memory stays at one chunk whatever the body's
/// length. The body must be exactly the `decoded_length` the request
/// declared (an [`io::ErrorKind::InvalidData`] error otherwise).
///
/// ```
/// use std::io::Read;
/// use sigv4_core::chunked::{ChecksumAlgorithm, ChunkSigner, ChunkedEncoder, StreamingMode};
/// use sigv4_core::{CredentialsRef, SigningParams};
/// let creds = CredentialsRef::new("AKIDEXAMPLE", "secret");
/// let params = SigningParams::new("us-east-1", "s3", "20130524T000000Z".parse()?);
/// let seed = "0".repeat(64); // the request's signature
/// let signer = ChunkSigner::hmac(&creds, &params, &seed,
///     StreamingMode::SignedWithTrailer, Some(ChecksumAlgorithm::Crc32))?;
/// let body = &b"hello world"[..];
/// let mut wire = Vec::new();
/// ChunkedEncoder::new(signer, body, 4, body.len() as u64).read_to_end(&mut wire)?;
/// assert!(wire.starts_with(b"4;chunk-signature="));
/// assert!(wire.ends_with(b"\r\n\r\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ChunkedEncoder<'k, R> {
    framer: Framer<'k>,
    source: R,
}

impl<'k, R: Read> ChunkedEncoder<'k, R> {
    /// Encodes `source`, which holds exactly `decoded_length` bytes, in
    /// chunks of `chunk_size` bytes (at least 1).
    pub fn new(signer: ChunkSigner<'k>, source: R, chunk_size: usize, decoded_length: u64) -> Self {
        Self {
            framer: Framer::new(signer, chunk_size, decoded_length),
            source,
        }
    }
}

impl<R: Read> Read for ChunkedEncoder<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let f = &mut self.framer;
        if out.is_empty() || !f.needs_frame() {
            return Ok(f.copy_out(out));
        }
        if f.finished() {
            return Ok(0);
        }
        while !f.unfilled().is_empty() {
            match self.source.read(f.unfilled()) {
                Ok(n) => f.filled(n)?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if f.at_declared_end() {
            let mut probe = [0u8; 1];
            f.probed(self.source.read(&mut probe)?)?;
        }
        f.frame()?;
        Ok(f.copy_out(out))
    }
}

/// The framing half both encoders share: the chunk being filled from the
/// source, its framing line, and how far the unit (line, data, CRLF) has
/// been read out.
#[derive(Debug)]
pub(super) struct Framer<'k> {
    signer: ChunkSigner<'k>,
    chunk: Vec<u8>,
    /// Bytes of the chunk filled from the source so far.
    filling: usize,
    /// The framing before the data (or the final text) and its length.
    head: [u8; 512],
    head_len: usize,
    /// Bytes of the framed chunk's data.
    data_len: usize,
    /// How far the framed unit has been read out.
    pos: usize,
    framed: bool,
    remaining: u64,
    finished: bool,
}

impl<'k> Framer<'k> {
    pub(super) fn new(signer: ChunkSigner<'k>, chunk_size: usize, decoded_length: u64) -> Self {
        Self {
            signer,
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

    /// The framed unit is read out: fill and frame the next one.
    pub(super) fn needs_frame(&self) -> bool {
        !self.framed || self.pos >= self.unit_len()
    }

    /// The end was framed (and read out, once `needs_frame`).
    pub(super) fn finished(&self) -> bool {
        self.finished
    }

    /// What is still to read from the source into the chunk (empty when
    /// the chunk is full, or the declared length was read).
    pub(super) fn unfilled(&mut self) -> &mut [u8] {
        let want = usize::try_from(self.remaining)
            .unwrap_or(usize::MAX)
            .min(self.chunk.len());
        &mut self.chunk[self.filling..want]
    }

    /// `n` bytes were read into [`unfilled`](Self::unfilled); 0 is a body
    /// shorter than declared.
    pub(super) fn filled(&mut self, n: usize) -> io::Result<()> {
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the body is shorter than the declared decoded length",
            ));
        }
        self.filling += n;
        Ok(())
    }

    /// The declared length is read and no chunk is pending: the source
    /// must be at its end (check with [`probed`](Self::probed)).
    pub(super) fn at_declared_end(&self) -> bool {
        self.filling == 0 && self.remaining == 0
    }

    /// A one-byte read after the declared end gave `n` bytes.
    pub(super) fn probed(&self, n: usize) -> io::Result<()> {
        if n == 0 {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the body is longer than the declared decoded length",
            ))
        }
    }

    /// Frames the filled chunk, or the end when the body is all read.
    pub(super) fn frame(&mut self) -> io::Result<()> {
        let n = self.filling;
        let text = if n > 0 {
            self.remaining -= n as u64;
            self.signer.chunk_header(&self.chunk[..n])
        } else {
            self.finished = true;
            self.signer.finish()
        }
        .map_err(invalid)?;
        self.head[..text.len()].copy_from_slice(text.as_bytes());
        self.head_len = text.len();
        self.data_len = n;
        self.filling = 0;
        self.pos = 0;
        self.framed = true;
        Ok(())
    }

    /// Copies the framed unit on from where it was left.
    pub(super) fn copy_out(&mut self, out: &mut [u8]) -> usize {
        let (h, d) = (self.head_len, self.data_len);
        let part: &[u8] = if self.pos < h {
            &self.head[self.pos..h]
        } else if self.pos < h + d {
            &self.chunk[self.pos - h..d]
        } else {
            b"\r\n".get(self.pos - h - d..).unwrap_or_default()
        };
        let n = part.len().min(out.len());
        out[..n].copy_from_slice(&part[..n]);
        self.pos += n;
        n
    }
}

/// The decoding half both verifying readers share: the decoder, an input
/// buffer, and released bytes not yet handed out.
#[derive(Debug)]
pub(super) struct Feeder {
    pub(super) decoder: ChunkedDecoder<Vec<u8>>,
    input: Vec<u8>,
    in_pos: usize,
    in_len: usize,
    out_pos: usize,
    out_len: usize,
    eof: bool,
}

/// What [`Feeder::next`] did.
pub(super) enum Next {
    /// Bytes were copied out (0 only at the end of the body).
    Copied(usize),
    /// The input is used up: read more into [`Feeder::input_slot`], then
    /// call [`Feeder::filled`].
    NeedInput,
}

impl Feeder {
    pub(super) fn new(seed: StreamingSeed, max_chunk: usize) -> Self {
        Self {
            decoder: ChunkedDecoder::new(seed, vec![0; max_chunk]),
            input: vec![0; 16 * 1024],
            in_pos: 0,
            in_len: 0,
            out_pos: 0,
            out_len: 0,
            eof: false,
        }
    }

    /// Copies released bytes into `out`, decoding buffered input as needed.
    pub(super) fn next(&mut self, out: &mut [u8]) -> io::Result<Next> {
        loop {
            if self.out_pos < self.out_len {
                let avail = &self.decoder.buf[self.out_pos..self.out_len];
                let n = avail.len().min(out.len());
                out[..n].copy_from_slice(&avail[..n]);
                self.out_pos += n;
                return Ok(Next::Copied(n));
            }
            if self.in_pos == self.in_len {
                if self.eof {
                    self.decoder.finish().map_err(invalid)?;
                    return Ok(Next::Copied(0));
                }
                return Ok(Next::NeedInput);
            }
            let step = self
                .decoder
                .decode(&self.input[self.in_pos..self.in_len])
                .map_err(invalid)?;
            self.in_pos += step.consumed;
            // Released bytes always start the decoder's buffer.
            self.out_pos = 0;
            self.out_len = step.released.len();
        }
    }

    /// Where the next input is read to.
    pub(super) fn input_slot(&mut self) -> &mut [u8] {
        &mut self.input
    }

    /// `n` bytes were read into the input slot (0: the end of the body).
    pub(super) fn filled(&mut self, n: usize) {
        self.in_pos = 0;
        self.in_len = n;
        self.eof = n == 0;
    }
}

/// Reads an aws-chunked body from `R` and yields the decoded body, each
/// chunk only after its signature (and, for the last, the trailer) checked
/// out. A refused body is an [`io::ErrorKind::InvalidData`] error whose
/// inner error is the [`ChunkError`]; a body that ends early is
/// [`ChunkError::Truncated`].
#[derive(Debug)]
pub struct VerifiedBody<R> {
    feeder: Feeder,
    source: R,
}

impl<R: Read> VerifiedBody<R> {
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

impl<R: Read> Read for VerifiedBody<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.feeder.next(out)? {
                Next::Copied(n) => return Ok(n),
                Next::NeedInput => {
                    let n = loop {
                        match self.source.read(self.feeder.input_slot()) {
                            Ok(n) => break n,
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(e) => return Err(e),
                        }
                    };
                    self.feeder.filled(n);
                }
            }
        }
    }
}
