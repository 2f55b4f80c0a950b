"""Deadline reminders end to end: 300 reps with unsubmitted work (two customers each, lines
with mandatory months blank), an open cycle due in two days; the scheduled reminder job runs
in ONE production worker (bench's AppWorker, a forked work horse per job, as `python
worker.py`), which then delivers every e-mail to a local SMTP sink. Measures the wall time
from queueing the job to the last message in the sink (target ≤ 30 s) and counts deliveries.
Usage: python bench/reminders.py [--reps N]"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from common import bench_app, bench_services, print_result, print_table

from sop.clock import local_now
from sop.dev.stack import SmtpSink, free_port

REPS = 300


def load_reps_with_unsubmitted_work(reps: int) -> None:
    """An open cycle closing the day after tomorrow (SCHEDULER_TIMEZONE) and `reps` reps, each
    with two customers: one with a complete line, one with two lines missing months."""
    from sop.models import Customer, Cycle, ForecastLine, Product, User
    from sop.settings import seed_settings

    seed_settings()
    today = local_now().date()
    cycle = Cycle(year=today.year, month=today.month, name=today.strftime("%b %Y"),
                  planning_start=today.replace(day=1), status="open", mandatory_months=12,
                  close_date=today + timedelta(days=2)).save()
    products = [Product(item_code=f"{110000 + n:06d}", description=f"Item {n}").save()
                for n in range(1, 4)]
    full, gaps = [10.0] * 16, [10.0, None, 10.0] + [None] * 13
    lines = []
    for n in range(1, reps + 1):
        rep = User(email=f"rep{n}@example.com", full_name=f"Rep {n:03d}", role="sales_rep",
                   password_hash="not-a-login").save()
        done = Customer(code=f"DONE-{n:04d}", name=f"Done {n}", sop_name=f"DONE {n}",
                        sales_rep=rep).save()
        late = Customer(code=f"LATE-{n:04d}", name=f"Late {n}", sop_name=f"LATE {n}",
                        sales_rep=rep).save()
        lines.append(ForecastLine(cycle=cycle, rep=rep, customer=done, product=products[0],
                                  qty=full, price=[None] * 16))
        lines += [ForecastLine(cycle=cycle, rep=rep, customer=late, product=product,
                               qty=gaps, price=[None] * 16) for product in products[1:]]
    ForecastLine.objects.insert(lines, load_bulk=False)


def reminder_benchmark(reps: int = REPS) -> dict[str, Any]:
    """Queue the reminder job, let one worker run it and deliver every e-mail; figures."""
    from sop.extensions import redis_queues
    from sop.jobs.runner import AppWorker

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # the sink's per-command log
    with bench_services() as services, tempfile.TemporaryDirectory() as mail_dir:
        sink = SmtpSink(Path(mail_dir), free_port()).start()
        try:
            app = bench_app(services)
            app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port,
                              BASE_URL="https://sop.example.com")
            with app.app_context():
                load_reps_with_unsubmitted_work(reps)
                queues = [redis_queues.queue("default"), redis_queues.queue("mail")]
                started = time.perf_counter()
                job = queues[0].enqueue("sop.jobs.reminders.deadline_reminders")
                worker = AppWorker(queues, connection=redis_queues.redis)
                worker.app = app
                worker.work(burst=True, logging_level="WARNING")
                seconds = time.perf_counter() - started
                job.refresh()
                summary = job.return_value()
                queueing = (job.ended_at - job.started_at).total_seconds()
            delivered = len(list(Path(mail_dir).glob("*.eml")))
        finally:
            sink.stop()
    return {"reminders_reps": reps, "reminders_job": summary,
            "reminders_delivered": delivered, "reminders_wall_s": round(seconds, 2),
            "reminders_job_s": round(queueing, 2),
            "reminders_per_s": round(delivered / seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=REPS)
    figures = reminder_benchmark(parser.parse_args().reps)
    print_table([("reminder job", figures["reminders_job"]),
                 ("reminder job (decide, render, queue)", f"{figures['reminders_job_s']} s"),
                 ("e-mails delivered", str(figures["reminders_delivered"])),
                 ("wall time, queued to delivered", f"{figures['reminders_wall_s']} s "
                                                    "(target ≤ 30 s)")])
    print_result(figures)


if __name__ == "__main__":
    main()
