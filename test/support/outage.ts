import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * A switchable outage for one client: while `down`, every request fails as a refused
 * connection would, before it leaves the client (an emulator cannot be made to do this on cue).
 */
export function outage(client: DynamoDBDocumentClient): { down: boolean; refused: number } {
  const state = { down: false, refused: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      if (state.down) {
        state.refused++;
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1 (outage injected)'), { code: 'ECONNREFUSED' });
      }
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: `txonceTestOutage${Math.random()}` },
  );
  return state;
}
