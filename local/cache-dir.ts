import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where txonce local keeps what it builds or downloads once per machine: TXONCE_CACHE_DIR, else the XDG cache. */
export function txonceCacheDir(): string {
  if (process.env.TXONCE_CACHE_DIR) return process.env.TXONCE_CACHE_DIR;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'txonce');
}
