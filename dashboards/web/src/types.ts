// The API's JSON, as the dashboard reads it (see api/routes/*.py). Times are unix seconds.

export interface DiskView {
  mount: string;
  used_bytes: number;
  total_bytes: number;
  inodes_used: number | null;
  inodes_total: number | null;
  used_percent: number | null;
  inodes_percent: number | null;
}

export interface GpuView {
  index: number;
  uuid: string | null;
  name: string | null;
  util_percent: number | null;
  mem_used_bytes: number | null;
  mem_total_bytes: number | null;
  mem_percent: number | null;
  temp_c: number | null;
  power_w: number | null;
  /** Processes holding the GPU's memory (agents since issue 15; absent before). */
  processes?: GpuProcessView[];
}

export interface GpuProcessView {
  pid: number;
  name?: string;
  mem_used_bytes?: number;
}

export interface ContainerView {
  id: string;
  name: string;
  image?: string;
  state?: string;
  cpu_percent?: number;
  mem_bytes?: number;
  mem_limit_bytes?: number;
  net_rx_bytes_per_s?: number;
  net_tx_bytes_per_s?: number;
  restart_count?: number;
}

export interface TempView {
  sensor: string;
  label: string;
  temp_c?: number;
}

export interface SampleView {
  ts: number;
  cpu_percent: number | null;
  ram_percent: number | null;
  disk_percent: number | null;
  inode_percent: number | null;
  docker_bytes: number | null;
  gpu_percent: number | null;
  disks: DiskView[];
  gpus: GpuView[];
  // issue 15: every one optional (older agents send none of them)
  load1?: number | null;
  load5?: number | null;
  load15?: number | null;
  load1_per_core?: number | null;
  swap_percent?: number | null;
  net_rx_bytes_per_s?: number | null;
  net_tx_bytes_per_s?: number | null;
  disk_read_bytes_per_s?: number | null;
  disk_write_bytes_per_s?: number | null;
  cpu_temp_c?: number | null;
  docker_images_bytes?: number | null;
  docker_containers_bytes?: number | null;
  docker_volumes_bytes?: number | null;
  docker_build_cache_bytes?: number | null;
  docker_reclaimable_bytes?: number | null;
  containers_running?: number | null;
  containers_restarting?: number | null;
  temps?: TempView[];
  containers?: ContainerView[];
  /** When the container list was taken, where it came from an earlier sample than `ts`. */
  containers_ts?: number;
}

export interface ClientView {
  id: string;
  hostname: string;
  created_at: number;
  agent_version: string | null;
  last_seen: number | null;
  online: boolean;
  latest: SampleView | null;
  dropped_total: number;
  /** Agent updates (GET /api/clients): the version the policy names and the agent's last attempt. */
  update?: UpdateView | null;
  /** Host labels (key -> value): the agent's, with an admin's value winning; and where each comes from. */
  labels?: Record<string, string>;
  label_sources?: Record<string, "agent" | "admin">;
}

export interface UpdateView {
  channel: string;
  target: string | null;
  last_attempt: { version: string; result: string; detail: string | null; at: number } | null;
}

export interface ClientList {
  clients: ClientView[];
  online_timeout_seconds: number;
  now: number;
}

export interface NewClient {
  client: ClientView;
  token: string;
  install_command: string;
}

export interface FieldStats {
  count: number;
  min: number | null;
  max: number | null;
  avg: number | null;
  p95: number | null;
}

export interface StatsResponse {
  client_id: string;
  from: number;
  to: number;
  range: string | null;
  exact: boolean;
  /** Per metric: absolute (percentage points) for percentages, relative for the others; null when exact. */
  p95_max_error: Record<string, number> | null;
  /** Seconds of the range each source covered: raw samples, 1-minute or 1-hour buckets. */
  sources?: Partial<Record<"raw" | "minute" | "hour", number>>;
  metrics: Record<string, FieldStats>;
}

export interface SeriesColumns {
  time: number[];
  values: Record<string, (number | null)[]>;
  max: Record<string, (number | null)[]> | null;
}

export interface MetricsResponse extends Partial<SeriesColumns> {
  client_id: string;
  family: string;
  from: number;
  to: number;
  step: number | null;
  /** Where the numbers come from: raw samples (or the database's buckets of them), or a history tier. */
  resolution?: "raw" | "minute" | "hour" | "day";
  series?: Record<string, SeriesColumns>;
}

export interface Threshold {
  threshold: number;
  duration_sec: number;
  direction: "above" | "below";
  enabled: boolean;
}

export interface SettingsView {
  slack_webhook_url: string | null;
  slack_webhook_url_set: boolean;
  webhook_url: string | null;
  webhook_url_set: boolean;
  thresholds: Record<string, Threshold>;
  online_timeout_seconds: number;
  retention_days: number;
  minute_retention_days: number;
  hour_retention_days: number;
  alert_repeat_hours: number;
  /** Settings this server does not act on (e.g. retention_days on InfluxDB): key -> why, and what to do instead. */
  unsupported: Record<string, string>;
}

export interface SessionView {
  authenticated: boolean;
  csrf_token?: string;
  expires_at?: number;
  password_set?: boolean;
}

// Frames of /ws/live (api/live/frames.py).
export type LiveFrame =
  | { type: "hello"; online_timeout_seconds: number; live_interval: number; report_interval: number;
      degraded?: boolean }
  | { type: "feed"; degraded: boolean }
  | { type: "samples"; client_id: string; hostname: string; samples: SampleView[] }
  | { type: "status"; client_id: string; hostname: string; online: boolean; last_seen: number | null }
  | { type: "removed"; client_id: string }
  | { type: "alerts"; firing: number; pending: number; clients: string[] }
  | { type: "subscribed"; clients: string[] | null }
  | { type: "error"; message: string }
  | { type: "batch"; frames: LiveFrame[] };
