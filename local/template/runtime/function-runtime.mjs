// One Lambda execution environment: loads the function's bundle once (its module-level code is
// the cold start), then runs one invocation at a time as the parent asks over IPC. A module
// error, a crash or an unhandled rejection ends the process, as it ends a Lambda environment.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const { TXONCE_BUNDLE_DIR: bundleDir, TXONCE_HANDLER: handlerName, TXONCE_MEMORY_MB: memory } = process.env;
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME;

const send = (message) => process.send?.(message);
/** Tells the parent, then ends: the message is out before the exit, so the parent can say why. */
const sendAndExit = (message, code) => {
  if (!process.send) process.exit(code);
  process.send(message, () => process.exit(code));
};
const describe = (error) => ({
  name: error?.name ?? 'Error',
  message: error?.message ?? String(error),
  stack: error?.stack,
});

/** "index.handler": the file index.mjs / index.js / index.cjs in the bundle, its export `handler`. */
async function loadHandler() {
  const dot = handlerName.lastIndexOf('.');
  const [file, exported] = [handlerName.slice(0, dot), handlerName.slice(dot + 1)];
  const path = ['.mjs', '.js', '.cjs']
    .map((ext) => join(bundleDir, file + ext))
    .find((candidate) => existsSync(candidate));
  if (!path)
    throw Object.assign(new Error(`Cannot find module '${file}' in ${bundleDir}`), {
      name: 'Runtime.ImportModuleError',
    });
  const module = await import(pathToFileURL(path).href);
  const handler = module[exported] ?? module.default?.[exported];
  if (typeof handler !== 'function')
    throw Object.assign(new Error(`${handlerName} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
  return handler;
}

process.on('uncaughtException', (error) => sendAndExit({ type: 'crash', error: describe(error) }, 129));
process.on('unhandledRejection', (error) => sendAndExit({ type: 'crash', error: describe(error) }, 128));

// the local stack ended (even by SIGKILL): its environments end with it
process.on('disconnect', () => process.exit(0));

let handler;
try {
  handler = await loadHandler();
} catch (error) {
  sendAndExit({ type: 'init-error', error: describe(error) }, 1);
}

process.on('message', async (message) => {
  if (message?.type !== 'invoke') return;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: message.functionArn,
    memoryLimitInMB: memory,
    awsRequestId: message.requestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    // the configured timeout, counted from the invocation's start in the parent
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  try {
    const result = await handler(message.event, context);
    send({ type: 'result', id: message.id, result: result === undefined ? null : result });
  } catch (error) {
    send({ type: 'error', id: message.id, error: describe(error) });
  }
});
send({ type: 'ready' });
