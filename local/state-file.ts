/** Where a running `npm start` tells the demo and the CLI how to reach it (TXONCE_STATE_FILE overrides). */
export function stateFilePath(): string {
  return process.env.TXONCE_STATE_FILE ?? '.txonce/local.json';
}
