/**
 * Paths taken from the repository: mount points inside guests and Vault secret paths. One
 * copy of each check, used by validate and by the steps that use the value (inventory
 * rendering, kubeconfig publish and get).
 */

/**
 * Directories the system runs from: a data disk is never mounted on them nor inside them
 * (mounting over them hides what the guest boots and runs from).
 */
const SYSTEM_TREES = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/proc',
  '/run',
  '/sbin',
  '/sys',
  '/usr',
];
/**
 * Directories never mounted over themselves, though deeper paths are fine: `/var/lib/longhorn`
 * or `/mnt/data` are usual data-disk mount points, `/var` or `/home` would hide the system's.
 */
const SYSTEM_EXACT = [
  '/',
  '/home',
  '/media',
  '/mnt',
  '/opt',
  '/root',
  '/srv',
  '/tmp',
  '/var',
  '/var/cache',
  '/var/lib',
  '/var/log',
  '/var/tmp',
];

const MOUNT_CHARS = /^\/[A-Za-z0-9._/-]*$/;

/** Why `mount` cannot be a guest mount point (a phrase after the value), or undefined. */
export function mountPointProblem(mount: string): string | undefined {
  if (!MOUNT_CHARS.test(mount))
    return "must be an absolute path of letters, digits, '.', '_', '-' and '/'";
  const segments = mount.split('/').slice(1);
  const normal =
    mount === '/' ||
    (segments.every((s) => s !== '' && s !== '.' && s !== '..') && !mount.endsWith('/'));
  if (!normal) return "must be normalised (no '//', '.', '..' or trailing '/')";
  if (SYSTEM_EXACT.includes(mount))
    return 'is a system directory; mount data disks elsewhere, like /mnt/data';
  const sys = SYSTEM_TREES.find((d) => mount === d || mount.startsWith(`${d}/`));
  if (sys)
    return `is ${mount === sys ? '' : 'inside '}the system directory ${sys}; mount data disks elsewhere, like /mnt/data`;
  return undefined;
}

// One path segment of a Vault KV path: no '?', '#', '%', whitespace or control characters.
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.@+-]*$/;

/**
 * Why a Vault `mount`, `path` or `key` is not plain path segments (a phrase after the value),
 * or undefined. `path` and `mount` may have several `/`-separated segments, `key` one; no
 * segment may be `.`/`..` (so `../../sys/mounts` cannot leave the mount) and no `?`/`#`
 * (so `…?version=1#x` cannot change the request).
 */
export function vaultSegmentsProblem(
  value: string,
  kind: 'mount' | 'path' | 'key',
): string | undefined {
  // Leading and trailing '/' of a mount or path are dropped where it is used (locationOf).
  const plain = kind === 'key' ? value : value.replace(/^\/+|\/+$/g, '');
  const segments = kind === 'key' ? [plain] : plain.split('/');
  if (!plain || segments.some((s) => !SEGMENT.test(s) || /^\.+$/.test(s)))
    return kind === 'key'
      ? "must be one plain name (letters, digits, '_', '-', '.', '@', '+')"
      : "must be plain path segments separated by '/' (letters, digits, '_', '-', '.', '@', '+'; no '..', '?', '#', spaces or leading or doubled '/')";
  return undefined;
}
