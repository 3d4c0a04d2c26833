import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const RUNTIME_DIR = join(dirname(fileURLToPath(import.meta.url)), 'runtime');
/** Where the runtime's `@aws-sdk/*` comes from: this repository, as Lambda's runtime provides the SDK. */
const SDK_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface LocalFunctionSpec {
  /** the template's logical id, for messages */
  logicalId: string;
  functionName: string;
  functionArn: string;
  /** the folder holding the bundle (the asset) */
  bundleDir: string;
  /** as Lambda names it: "index.handler" */
  handler: string;
  timeoutSeconds: number;
  memoryMb: number;
  /** the function's environment, references resolved, plus the endpoints of the local emulators */
  environment: Record<string, string>;
  /** the Node.js binary its environments run on (the template's runtime); default this process's */
  execPath?: string;
}

/** An invocation Lambda would report as a function error: thrown, timed out, crashed, or failed to initialise. */
export class FunctionError extends Error {
  constructor(
    readonly functionName: string,
    readonly kind: 'handler' | 'timeout' | 'crash' | 'init',
    message: string,
    readonly errorName = 'Error',
  ) {
    super(message);
    this.name = 'FunctionError';
  }
}

export interface RuntimeNotice {
  function: string;
  /** a JSON log line of the function (Powertools, console), or its plain text */
  line?: Record<string, unknown> | string;
  /** an environment was started, or ended by a timeout, a crash or an init error */
  environment?: 'started' | 'timed out' | 'crashed' | 'init failed';
  detail?: string;
}

interface Environment {
  child: ChildProcess;
  ready: Promise<void>;
  busy: boolean;
}

/**
 * A function's execution environments: each is a Node process of its own that loads the bundle
 * once and runs one invocation at a time. A timeout kills the process (Lambda ends the
 * environment too), a crash or a module error ends it; the next invocation starts a new one,
 * with a new cold start. At most `maxEnvironments` run at once; further invocations wait.
 */
export class LocalFunction {
  private readonly idle: Environment[] = [];
  private readonly all = new Set<Environment>();
  private readonly waiting: ((environment: Environment) => void)[] = [];
  private stopped = false;

  constructor(
    readonly spec: LocalFunctionSpec,
    private readonly options: { maxEnvironments: number; onNotice?: (notice: RuntimeNotice) => void },
  ) {}

  /** Invokes the function as Lambda does (RequestResponse); rejects with a FunctionError on a function error. */
  async invoke(event: unknown): Promise<unknown> {
    if (this.stopped) throw new FunctionError(this.spec.functionName, 'crash', 'the local stack is stopping');
    const environment = await this.acquire();
    try {
      await environment.ready;
    } catch (error) {
      this.discard(environment);
      throw error;
    }
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    const id = randomUUID();
    const deadline = Date.now() + timeoutMs;
    try {
      return await new Promise<unknown>((resolve, reject) => {
        const { child } = environment;
        const timer = setTimeout(() => {
          cleanup();
          this.notice({ environment: 'timed out', detail: `after ${this.spec.timeoutSeconds} s` });
          this.discard(environment);
          reject(
            new FunctionError(
              this.spec.functionName,
              'timeout',
              `Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds`,
            ),
          );
        }, timeoutMs);
        const onMessage = (message: { type: string; id?: string; result?: unknown; error?: SerializedError }) => {
          if (message.type === 'result' && message.id === id) {
            cleanup();
            resolve(message.result ?? undefined);
          } else if (message.type === 'error' && message.id === id) {
            cleanup();
            reject(this.error('handler', message.error));
          } else if (message.type === 'crash') {
            cleanup();
            this.discard(environment); // it is exiting: never hand it another invocation
            this.notice({ environment: 'crashed', detail: message.error?.message });
            reject(this.error('crash', message.error, 'Runtime exited with error: '));
          }
        };
        const onExit = (code: number | null, signal: string | null) => {
          // the child's last message (why it crashed) may still be on its way: let it arrive first
          setTimeout(() => {
            cleanup();
            this.discard(environment);
            this.notice({ environment: 'crashed', detail: `exit ${signal ?? code}` });
            reject(
              new FunctionError(
                this.spec.functionName,
                'crash',
                `Runtime exited with error: ${signal ? `signal ${signal}` : `exit status ${code}`}`,
              ),
            );
          }, 50);
        };
        const cleanup = () => {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
        };
        child.on('message', onMessage);
        child.once('exit', onExit);
        child.send({
          type: 'invoke',
          id,
          event,
          deadline,
          requestId: randomUUID(),
          functionArn: this.spec.functionArn,
        });
      });
    } finally {
      this.release(environment);
    }
  }

