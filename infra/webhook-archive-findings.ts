import { type CfnResource, Stack } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { acknowledge } from './nag-acknowledgements.js';

/** What of a WebhookArchive its acknowledgements name (a shape, so this file need not import the construct). */
export interface ArchiveFindingsScope extends IConstruct {
  bucket: Bucket;
}

/** The cdk-nag findings of WebhookArchive that the design accepts, each with its reason. */
export function acknowledgeArchiveFindings(archive: ArchiveFindingsScope): void {
  acknowledge(
    archive.bucket,
    'AwsSolutions-S1',
    'Server access logs would record every archive write (one per accepted webhook) in a second bucket, doubling the requests; ' +
      'the ingest logs each accepted webhook with its key, and CloudTrail data events can be turned on for the bucket when an audit needs them.',
  );
}

/** The writer's one wildcard: the objects of this bucket, whose names (source, time, key digest) exist only at run time. */
export function acknowledgeArchiveWriter(archive: ArchiveFindingsScope, writer: IGrantable): void {
  const bucketId = Stack.of(archive).getLogicalId(archive.bucket.node.defaultChild as CfnResource);
  const role = writer.grantPrincipal as unknown as IConstruct;
  acknowledge(
    role,
    `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`,
    "s3:PutObject on the archive bucket's objects only: each accepted webhook is a new object named at run time by source, time and key digest.",
  );
}
