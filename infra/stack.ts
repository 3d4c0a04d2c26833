import { RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { WebhookPipeline, type WebhookPipelineProps, type WebhookScheme } from 'txonce/cdk';
import { CONSUMER_ENVIRONMENT } from '../lib/contracts/environment.js';
import type { WebhookPreset } from '../lib/webhooks/presets.js';
import { BUSINESS_TABLES } from './settings.js';

export interface TxonceStackProps extends StackProps {
  scheme?: WebhookScheme;
  source?: string;
  /** Several sources, each a preset named after it (at /webhooks/<preset>). Default: the one source of `scheme`. */
  sources?: WebhookPreset[];
  /** FIFO queue and DLQ. Default false. */
  fifo?: boolean;
  /** An address that receives the alarms (confirm the SNS subscription). Default: none. */
  alarmEmail?: string;
  /** Delete the tables, queues and secrets with the stack (throwaway stages). Default false: they are retained. */
  destroyData?: boolean;
  /** A production stage: alarms without an action fail synthesis. Default false. */
  production?: boolean;
  /** API Gateway access and execution logs; needs the account's API Gateway CloudWatch role. Default false. */
  apiLogging?: boolean;
  /** A regional WAFv2 web ACL to associate with the API stage. Default: none. */
  webAclArn?: string;
  /** More WebhookPipeline settings (batch size, maxReceiveCount, consumer environment...); the consumer's are merged. */
  pipeline?: Partial<WebhookPipelineProps>;
}

/**
 * The deployable stack: the pipeline running the example invoice consumer and its tables. It uses
 * the construct through the package's public entry, `txonce/cdk`, exactly as an app of yours would.
 */
export class TxonceStack extends Stack {
  readonly pipeline: WebhookPipeline;
  readonly invoices: TableV2;
  readonly customers: TableV2;
  readonly receipts: Topic;

  constructor(scope: Construct, id: string, props: TxonceStackProps = {}) {
    super(scope, id, props);
    const removalPolicy = props.destroyData ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    // one encryption choice for every table: the AWS managed key (visible in CloudTrail, no key cost)
    const encryption = TableEncryptionV2.awsManagedKey();
    const businessTable = (name: string) =>
      new TableV2(this, name, {
        partitionKey: { name: BUSINESS_TABLES.partitionKey, type: AttributeType.STRING },
        billing: Billing.onDemand(),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: !props.destroyData,
        encryption,
        removalPolicy,
      });
    this.invoices = businessTable('Invoices');
    this.customers = businessTable('Customers');

    // where the example consumer's emitted receipts go (subscribe an email, a queue, a function)
    this.receipts = new Topic(this, 'Receipts', { enforceSSL: true });

    const alarmTopic = props.alarmEmail ? new Topic(this, 'Alarms', { enforceSSL: true }) : undefined;
    if (alarmTopic && props.alarmEmail) {
      alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
      Validations.of(alarmTopic).acknowledge({
        id: 'Serverless-SNSRedrivePolicy',
        reason:
          'An email subscription for alarm notifications: a DLQ would hold undeliverable emails nobody reads; the alarms stay visible in CloudWatch.',
      });
    }

    this.pipeline = new WebhookPipeline(this, 'Pipeline', {
      ...props.pipeline,
      scheme: props.scheme,
      source: props.source,
      sources: props.sources?.map((name) => ({ name, scheme: name })),
      fifo: props.fifo,
      alarmTopic,
      production: props.production,
      apiLogging: props.apiLogging,
      webAclArn: props.webAclArn,
      removalPolicy,
      deletionProtection: !props.destroyData,
      tableEncryption: encryption,
      consumer: {
        ...props.pipeline?.consumer,
        tables: [this.invoices, this.customers, ...(props.pipeline?.consumer?.tables ?? [])],
        environment: {
          [CONSUMER_ENVIRONMENT.invoicesTable]: this.invoices.tableName,
          [CONSUMER_ENVIRONMENT.customersTable]: this.customers.tableName,
          [CONSUMER_ENVIRONMENT.receiptsTopicArn]: this.receipts.topicArn,
          ...props.pipeline?.consumer?.environment,
        },
      },
      outbox: { topics: [this.receipts] },
    });
  }
}
