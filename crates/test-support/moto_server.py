"""Runs moto's server on 127.0.0.1:PORT until stdin closes (the test
process exited), printing "ready" once it listens.

moto verifies SigV4 and enforces IAM policies once INITIAL_NO_AUTH_ACTION_COUNT
unauthenticated actions (the tests' setup) have been used.
"""
import logging
import sys

logging.getLogger("werkzeug").setLevel(logging.ERROR)

try:
    from moto.server import ThreadedMotoServer
except ImportError as e:  # the test fails on this, it does not skip
    print(f"moto[server] is not installed: {e}", file=sys.stderr, flush=True)
    sys.exit(3)

# Real STS accepts AssumeRoleWithWebIdentity unsigned (the token is the
# proof); moto checks a signature on every action once enforcement is on,
# so let that one action through, as STS does.
from moto.core.authorization import ActionAuthenticatorMixin

_check = ActionAuthenticatorMixin._authenticate_and_authorize_action


def _sts_like(self, iam_request_cls, resource="*"):
    if self._get_action() == "AssumeRoleWithWebIdentity":
        return None
    return _check(self, iam_request_cls, resource)


ActionAuthenticatorMixin._authenticate_and_authorize_action = _sts_like

port = int(sys.argv[1])
server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
server.start()
print("ready", flush=True)
sys.stdin.read()
server.stop()
