// The /ws/live connection: reconnects with backoff, re-sends the subscription, hands frames to one handler.
import type { LiveFrame } from "./types";
import { unpack } from "./shape";

export type LiveState = "connecting" | "open" | "closed";

export class LiveFeed {
  private ws: WebSocket | null = null;
  private subscription: string[] | null = null;
  private retry = 0;
  private timer: number | undefined;
  private stopped = true;
  private stateListeners = new Set<(s: LiveState) => void>();
  private frameListeners = new Set<(f: LiveFrame) => void>();
  state: LiveState = "closed";

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close();
    this.ws = null;
    this.setState("closed");
  }

  /** Narrow the feed to some clients (a detail page watches them) or null for every client. */
  subscribe(clients: string[] | null): void {
    this.subscription = clients;
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ subscribe: clients }));
  }

  onFrame(fn: (f: LiveFrame) => void): () => void {
    this.frameListeners.add(fn);
    return () => this.frameListeners.delete(fn);
  }

  onState(fn: (s: LiveState) => void): () => void {
    this.stateListeners.add(fn);
    fn(this.state);
    return () => this.stateListeners.delete(fn);
  }

  private setState(s: LiveState): void {
    this.state = s;
    this.stateListeners.forEach((fn) => fn(s));
  }

  private connect(): void {
    this.setState("connecting");
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/live`);
    this.ws = ws;
    ws.onopen = () => {
      this.retry = 0;
      this.setState("open");
      if (this.subscription) ws.send(JSON.stringify({ subscribe: this.subscription }));
    };
    ws.onmessage = (ev) => {
      let frame: LiveFrame;
      try {
        frame = JSON.parse(String(ev.data)) as LiveFrame;
      } catch {
        return;
      }
      for (const f of unpack(frame)) this.frameListeners.forEach((fn) => fn(f));
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.setState("closed");
      if (this.stopped) return;
      // Backoff with jitter: 1, 2, 4, 8, then every ~10 s; a dropped slow viewer reconnects and catches up.
      const delay = Math.min(10_000, 1000 * 2 ** this.retry++) * (0.75 + Math.random() * 0.5);
      this.timer = window.setTimeout(() => this.connect(), delay);
    };
  }
}

export const live = new LiveFeed();
