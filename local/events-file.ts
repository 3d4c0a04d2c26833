/** Where a running `txonce local` appends what each consumer invocation did, beside its state file. */
export function eventsFilePath(stateFile: string): string {
  return `${stateFile.replace(/\.json$/, '')}.events.ndjson`;
}
