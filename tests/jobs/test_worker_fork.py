"""The production worker forks a work horse per job (e-mail excepted): each horse talks to the
database over its own connection, never over the parent's (pymongo is not fork-safe)."""

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


MAIL_RUN = textwrap.dedent("""
    import os
    import sys
    from sop import create_app
    from sop.extensions import redis_queues
    from sop.jobs.runner import AppWorker
    from sop.mail import send_email

    app = create_app({"SOP_ENV": "test", "MONGODB_URI": sys.argv[1], "REDIS_URL": sys.argv[2],
                      "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": int(sys.argv[3])})
    with app.app_context():
        mail, default = redis_queues.queue("mail"), redis_queues.queue("default")
        [message] = send_email("password_reset", to=["kim@example.com"], subject="Reset",
                               context={"user_name": "Kim", "token": "t"}, event_key="k:1")
        jobs = [mail.enqueue("os.getpid"), default.enqueue("os.getpid")]
        worker = AppWorker([mail, default], connection=redis_queues.redis)
        worker.app = app
        worker.work(burst=True)
        print(message.return_value(), os.getpid(), *(job.return_value() for job in jobs))
""")


def test_the_production_worker_sends_mail_itself_and_forks_for_other_jobs(app, services,
                                                                         mailbox):
    done = subprocess.run([sys.executable, "-c", MAIL_RUN, services["mongo_uri"],
                           services["redis_url"], str(services["sink"].port)],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    *sent, worker_pid, mail_pid, other_pid = done.stdout.split()
    assert sent == ["sent", "to", "kim@example.com"]
    assert mail_pid == worker_pid != other_pid  # e-mail in the worker, the rest in a horse
    assert [m["To"] for m in mailbox.messages()] == ["kim@example.com"]
