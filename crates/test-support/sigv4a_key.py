"""The SigV4a public key of an access key pair, derived here on its own
(from the KDF as AWS's CRT documents it, not from the Rust code) and
printed as a PEM SubjectPublicKeyInfo. Usage: sigv4a_key.py AKID SECRET"""

import hashlib
import hmac
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

# The order of P-256 (FIPS 186-5 / SP 800-186).
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
LABEL = b"AWS4-ECDSA-P256-SHA256"


def derive(akid: str, secret: str) -> int:
    key = b"AWS4A" + secret.encode()
    for counter in range(1, 255):
        # NIST SP 800-108 counter mode: [i]_32 || Label || 0x00 || Context || [L]_32
        fixed = (
            (1).to_bytes(4, "big")
            + LABEL
            + b"\x00"
            + akid.encode()
            + bytes([counter])
            + (256).to_bytes(4, "big")
        )
        k0 = int.from_bytes(hmac.new(key, fixed, hashlib.sha256).digest(), "big")
        if k0 <= N - 2:
            return k0 + 1
    raise SystemExit("no key")


def main() -> None:
    akid, secret = sys.argv[1], sys.argv[2]
    private = ec.derive_private_key(derive(akid, secret), ec.SECP256R1())
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    sys.stdout.write(pem.decode())


if __name__ == "__main__":
    main()
