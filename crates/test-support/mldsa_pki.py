#!/usr/bin/env python3
"""ML-DSA leaves for the Roles Anywhere tests, made with Python's
`cryptography` (ML-DSA from its bundled OpenSSL; the machine's OpenSSL 3.0
command cannot make them). In DIR, beside the openssl-made PKI:

* mldsa{44,65,87}.key      PKCS#8 with the 32-byte seed (RFC 9881's seed form)
* mldsa{44,65,87}.enc.pem  the same, encrypted (PBES2, AES-256-CBC) with PASSWORD
* mldsa{44,65,87}.pem      leaves issued by the RSA intermediate CA
* mldsa-ca.pem/.key        an ML-DSA-65 issuing CA under the root, and
  mldsa-ca-leaf.pem/.key   an ML-DSA-44 leaf it issued (a chain of ML-DSA signatures)
* mldsa-bad-*.der          keys to refuse: expanded-only, a truncated seed, an unknown OID

usage: mldsa_pki.py DIR PASSWORD
"""

import datetime
import hashlib
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import mldsa, padding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DIR, PASSWORD = sys.argv[1], sys.argv[2].encode()
now = datetime.datetime.now(datetime.timezone.utc)


def load(name):
    cert = x509.load_pem_x509_certificate(open(os.path.join(DIR, name + ".pem"), "rb").read())
    key = serialization.load_pem_private_key(open(os.path.join(DIR, name + ".key"), "rb").read(), None)
    return cert, key


def write(name, data):
    with open(os.path.join(DIR, name), "wb") as f:
        f.write(data)