  /** Process ids of the running environments. */
  pids(): number[] {
    return [...this.all].flatMap((environment) => (environment.child.pid ? [environment.child.pid] : []));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(
      [...this.all].map(
        (environment) =>
          new Promise<void>((resolve) => {
            const { child } = environment;
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
  }

  private async acquire(): Promise<Environment> {
    const idle = this.idle.pop();
    if (idle) {
      idle.busy = true;
      return idle;
    }
    if (this.all.size < this.options.maxEnvironments) {
      const environment = this.start();
      environment.busy = true;
      return environment;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(environment: Environment): void {
    environment.busy = false;
    if (!this.all.has(environment)) {
      // it died: a waiting invocation gets a new environment
      const next = this.waiting.shift();
      if (next && !this.stopped) {
        const fresh = this.start();
        fresh.busy = true;
        next(fresh);
      }
      return;
    }
    const next = this.waiting.shift();
    if (next) {
      environment.busy = true;
      next(environment);
    } else this.idle.push(environment);
  }

  private discard(environment: Environment): void {
    this.all.delete(environment);
    const index = this.idle.indexOf(environment);
    if (index >= 0) this.idle.splice(index, 1);
    if (environment.child.exitCode === null && environment.child.signalCode === null) environment.child.kill('SIGKILL');
  }

  private start(): Environment {
    const child = fork(join(RUNTIME_DIR, 'function-runtime.mjs'), [], {
      execPath: this.spec.execPath ?? process.execPath,
      // Lambda's environment: only what the template sets, the runtime's own variables, and the local endpoints
      env: {
        PATH: process.env.PATH,
        ...this.spec.environment,
        AWS_LAMBDA_FUNCTION_NAME: this.spec.functionName,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(this.spec.memoryMb),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs_local',
        LAMBDA_TASK_ROOT: this.spec.bundleDir,
        TXONCE_BUNDLE_DIR: this.spec.bundleDir,
        TXONCE_HANDLER: this.spec.handler,
        TXONCE_MEMORY_MB: String(this.spec.memoryMb),
        TXONCE_SDK_ROOT: SDK_ROOT,
      },
      // the function's memory setting caps its heap, as Lambda's does (roughly)
      execArgv: [
        `--max-old-space-size=${Math.max(64, Math.floor(this.spec.memoryMb * 0.9))}`,
        '--import',
        join(RUNTIME_DIR, 'register.mjs'),
      ],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      cwd: this.spec.bundleDir,
    });
    // a message to an environment that just died: the invocation's exit handling says why
    child.on('error', () => undefined);
    const environment: Environment = { child, busy: false, ready: Promise.resolve() };
    this.all.add(environment);
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (text) => this.notice({ line: parseLine(text) }));
    }
    environment.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: { type: string; error?: SerializedError }) => {
        if (message.type === 'ready') {
          done();
          resolve();
        } else if (message.type === 'init-error') {
          done();
          this.notice({ environment: 'init failed', detail: `${message.error?.name}: ${message.error?.message}` });
          reject(this.error('init', message.error));
        }
      };
      const onExit = (code: number | null, signal: string | null) => {
        done();
        reject(new FunctionError(this.spec.functionName, 'init', `Runtime exited during init: ${signal ?? code}`));
      };
      const done = () => {
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
    environment.ready.catch(() => undefined);
    child.once('exit', () => {
      this.all.delete(environment);
      const index = this.idle.indexOf(environment);
      if (index >= 0) this.idle.splice(index, 1);
    });
    this.notice({ environment: 'started', detail: `pid ${child.pid}` });
    return environment;
  }

  private error(kind: FunctionError['kind'], error: SerializedError | undefined, prefix = ''): FunctionError {
    return new FunctionError(
      this.spec.functionName,
      kind,
      `${prefix}${error?.message ?? 'unknown error'}`,
      error?.name ?? 'Error',
    );
  }

  private notice(notice: Omit<RuntimeNotice, 'function'>): void {
    this.options.onNotice?.({ function: this.spec.logicalId, ...notice });
  }
}

interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

function parseLine(text: string): Record<string, unknown> | string {
  if (!text.startsWith('{')) return text;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return text;
  }
}
