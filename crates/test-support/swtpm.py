"""Runs a software TPM 2.0 (Debian's swtpm) for the tests until stdin closes.

  python3 swtpm.py STATE_DIR

swtpm serves TPM commands on a loopback TCP port (the TSS's swtpm TCTI:
data on PORT, control on PORT + 1). aws_signing_helper's TPM library
(go-tpm) opens only device nodes and Unix sockets, so a Unix socket
STATE_DIR/tpm.sock is forwarded byte for byte to the same data port.
Prints "PORT SOCKET" once the TPM answers, then waits; when the test
process exits (stdin closes), swtpm is stopped.
"""
import os
import socket
import subprocess
import sys
import threading
import time


def free_pair():
    """Two consecutive free loopback ports."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port >= 65535:
            continue
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise SystemExit("no two consecutive free ports")


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def forward(listener, port):
    while True:
        client, _ = listener.accept()
        try:
            upstream = socket.create_connection(("127.0.0.1", port))
        except OSError:
            client.close()
            continue
        threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()


def main():
    state = sys.argv[1]
    os.makedirs(state, exist_ok=True)
    port = free_pair()
    try:
        tpm = subprocess.Popen([
            "swtpm", "socket", "--tpm2",
            "--tpmstate", f"dir={state}",
            "--server", f"type=tcp,port={port},bindaddr=127.0.0.1",
            "--ctrl", f"type=tcp,port={port + 1},bindaddr=127.0.0.1",
            "--flags", "not-need-init,startup-clear",
        ])
    except FileNotFoundError:
        raise SystemExit("swtpm is not installed (apt-get install swtpm swtpm-tools)")
    for _ in range(500):
        if tpm.poll() is not None:
            raise SystemExit(f"swtpm exited with {tpm.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port + 1)).close()
            break
        except OSError:
            time.sleep(0.01)
    else:
        raise SystemExit("swtpm did not start listening")
    path = os.path.join(state, "tpm.sock")
    if os.path.exists(path):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen(8)
    threading.Thread(target=forward, args=(listener, port), daemon=True).start()
    print(f"{port} {path}", flush=True)
    sys.stdin.read()
    tpm.terminate()
    tpm.wait()


main()
