"""The Retry of a SageMaker job state on ResourceLimitExceeded: long enough for the job holding the quota to end.

A trial refused for capacity (the account's instance quota is held by a sibling trial, or by another
execution's job) can start as soon as that job ends, and a job ends at the latest after its own
stopping condition: MaxRuntimeInSeconds, or MaxWaitTimeInSeconds for managed spot training. So the
retrier waits at least that long in all, polling every few minutes, before the state's Catch records
the trial Failed. What the Step Functions developer guide ("Handling errors in Step Functions
workflows", Retrier fields) says the fields do:

- IntervalSeconds: "An integer that represents the number of seconds before the first retry attempt
  (1 by default). IntervalSeconds has a maximum value of 99999999."
- BackoffRate: "The multiplier by which the retry interval increases during each attempt".
- MaxDelaySeconds: "A positive integer that sets the maximum value, in seconds, up to which a retry
  interval can increase. [...] The value you specify in this field limits the exponential wait times
  resulting from the backoff rate multiplier applied to each consecutive retry attempt. You must
  specify a value greater than 0 and less than 31622401".
- MaxAttempts: "A positive integer that represents the maximum number of retry attempts (3 by
  default). [...] MaxAttempts has a maximum value of 99999999."

No jitter (JitterStrategy NONE, the default): FULL jitter "calculates the delay to be a random number
between 0 and the computed backoff", which would make the total wait anything from 0 to the bound,
and the point here is a guaranteed one. Polling every 5 minutes is one request per waiting trial:
no herd to spread.

History: an attempt refused at creation adds 3 events (TaskScheduled, TaskStarted, TaskFailed), so
at the default spot bound (7,200 s: 26 attempts) a waiting trial adds about 80 events; 20 trials
all waiting stay far below the 25,000-event limit of a Standard execution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FIRST_INTERVAL_SECONDS = 60  # a slot rarely frees within a minute: jobs run for minutes
BACKOFF_RATE = 2.0
MAX_DELAY_SECONDS = 300  # then poll every 5 minutes until the bound


@dataclass(frozen=True)
class CapacityRetry:
    interval_seconds: int
    backoff_rate: float
    max_delay_seconds: int
    max_attempts: int

    @property
    def waits(self) -> list[float]:
        """The wait before each retry attempt: interval x rate^(n-1), capped at MaxDelaySeconds."""
        return [
            min(self.interval_seconds * self.backoff_rate**n, self.max_delay_seconds) for n in range(self.max_attempts)
        ]


def capacity_retry(job_bound_seconds: int) -> CapacityRetry:
    """The fewest attempts whose waits add up to at least `job_bound_seconds` (the job's own stopping bound)."""
    if job_bound_seconds < 1:
        raise ValueError(f"a job's bound must be at least 1 s, got {job_bound_seconds}")
    waited, attempts, delay = 0.0, 0, float(FIRST_INTERVAL_SECONDS)
    while waited < job_bound_seconds and delay < MAX_DELAY_SECONDS:
        waited += delay
        attempts += 1
        delay *= BACKOFF_RATE
    if waited < job_bound_seconds:
        attempts += math.ceil((job_bound_seconds - waited) / MAX_DELAY_SECONDS)
    return CapacityRetry(FIRST_INTERVAL_SECONDS, BACKOFF_RATE, MAX_DELAY_SECONDS, attempts)
