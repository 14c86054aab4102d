import { isObject, str } from './read-bounded.js';

/** Host paths whose bind mount gives a container a way onto the host. */
const SENSITIVE = [
  '/', '/etc', '/root', '/home', '/proc', '/sys', '/dev', '/boot', '/var/run/docker.sock', '/run/docker.sock',
  '/var/run', '/run', '/var/lib/docker', '/var/log', '/usr', '/bin', '/sbin', '/lib', '/run/containerd',
];

function sensitive(source: string): boolean {
  const s = source.replace(/\/+$/, '') || '/';
  return SENSITIVE.some((p) => s === p || (p !== '/' && s.startsWith(p + '/')));
}

/** Phrases for the hostconfig settings that weaken isolation; shown in messages as `RISK: ...`. */
export function hostConfigRisks(h: Record<string, unknown>): string[] {
  const risks: string[] = [];
  if (h.Privileged === true) risks.push('privileged');
  if (Array.isArray(h.CapAdd) && h.CapAdd.length) risks.push(`cap-add ${h.CapAdd.map(String).join(',')}`);
  for (const opt of Array.isArray(h.SecurityOpt) ? h.SecurityOpt.map(String) : []) {
    if (/unconfined|label[=:]disable|no-new-privileges[=:]false/i.test(opt)) risks.push(`security-opt ${opt}`);
  }
  for (const [key, name] of [['PidMode', 'pid'], ['NetworkMode', 'network'], ['IpcMode', 'ipc'], ['UTSMode', 'uts'], ['UsernsMode', 'userns'], ['CgroupnsMode', 'cgroupns']] as const) {
    if (str(h[key]) === 'host' && !(key === 'CgroupnsMode')) risks.push(`${name}=host`);
  }
  for (const b of Array.isArray(h.Binds) ? h.Binds.map(String) : []) {
    const source = b.split(':')[0] ?? '';
    if (source.startsWith('/') && sensitive(source)) risks.push(`bind ${b}`);
  }
  for (const m of Array.isArray(h.Mounts) ? h.Mounts.filter(isObject) : []) {
    const source = str(m.Source) ?? '';
    if (str(m.Type) === 'bind' && sensitive(source)) risks.push(`mount ${source}:${str(m.Target) ?? ''}`);
  }
  if (Array.isArray(h.Devices) && h.Devices.length) risks.push(`devices ${h.Devices.length}`);
  return risks;
}