def issue(subject_cn, public_key, issuer_cert, issuer_key, ca=False):
    """A certificate, its TBSCertificate assembled here (cryptography's
    builder does not take ML-DSA keys yet) and signed by the issuer."""
    subject = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Corp"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "PKI" if ca else "Workloads"),
        x509.NameAttribute(NameOID.COMMON_NAME, subject_cn),
    ])
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    issuer_spki = issuer_key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    exts = [
        (bytes.fromhex("551d13"), True, x509.BasicConstraints(ca=ca, path_length=None).public_bytes()),
        (bytes.fromhex("551d0f"), True, (x509.KeyUsage(True, False, False, False, False, True, True, False, False) if ca
                                           else x509.KeyUsage(True, False, False, False, False, False, False, False, False)).public_bytes()),
        (bytes.fromhex("551d0e"), False, x509.SubjectKeyIdentifier(hashlib.sha1(bit_string(spki)).digest()).public_bytes()),
        (bytes.fromhex("551d23"), False, x509.AuthorityKeyIdentifier(hashlib.sha1(bit_string(issuer_spki)).digest(), None, None).public_bytes()),
    ]
    if not ca:
        exts.append((bytes.fromhex("551d25"), False, x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]).public_bytes()))
        exts.append((bytes.fromhex("551d11"), False, x509.SubjectAlternativeName([x509.DNSName(subject_cn + ".workloads.example.com")]).public_bytes()))
    ext_der = b"".join(
        tlv(0x30, tlv(0x06, oid) + (tlv(0x01, b"\xff") if critical else b"") + tlv(0x04, value))
        for oid, critical, value in exts
    )
    if isinstance(issuer_key, mldsa.MLDSA65PrivateKey):
        sig_alg = tlv(0x30, tlv(0x06, bytes.fromhex("608648016503040312")))  # id-ml-dsa-65, no parameters
    else:
        sig_alg = tlv(0x30, tlv(0x06, bytes.fromhex("2a864886f70d01010b")) + b"\x05\x00")  # sha256WithRSAEncryption
    serial = x509.random_serial_number()
    fmt = "%y%m%d%H%M%SZ"
    tbs = tlv(0x30,
        tlv(0xA0, tlv(0x02, b"\x02"))
        + tlv(0x02, serial.to_bytes((serial.bit_length() + 8) // 8, "big"))
        + sig_alg
        + issuer_cert.subject.public_bytes()
        + tlv(0x30, tlv(0x17, (now - datetime.timedelta(hours=1)).strftime(fmt).encode())
                    + tlv(0x17, (now + datetime.timedelta(days=2)).strftime(fmt).encode()))
        + subject.public_bytes()
        + spki
        + tlv(0xA3, tlv(0x30, ext_der)))
    if isinstance(issuer_key, mldsa.MLDSA65PrivateKey):
        signature = issuer_key.sign(tbs)
    else:
        signature = issuer_key.sign(tbs, padding.PKCS1v15(), hashes.SHA256())
    der = tlv(0x30, tbs + sig_alg + tlv(0x03, b"\x00" + signature))
    # cryptography reads it back (and the fake will): a well-formed certificate.
    return x509.load_der_x509_certificate(der)


def bit_string(spki_der):
    """The subjectPublicKey bits of a SubjectPublicKeyInfo (for key ids)."""
    from cryptography.hazmat.primitives.serialization import load_der_public_key  # noqa: F401
    # SEQUENCE { AlgorithmIdentifier, BIT STRING }: skip to the BIT STRING.
    def skip_header(b):
        n = b[1]
        if n < 0x80:
            return 2, n
        k = n & 0x7F
        return 2 + k, int.from_bytes(b[2:2 + k], "big")
    h, _ = skip_header(spki_der)
    body = spki_der[h:]
    h2, n2 = skip_header(body)
    rest = body[h2 + n2:]
    h3, n3 = skip_header(rest)
    return rest[h3 + 1:h3 + n3]


def der_len(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag, value):
    return bytes([tag]) + der_len(len(value)) + value


def pkcs8(oid_der, private_key):
    # PrivateKeyInfo ::= SEQUENCE { version 0, AlgorithmIdentifier, OCTET STRING }
    return tlv(0x30, tlv(0x02, b"\x00") + tlv(0x30, tlv(0x06, oid_der)) + tlv(0x04, private_key))


inter_cert, inter_key = load("intermediate")
root_cert, root_key = load("root")
pem = serialization.Encoding.PEM
for bits, cls in [("44", mldsa.MLDSA44PrivateKey), ("65", mldsa.MLDSA65PrivateKey), ("87", mldsa.MLDSA87PrivateKey)]:
    key = cls.generate()
    write(f"mldsa{bits}.key", key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    write(f"mldsa{bits}.enc.pem", key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(PASSWORD)))
    write(f"mldsa{bits}.pem", issue(f"mldsa{bits}", key.public_key(), inter_cert, inter_key).public_bytes(pem))

# An ML-DSA-65 CA under the root, and an ML-DSA-44 leaf it signs.
ca_key = mldsa.MLDSA65PrivateKey.generate()
ca = issue("Example ML-DSA Issuing CA", ca_key.public_key(), root_cert, root_key, ca=True)
write("mldsa-ca.pem", ca.public_bytes(pem))
write("mldsa-ca.key", ca_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
leaf_key = mldsa.MLDSA44PrivateKey.generate()
write("mldsa-ca-leaf.key", leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
write("mldsa-ca-leaf.pem", issue("mldsa-ca-leaf", leaf_key.public_key(), ca, ca_key).public_bytes(pem))

# Keys to refuse (their DER built here, per RFC 9881's private key forms).
oid65 = bytes.fromhex("608648016503040312")  # 2.16.840.1.101.3.4.3.18
unknown = bytes.fromhex("608648016503040314")  # 2.16.840.1.101.3.4.3.20
seed = os.urandom(32)
write("mldsa-bad-expanded.der", pkcs8(oid65, tlv(0x04, os.urandom(4032))))
write("mldsa-bad-truncated.der", pkcs8(oid65, tlv(0x80, seed[:31])))
write("mldsa-bad-oid.der", pkcs8(unknown, tlv(0x80, seed)))
print("ok")
