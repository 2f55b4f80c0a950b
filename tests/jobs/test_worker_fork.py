"""The production worker forks a work horse per job: each horse talks to the database over its
own connection, never over the parent's (pymongo is not fork-safe)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from sop import PROJECT_ROOT

HORSE_RUN = textwrap.dedent("""
    import sys
    from sop import create_app
    from sop.extensions import redis_queues
    from sop.jobs.runner import AppWorker

    app = create_app({"SOP_ENV": "test", "MONGODB_URI": sys.argv[1], "REDIS_URL": sys.argv[2]})
    with app.app_context():
        queue = redis_queues.queue("default")
        jobs = [queue.enqueue("sop.jobs.maintenance.archive_audit_log") for _ in range(2)]
        worker = AppWorker([queue], connection=redis_queues.redis)
        worker.app = app
        worker.work(burst=True)
        print("|".join(str(job.return_value()) for job in jobs))
""")


def test_forked_work_horses_use_their_own_database_connection(app, services):
    done = subprocess.run([sys.executable, "-c", HORSE_RUN, services["mongo_uri"],
                           services["redis_url"]], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1].split("|") == ["archived 0 audit entries"] * 2
    assert "opened before fork" not in done.stderr
