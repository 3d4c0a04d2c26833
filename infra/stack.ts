import { RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { WebhookPipeline, type WebhookScheme } from './pipeline.js';
import { BUSINESS_TABLES } from './settings.js';

export interface TxonceStackProps extends StackProps {
  scheme?: WebhookScheme;
  source?: string;
  /** FIFO queue and DLQ. Default false. */
  fifo?: boolean;
  /** An address that receives the alarms (confirm the SNS subscription). Default: none. */
  alarmEmail?: string;
  /** Delete the tables with the stack (throwaway stages). Default false: tables are retained. */
  destroyData?: boolean;
}

/** The deployable stack: the pipeline running the example invoice consumer and its tables. */
export class TxonceStack extends Stack {
  readonly pipeline: WebhookPipeline;
  readonly invoices: TableV2;
  readonly customers: TableV2;
  readonly receipts: Topic;

  constructor(scope: Construct, id: string, props: TxonceStackProps = {}) {
    super(scope, id, props);
    const removalPolicy = props.destroyData ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const businessTable = (name: string) =>
      new TableV2(this, name, {
        partitionKey: { name: BUSINESS_TABLES.partitionKey, type: AttributeType.STRING },
        billing: Billing.onDemand(),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: !props.destroyData,
        removalPolicy,
      });
    this.invoices = businessTable('Invoices');
    this.customers = businessTable('Customers');

    // where the example consumer's emitted receipts go (subscribe an email, a queue, a function)
    this.receipts = new Topic(this, 'Receipts', { enforceSSL: true });

    const alarmTopic = props.alarmEmail ? new Topic(this, 'Alarms', { enforceSSL: true }) : undefined;
    if (alarmTopic && props.alarmEmail) alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));

    this.pipeline = new WebhookPipeline(this, 'Pipeline', {
      scheme: props.scheme,
      source: props.source,
      fifo: props.fifo,
      alarmTopic,
      removalPolicy,
      deletionProtection: !props.destroyData,
      consumer: {
        tables: [this.invoices, this.customers],
        environment: {
          INVOICES_TABLE: this.invoices.tableName,
          CUSTOMERS_TABLE: this.customers.tableName,
          RECEIPTS_TOPIC_ARN: this.receipts.topicArn,
        },
      },
      outbox: { topics: [this.receipts] },
    });
    acknowledgeNagFindings(this);
  }
}

/** cdk-nag findings this design accepts, each with its reason. */
function acknowledgeNagFindings(stack: TxonceStack): void {
  const { pipeline } = stack;
  const acknowledge = (scope: Construct, id: string, reason: string) =>
    Validations.of(scope).acknowledge({ id, reason });
  acknowledge(
    pipeline.api,
    'AwsSolutions-APIG4',
    'Webhook senders (Stripe, GitHub, Standard Webhooks senders) cannot sign AWS requests or hold Cognito tokens: ' +
      'every request is authenticated by its HMAC signature in the ingest function, and API Gateway refuses requests without the signature headers.',
  );
  acknowledge(
    pipeline.api,
    'AwsSolutions-COG4',
    'Same as APIG4: webhooks authenticate by signature, not by a Cognito user pool.',
  );
  acknowledge(
    pipeline.api,
    'AwsSolutions-APIG3',
    'No WAF by default: a regional web ACL costs money per month and per request; stage throttling limits abuse. Attach one for production if needed.',
  );
  acknowledge(
    pipeline.api,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    'API Gateway account-level CloudWatch role: AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS provides for execution logging.',
  );
  for (const fn of [pipeline.ingest, pipeline.consumer]) {
    acknowledge(
      fn.role ?? fn,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments/PutTelemetryRecords take no resource-level permissions ("*" is required); every other statement names its resource.',
    );
  }
  acknowledge(
    pipeline.deadLetterQueue,
    'AwsSolutions-SQS3',
    'This queue is the dead-letter queue itself; it has no DLQ of its own.',
  );
  if (pipeline.outbox) {
    const { outbox } = pipeline;
    acknowledge(
      outbox.failureQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the failure destination (undeliverable outbox messages and exhausted stream batches).',
    );
    acknowledge(
      outbox.publisher.role ?? outbox.publisher,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments/PutTelemetryRecords take no resource-level permissions ("*" is required); every other statement names its resource.',
    );
    if (outbox.signingSecret.node.scope === outbox) {
      acknowledge(
        outbox.signingSecret,
        'AwsSolutions-SMG4',
        'The webhook signing secret is shared with the receivers; rotating it is a coordinated, manual step (add the new secret on the receivers first).',
      );
    }
  }
  if (pipeline.webhookSecret.node.scope === pipeline) {
    acknowledge(
      pipeline.webhookSecret,
      'AwsSolutions-SMG4',
      'The webhook signing secret is issued by the webhook provider (Stripe, GitHub, the sender); rotation is a manual step there, described in the README.',
    );
  }
}
