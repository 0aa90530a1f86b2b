/**
 * How other layers show things in the steering dashboard without depending on its server:
 * graphics publishes the latest frame of each plot, io its back-pressure figures, farm its
 * progress. Messages go over a process-wide BroadcastChannel, so a publisher may run on any
 * thread of rank 0 (the deck's main thread, a render worker) and the steering server's worker
 * thread receives them. With no server running, a published message is simply dropped.
 */
import { BroadcastChannel } from 'node:worker_threads';

/** The BroadcastChannel name plots are published on. */
export const PLOT_CHANNEL = 'simdeck:plots';
/** The BroadcastChannel name metric panels are published on. */
export const METRICS_CHANNEL = 'simdeck:metrics';

/** One rendered frame of a named plot. */
export interface PlotFrame {
  /** The plot's name, unique within a run ("T", "profile", ...). */
  name: string;
  step: number;
  time: number;
  /** The PNG file's bytes. */
  png: Uint8Array;
}

/** A panel of named figures (a table in the dashboard), replaced whole by each publish. */
export interface MetricsPanel {
  /** The panel's name ("output", "farm", ...). */
  panel: string;
  values: Record<string, number | string>;
}

let plots: BroadcastChannel | null = null;
let metrics: BroadcastChannel | null = null;

function open(name: string): BroadcastChannel {
  const c = new BroadcastChannel(name);
  (c as unknown as { unref?: () => void }).unref?.(); // never keeps a process alive
  return c;
}

/** Publishes a plot's latest frame to the dashboard. Non-blocking; never throws for lack of a server. */
export function publishPlot(frame: PlotFrame): void {
  (plots ??= open(PLOT_CHANNEL)).postMessage(frame);
}

/** Publishes a metrics panel to the dashboard. Non-blocking; never throws for lack of a server. */
export function publishMetrics(panel: MetricsPanel): void {
  (metrics ??= open(METRICS_CHANNEL)).postMessage(panel);
}
