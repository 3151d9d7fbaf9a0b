# Writes the seeds of the emulator_requests target (fuzz/corpus/emulator_requests/) in the byte
# form `arbitrary` 1.5 decodes into its structured input; only fixed-size fields are used.
# Usage: python3 fuzz/emulator_seeds.py fuzz/corpus/emulator_requests
# Check what a seed reaches: IMS_FUZZ_TRACE=1 fuzz/target/x86_64-unknown-linux-gnu/release/emulator_requests SEED
import struct, sys, os
def tag(k, n):
    t = (k * 2**32 + n - 1) // n
    assert (t * n) >> 32 == k
    return struct.pack('<I', t)
B = lambda b: bytes([1 if b else 0])
U8 = lambda v: bytes([v])
def text_known(i): return tag(0, 2) + U8(i)
GET, POST, PUT, DELETE = 0, 1, 2, 3
def path(k, extra=b''): return tag(k, 8) + extra
CREATE, JOB, LEGACY, LASTJOB, PROJECTS, MDTOKEN, SECKEY = 0, 1, 2, 3, 4, 5, 6
def id_good(first=True): return B(1) + tag(0, 2) + B(first)
NONE = B(0)
def create_body(ecs=True, name=0):
    b = text_known(name) + NONE  # name, description
    if ecs:
        b += NONE + id_good(True) + id_good(False)  # backup, instance, vault
    else:
        b += id_good(True) + NONE + NONE
    b += NONE + B(0) + B(0) + NONE + NONE + NONE + NONE  # type, image_tags, tags, min, max, epid, extra
    return tag(2, 3) + b
EMPTY_BODY = tag(0, 3)
def signed(alg=0, temporary=False, project=True, offset=0):
    return tag(1, 3) + U8(alg) + B(temporary) + B(project) + struct.pack('<h', offset)
def token(): return tag(2, 3) + text_known(0)
NO_AUTH = tag(0, 3)
def req(method, p, body, auth):
    return text_known(method) + p + NONE + B(0) + body + auth
def seq(instant, *reqs):
    out = B(instant)
    for r in reqs:
        out += B(1) + r
    return out + B(0)
seeds = {
  'create-ecs-then-both-job-paths': seq(True,
      req(POST, path(CREATE), create_body(True), signed(0)),
      req(GET, path(LASTJOB, B(0)), EMPTY_BODY, signed(1)),
      req(GET, path(LASTJOB, B(1)), EMPTY_BODY, signed(2))),
  'create-backup-twice': seq(False,
      req(POST, path(CREATE), create_body(False, 2), signed(1)),
      req(POST, path(CREATE), create_body(False, 2), signed(0))),
  'metadata-then-temporary-create': seq(True,
      req(PUT, path(MDTOKEN), EMPTY_BODY, NO_AUTH),
      req(GET, path(SECKEY), EMPTY_BODY, NO_AUTH),
      req(POST, path(CREATE), create_body(True), signed(2, temporary=True)),
      req(GET, path(LASTJOB, B(0)), EMPTY_BODY, signed(0, temporary=True))),
  'projects-v11': seq(False, req(GET, path(PROJECTS), EMPTY_BODY, signed(2))),
  'create-with-auth-token': seq(True,
      req(POST, path(CREATE), create_body(True, 0), token()),
      req(GET, path(LASTJOB, B(1)), EMPTY_BODY, token())),
  'refusals-unsigned-wrong-method-no-project': seq(False,
      req(POST, path(CREATE), create_body(True), NO_AUTH),
      req(GET, path(CREATE), EMPTY_BODY, signed(0)),
      req(POST, path(CREATE), create_body(True), signed(0, project=False)),
      req(POST, path(CREATE), EMPTY_BODY, signed(0))),
}
d = sys.argv[1]
for name, data in seeds.items():
    open(os.path.join(d, name + '.bin'), 'wb').write(data)
