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
  p95_max_error: number | null;
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
  | { type: "hello"; online_timeout_seconds: number; live_interval: number; report_interval: number }
  | { type: "samples"; client_id: string; hostname: string; samples: SampleView[] }
  | { type: "status"; client_id: string; hostname: string; online: boolean; last_seen: number | null }
  | { type: "removed"; client_id: string }
  | { type: "alerts"; firing: number; pending: number; clients: string[] }
  | { type: "subscribed"; clients: string[] | null }
  | { type: "error"; message: string }
  | { type: "batch"; frames: LiveFrame[] };
