import type { Extractor } from './extractor.js';
import type { FieldValue } from '../events/event.js';
import { containerPath } from './paths.js';
import { isObject, readBounded, str, tryParseJson } from './read-bounded.js';
import { hostConfigRisks } from './hostconfig.risks.js';

export interface HostConfigRecord {
  id: string;
  /** The settings an examiner looks at first, flattened for event fields. */
  fields: Record<string, FieldValue>;
  /** Human phrases for risky settings (`privileged`, `cap-add ALL`, `bind /etc:/hostetc:ro`). */
  risks: string[];
  evidence: string;
}

const list = (v: unknown): string | null => (Array.isArray(v) && v.length ? v.map(String).join(', ') : null);

/** `containers/<id>/hostconfig.json`: no times of its own; its settings ride on the container's events. */
export const hostConfig: Extractor<HostConfigRecord> = {
  name: 'hostconfig',
  artifact: 'container hostconfig',
  phase: 'context',
  needs: 'content',
  match(rel) {
    return containerPath(rel)?.rest === 'hostconfig.json';
  },
  async extract(ref, input, out) {
    if (!input) return;
    const raw = await readBounded(input);
    if (!raw) {
      out.warn({ kind: 'too-large', offset: 0, message: 'hostconfig larger than the 64 MiB read limit; not read' });
      return;
    }
    const parsed = tryParseJson(raw.toString('utf8'));
    if (!parsed.ok || !isObject(parsed.value)) {
      out.warn({ kind: 'bad-json', offset: 0, message: `not a JSON object (${parsed.ok ? 'wrong shape' : parsed.error})` });
      return;
    }
    const h = parsed.value;
    const rp = isObject(h.RestartPolicy) ? h.RestartPolicy : {};
    const lc = isObject(h.LogConfig) ? h.LogConfig : {};
    const lcConfig = isObject(lc.Config) ? lc.Config : {};
    const mounts = Array.isArray(h.Mounts)
      ? h.Mounts.filter(isObject).map((m) => `${str(m.Type) ?? '?'}:${str(m.Source) ?? ''}:${str(m.Target) ?? ''}${m.ReadOnly ? ':ro' : ''}`)
      : [];
    out.record({
      id: containerPath(ref.rel)!.id,
      fields: {
        privileged: h.Privileged === true,
        cap_add: list(h.CapAdd),
        cap_drop: list(h.CapDrop),
        binds: list(h.Binds),
        mounts: mounts.length ? mounts.join(', ') : null,
        pid_mode: str(h.PidMode) || null,
        ipc_mode: str(h.IpcMode) || null,
        uts_mode: str(h.UTSMode) || null,
        userns_mode: str(h.UsernsMode) || null,
        network_mode: str(h.NetworkMode) || null,
        security_opt: list(h.SecurityOpt),
        devices: Array.isArray(h.Devices) && h.Devices.length ? JSON.stringify(h.Devices) : null,
        readonly_rootfs: h.ReadonlyRootfs === true,
        restart_policy: str(rp.Name) ? `${str(rp.Name)}${typeof rp.MaximumRetryCount === 'number' && rp.MaximumRetryCount ? `:${rp.MaximumRetryCount}` : ''}` : null,
        auto_remove: h.AutoRemove === true,
        log_driver: str(lc.Type) || null,
        log_options: Object.keys(lcConfig).length ? Object.entries(lcConfig).map(([k, v]) => `${k}=${String(v)}`).join(', ') : null,
      },
      risks: hostConfigRisks(h),
      evidence: ref.entry.path,
    });
  },
  remember(r, ctx) {
    ctx.hostconfigs.set(r.id, r);
  },
  toEvents() {
    return [];
  },
};
