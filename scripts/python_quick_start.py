"""The README's Python quick start, run against the in-process emulator (ims.testing.Emulator).

    python scripts/python_quick_start.py        # with ims-fullimage installed (import ims)

The lines from `job_id = ...` on are the README's snippet as it stands ("Python quick start");
only the client is made for the emulator instead of `ims.Client(region="cn-north-4", ak="...",
sk="...")`. scripts/dist-check.sh runs this from the installed wheel and from the sdist, and
checks that every other line of the README's snippet is here.
"""

import ims
from ims.testing import Emulator

with Emulator(job_seconds=0) as emu:
    client = emu.client()                 # the emulator's URL, AK/SK and project id
    job_id = client.create_whole_image(
        name="nightly",
        instance_id="877a2cda-ba63-4e1e-b95f-e67e48b6129a",
        vault_id="de9fcf45-11b2-432c-8562-5c5428574600",
        tags={"team": "infra"},
    )
    try:
        job = client.wait_job(job_id, on_progress=lambda j: print(j.status, j.process_percent))
        print("image", job.image_id)
    except ims.ValidationError as e:      # nothing sent; e.errors = [(field, rule, message), ...]
        raise
    except ims.ApiError as e:             # e.status, e.code ("IMG.0029"), e.message, e.request_id
        raise
    except ims.JobFailedError as e:       # e.job.error_code, e.job.fail_reason
        raise

print("ims", ims.__version__, "from", ims.__file__)
