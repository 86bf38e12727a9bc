import type { Admin } from '../client/admin/admin.js';
import { groupSummaries } from '../client/admin/admin-views.js';

/** One sample of the live figures the console pushes (Server-Sent Events `figures`). */
export interface FiguresSample {
  time: number;
  /** Messages stored and delivered per second over the last interval, all masters (system topics excluded). */
  tpsIn: number;
  tpsOut: number;
  /** Totals since midnight (msgPutTotalTodayNow, msgGetTotalTodayNow). */
  putToday: number;
  getToday: number;
  /** Commit-log bytes kept (max - min physical offset), all masters. */
  storeBytes: number;
  /** Each application group's lag and consume TPS; refreshed every LAG_EVERY samples (the calls are per group). */
  groups: { group: string; lag: number; consumeTps: number; clients: number }[];
}

const LAG_EVERY = 3;

/**
 * Samples the brokers' runtime counters through the Admin (the figures `rocketmq-ts cluster status` prints) while
 * someone listens, and turns them into rates: one timer however many pages are open, none when nobody is.
 */
export class LiveFigures {
  private readonly listeners = new Set<(sample: FiguresSample) => void>();
  private timer: NodeJS.Timeout | undefined;
  private sampling = false;
  private previous: { time: number; put: number; get: number } | undefined;
  private groups: FiguresSample['groups'] = [];
  private ticks = 0;

  constructor(
    private readonly admin: Admin,
    private readonly intervalMillis = 1000,
  ) {}

  /** Calls `listener` with each sample until the returned function is called. */
  subscribe(listener: (sample: FiguresSample) => void): () => void {
    this.listeners.add(listener);
    if (this.timer === undefined) {
      this.timer = setInterval(() => void this.tick(), this.intervalMillis);
      this.timer.unref();
      void this.tick();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.previous = undefined;
    this.ticks = 0;
  }

  /** One sample now (also what the first event of a new stream carries). */
  async sample(): Promise<FiguresSample> {
    const time = Date.now();
    let put = 0;
    let get = 0;
    let storeBytes = 0;
    for (const addr of this.admin.masters(await this.admin.clusterInfo())) {
      const runtime = await this.admin.brokerRuntimeInfo(addr);
      put += Number(runtime.get('msgPutTotalTodayNow') ?? 0);
      get += Number(runtime.get('msgGetTotalTodayNow') ?? 0);
      storeBytes += Number(runtime.get('commitLogMaxOffset') ?? 0) - Number(runtime.get('commitLogMinOffset') ?? 0);
    }
    if (this.ticks++ % LAG_EVERY === 0) {
      this.groups = (await groupSummaries(this.admin)).filter((g) => !g.system).map(({ group, lag, consumeTps, clients }) => ({ group, lag, consumeTps, clients }));
    }
    const before = this.previous;
    this.previous = { time, put, get };
    const seconds = before === undefined ? 0 : (time - before.time) / 1000;
    // The counters restart at midnight: a drop is no negative rate.
    const rate = (now: number, then: number | undefined): number => (then === undefined || seconds <= 0 || now < then ? 0 : Math.round(((now - then) / seconds) * 10) / 10);
    return { time, tpsIn: rate(put, before?.put), tpsOut: rate(get, before?.get), putToday: put, getToday: get, storeBytes, groups: this.groups };
  }

  private async tick(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const sample = await this.sample();
      for (const listener of this.listeners) listener(sample);
    } catch {
      // A broker that does not answer this second is tried again the next: the page keeps its last figures.
    } finally {
      this.sampling = false;
    }
  }
}
