/** Path patterns of the artifacts under a data root. */

export const HEX64 = /^[0-9a-f]{64}$/;

/** `containers/<id>/...` → the container id and the rest, else null. */
export function containerPath(rel: string): { id: string; rest: string } | null {
  if (!rel.startsWith('containers/')) return null;
  const slash = rel.indexOf('/', 11);
  const id = slash < 0 ? rel.slice(11) : rel.slice(11, slash);
  if (!HEX64.test(id)) return null;
  return { id, rest: slash < 0 ? '' : rel.slice(slash + 1) };
}

/**
 * Map a path the engine recorded (LogPath, HostnamePath: absolute, on the original host) onto the
 * evidence: the part after `<root>/containers/<id>/` is re-rooted on the data root being read.
 * Returns null when the recorded path is not inside a container directory.
 */
export function mapRecordedPath(recorded: string, containerId: string): string | null {
  const marker = `/containers/${containerId}/`;
  const i = recorded.lastIndexOf(marker);
  if (i < 0) return null;
  return `containers/${containerId}/${recorded.slice(i + marker.length)}`;
}

/** The original host's data root, as recorded in a container path (`/var/lib/docker`). */
export function recordedRoot(recorded: string, containerId: string): string | null {
  const i = recorded.lastIndexOf(`/containers/${containerId}/`);
  return i < 0 ? null : recorded.slice(0, i) || '/';
}
