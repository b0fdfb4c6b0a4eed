export { startSshHost, type SshHost, type SshHostOptions } from './ssh-host.js';
export { installPveshShim, PVESH_SHIM_SOURCE, type PveshShimOptions } from './pvesh-shim.js';
export { generateKeyPair } from './key-pair.js';
