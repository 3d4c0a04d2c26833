import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeArchiveFindings, acknowledgeArchiveWriter } from './webhook-archive-findings.js';

/**
 * The webhook archive of a `WebhookPipeline`: how long accepted webhooks are kept.
 *
 * @example
 * ```ts
 * import { App, Duration, Stack } from 'aws-cdk-lib';
 * import { WebhookPipeline, type WebhookArchiveProps } from 'txonce/cdk';
 *
 * const stack = new Stack(new App(), 'billing');
 * const archive: WebhookArchiveProps = { retention: Duration.days(365) };
 * new WebhookPipeline(stack, 'Pipeline', { archive });
 * ```
 */
export interface WebhookArchiveProps {
  /** How long each accepted webhook is kept (whole days, at least 1). Default 90 days: well past the DLQ's 14. */
  retention?: Duration;
  /** What happens to the bucket when the stack is deleted. Default RETAIN (DESTROY empties it first). */
  removalPolicy?: RemovalPolicy;
}

/** Default retention: long enough to find a consumer bug after the DLQ's 14 days have passed. */
export const DEFAULT_ARCHIVE_RETENTION_DAYS = 90;

/**
 * An S3 bucket that keeps each accepted webhook as one object, laid out by source and time, for
 * `txonce replay`: encrypted (S3 managed keys), TLS only, public access blocked, objects owned
 * by the bucket owner, expired after the retention. `WebhookPipeline` makes one (its `archive`
 * prop); make your own for an ingest of your own.
 *
 * @example
 * ```ts
 * import { App, Duration, Stack } from 'aws-cdk-lib';
 * import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
 * import { WebhookArchive } from 'txonce/cdk';
 *
 * const stack = new Stack(new App(), 'webhooks');
 * const archive = new WebhookArchive(stack, 'Archive', { retention: Duration.days(30) });
 * export const grantTo = (ingest: LambdaFunction) => archive.grantWrite(ingest); // s3:PutObject only
 * ```
 */
export class WebhookArchive extends Construct {
  readonly bucket: Bucket;
  readonly retention: Duration;

  constructor(scope: Construct, id: string, props: WebhookArchiveProps = {}) {
    super(scope, id);
    this.retention = props.retention ?? Duration.days(DEFAULT_ARCHIVE_RETENTION_DAYS);
    const days = this.retention.toDays({ integral: false });
    if (!Number.isInteger(days) || days < 1)
      throw new Error(
        `WebhookPipeline: archive.retention must be a whole number of days, at least 1 (got ${this.retention.toHumanString()}): S3 expires objects by the day.`,
      );
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        { id: 'retention', expiration: this.retention, abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    });
    acknowledgeArchiveFindings(this);
  }

  /** The ingest: s3:PutObject on the bucket's objects, and nothing else (no tagging, no retention, no abort). */
  grantWrite(grantee: IGrantable): void {
    Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: [this.bucket.arnForObjects('*')] });
    acknowledgeArchiveWriter(this, grantee);
  }

  /** An operator or tool that replays: list and read. */
  grantReplay(grantee: IGrantable): void {
    this.bucket.grantRead(grantee);
  }
}
