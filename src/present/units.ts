/**
 * Units for people, one way everywhere (CLI, TUI, web): sizes in binary units with IEC names
 * (KiB, MiB, GiB: what the kernel, Podman and the manifests' limits count in), one decimal below
 * 10, whole numbers above.
 */
export function bytes(n: number | null | undefined, unknown = 'unknown'): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return unknown;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/** Uptime for a dashboard: `3d 2h`, `1h 1m`, `5m`. */
export function duration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : `${m}m`;
}

/** A short age for a table column: `42s`, `12m`, `3h`; '-' when unknown. */
export function shortDuration(s: number | null): string {
  if (s === null) return '-';
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}
