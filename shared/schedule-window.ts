/**
 * The flexible time window an instance's schedule fires in: its whole fetch interval, up to 15
 * minutes (EventBridge Scheduler's `FLEXIBLE` mode, "Configuring flexible time windows"). Scheduler
 * fires each invocation at a time of its choosing inside the window that opens at the scheduled time,
 * so schedules deployed together do not fire together. The deployed stack (cdk/instance-schedule.ts)
 * and the local scheduler (local/scheduler.ts) apply the same rule, so a local run shows the spread
 * the AWS plan counts on.
 */
export const MAX_FLEXIBLE_WINDOW_MS = 15 * 60_000;

export const flexibleWindowMs = (intervalMs: number): number => Math.min(intervalMs, MAX_FLEXIBLE_WINDOW_MS);
