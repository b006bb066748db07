// The server's view of time, shared by the pages that say "online" and "12 s ago".
import type { ClientList } from "../types";

/**
 * The server's clock and its online rule: `now()` is our clock plus the skew measured at the last client list
 * (so "12 s ago" is right on a machine whose clock is off), `timeout` the seconds a client stays online.
 */
export class ServerClock {
  timeout = 60;
  skew = 0;

  now(): number {
    return Date.now() / 1000 + this.skew;
  }

  /** Take the timeout and the skew from a client list reply. */
  sync(list: Pick<ClientList, "now" | "online_timeout_seconds">): void {
    this.timeout = list.online_timeout_seconds;
    this.skew = list.now - Date.now() / 1000;
  }
}
