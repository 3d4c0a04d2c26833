/**
 * A promise the test settles when it chooses: `await latch.done` waits until `latch.open()`.
 * For a slow downstream call held open while Middy's early timeout answers, and for knowing
 * when the handler it abandoned has settled.
 */
export function latch(): { done: Promise<void>; open(): void } {
  let resolve: () => void = () => undefined;
  const done = new Promise<void>((settle) => {
    resolve = settle;
  });
  return { done, open: () => resolve() };
}
