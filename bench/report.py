"""What every benchmark prints above its table: the machine, the date and the load."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime


def machine_line() -> str:
    from django.db import connection

    with open("/proc/meminfo") as meminfo:
        gib = int(meminfo.readline().split()[1]) / 1024 / 1024
    return (
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, {gib:.0f} GiB, "
        f"Python {platform.python_version()}, PostgreSQL {connection.pg_version // 10000}; "
        f"{datetime.now(UTC).date().isoformat()}; load average {os.getloadavg()[0]:.1f}."
    )
