import { Annotations, Duration } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  type Alarm,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  SingleValueWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { INGEST_METRICS, SOURCE_DIMENSION } from '../lib/contracts/ingest-metrics.js';
import { thresholdAlarm } from './alarms.js';
import type { Outbox } from './outbox.js';

/**
 * What `PipelineMonitoring` watches: the API, the queue and DLQ, the two functions, and where
 * alarms go.
 *
 * @example
 * ```ts
 * import { App, Duration, Stack } from 'aws-cdk-lib';
 * import { LambdaIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
 * import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
 * import { Queue } from 'aws-cdk-lib/aws-sqs';
 * import { PipelineMonitoring, type PipelineMonitoringProps } from 'txonce/cdk';
 *
 * // a pipeline assembled from parts of your own
 * const stack = new Stack(new App(), 'billing');
 * const fn = (id: string) =>
 *   new LambdaFunction(stack, id, { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('') });
 * const ingest = fn('Ingest');
 * const api = new RestApi(stack, 'Api');
 * api.root.addMethod('POST', new LambdaIntegration(ingest));
 * const props: PipelineMonitoringProps = {
 *   api,
 *   queue: new Queue(stack, 'Queue'),
 *   deadLetterQueue: new Queue(stack, 'Dlq'),
 *   ingest,
 *   consumer: fn('Consumer'),
 *   consumerService: 'billing-consumer',
 *   maxMessageAge: Duration.minutes(15),
 * };
 * new PipelineMonitoring(stack, 'Monitoring', props);
 * ```
 */
export interface PipelineMonitoringProps {
  api: RestApi;
  queue: IQueue;
  deadLetterQueue: IQueue;
  ingest: IFunction;
  consumer: IFunction;
  /** the consumer's Powertools service name: the dimension of its EMF metrics */
  consumerService: string;
  alarmTopic?: ITopic;
  /** a production stage: alarms without an action fail synthesis instead of warning */
  production?: boolean;
  /**
   * The webhook sources whose signature rejections (401s) to alarm on, one alarm each: the
   * ingest's EMF metrics `SignatureRejections` and `WebhookRequests` with dimension `source`.
   * Default: none.
   */
  webhookSources?: string[];
  /** the ingest's Powertools service name: the other dimension of its EMF metrics. Default "txonce-ingest". */
  ingestService?: string;
  /** the pipeline archives accepted webhooks: one ArchiveWriteFailures alarm per source in `webhookSources` */
  archived?: boolean;
  maxMessageAge: Duration;
  outbox?: Outbox;
}

/** The EMF metrics functions/consumer publishes, one count per record outcome. */
export const OUTCOME_METRIC_NAMES = ['committed', 'duplicate', 'failed', 'deadLettered'] as const;

/** Alarm when this share of webhook requests (Average of 4XXError) gets a 4xx in five minutes. */
const CLIENT_ERROR_RATE = 0.1;
/** Alarm when this percentage of webhook requests fails signature verification in five minutes. */
const SIGNATURE_REJECTION_PERCENT = 10;

/**
 * Alarms for what needs a person, and one dashboard for the whole pipeline.
 *
 * @example
 * ```ts
 * import { App, Stack } from 'aws-cdk-lib';
 * import { WebhookPipeline } from 'txonce/cdk';
 *
 * const stack = new Stack(new App(), 'billing');
 * const pipeline = new WebhookPipeline(stack, 'Pipeline'); // builds its own PipelineMonitoring
 * export const alarmNames = pipeline.monitoring.alarms.map((alarm) => alarm.alarmName);
 * export const dashboard = pipeline.monitoring.dashboard;
 * ```
 */
export class PipelineMonitoring extends Construct {
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;
  /** per source: the share of its requests (percent) that failed signature verification */
  readonly signatureRejectionRates: Record<string, MathExpression> = {};

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    const minute = Duration.minutes(1);
    const fiveMinutes = Duration.minutes(5);

    const dlqDepth = props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: minute,
      statistic: 'Maximum',
    });
    const oldestAge = props.queue.metricApproximateAgeOfOldestMessage({ period: minute, statistic: 'Maximum' });
    const consumerErrors = props.consumer.metricErrors({ period: fiveMinutes, statistic: 'Sum' });
    const consumerThrottles = props.consumer.metricThrottles({ period: fiveMinutes, statistic: 'Sum' });
    const ingest5xx = props.api.metricServerError({ period: fiveMinutes, statistic: 'Sum' });

    this.alarm(
      'DeadLetters',
      dlqDepth,
      1,
      'Messages are waiting in the DLQ: inspect them (txonce dlq list), fix the cause, redrive.',
    );
    this.alarm(
      'QueueBacklog',
      oldestAge,
      props.maxMessageAge.toSeconds(),
      'The oldest queued event is getting old: the consumer is behind or failing.',
    );
    this.alarm(
      'ConsumerErrors',
      consumerErrors,
      1,
      'The consumer invocation failed (not a single record: the whole batch).',
    );
    this.alarm(
      'ConsumerThrottles',
      consumerThrottles,
      1,
      'The consumer was throttled: raise its concurrency or the account limit.',
    );
    this.alarm(
      'Ingest5xx',
      ingest5xx,
      1,
      'The webhook endpoint answered 5xx: senders will retry, but something is broken.',
    );
    // 4xx: a rate, so a quiet endpoint's single bad request is not a page; includes 429 throttling
    const ingest4xxRate = props.api.metricClientError({ period: fiveMinutes, statistic: 'Average' });
    this.alarm(
      'Ingest4xxSpike',
      ingest4xxRate,
      CLIENT_ERROR_RATE,
      'Over 10% of webhook requests got a 4xx (bad signature, throttled 429, bad body): senders that do not retry (GitHub) lose those events.',
    );
    const sources = props.webhookSources ?? [];
    for (const [index, source] of sources.entries()) {
      const rate = signatureRejectionRate(props.ingestService ?? 'txonce-ingest', source, index, fiveMinutes);
      this.signatureRejectionRates[source] = rate;
      // one source keeps the alarm's id of old; several are told apart by name
      this.alarm(
        sources.length === 1 ? 'SignatureRejections' : `SignatureRejections-${source}`,
        rate,
        SIGNATURE_REJECTION_PERCENT,
        `Over 10% of the ${source} webhooks failed signature verification (401): its secret in Secrets Manager does not match the provider's (first deploy, bad rotation), or someone is probing the endpoint.`,
      );
    }
    for (const source of props.archived ? sources : []) {
      // the ingest counts each accepted webhook of the source that it queued but could not archive
      this.alarm(
        sources.length === 1 ? 'ArchiveWriteFailures' : `ArchiveWriteFailures-${source}`,
        ingestCount(props.ingestService ?? 'txonce-ingest', source, INGEST_METRICS.archiveWriteFailures, fiveMinutes),
        1,
        `Accepted ${source} webhooks were queued but not archived (S3 failed): the archive misses them (their keys are in the ingest log), so a replay of that window cannot bring them back.`,
      );
    }
    const withOutbox = [...this.alarms, ...(props.outbox?.alarms ?? [])];
    if (props.alarmTopic) {
      for (const alarm of withOutbox) alarm.addAlarmAction(new SnsAction(props.alarmTopic));
    } else {
      const message =
        `${withOutbox.length} alarms have no action: nobody is told when events pile up in the DLQ or webhooks are ` +
        "rejected. Give WebhookPipeline an alarmTopic: an SNS topic of your stack (new Topic(stack, 'Alarms')) " +
        'that your email or pager subscribes to.';
      // a validation error fails every synth, in the CLI and in app.synth() alike
      if (props.production) this.node.addValidation({ validate: () => [message] });
      else Annotations.of(this).addWarningV2('txonce:alarmsWithoutAction', message);
    }

    const outcome = (name: string) =>
      new Metric({
        namespace: 'txonce',
        metricName: name,
        dimensionsMap: { service: props.consumerService },
        statistic: 'Sum',
        period: fiveMinutes,
      });
    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Record outcomes (consumer EMF)',
        left: OUTCOME_METRIC_NAMES.map(outcome),
        width: 12,
      }),
      new SingleValueWidget({ title: 'DLQ messages', metrics: [dlqDepth], width: 6 }),
      new SingleValueWidget({ title: 'Oldest queued event (s)', metrics: [oldestAge], width: 6 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Webhook endpoint',
        left: [
          props.api.metricCount({ period: fiveMinutes }),
          props.api.metricClientError({ period: fiveMinutes }),
          ingest5xx,
        ],
        right: [props.api.metricLatency({ period: fiveMinutes, statistic: 'p99' })],
        width: 8,
      }),
      new GraphWidget({
        title: 'Queue',
        left: [
          props.queue.metricApproximateNumberOfMessagesVisible({ period: minute }),
          props.queue.metricNumberOfMessagesSent({ period: minute }),
          props.queue.metricNumberOfMessagesDeleted({ period: minute }),
        ],
        right: [oldestAge],
        width: 8,
      }),
      new GraphWidget({
        title: 'Consumer',
        left: [props.consumer.metricInvocations({ period: fiveMinutes }), consumerErrors, consumerThrottles],
        right: [props.consumer.metricDuration({ period: fiveMinutes, statistic: 'p99' })],
        width: 8,
      }),
    );
    if (sources.length > 0) {
      this.dashboard.addWidgets(
        new GraphWidget({
          title: 'Signature rejections by source (% of its requests)',
          left: Object.values(this.signatureRejectionRates),
          width: 24,
        }),
      );
    }
    if (props.outbox) {
      const { publisher, failureQueue } = props.outbox;
      this.dashboard.addWidgets(
        new GraphWidget({
          title: 'Outbox publisher',
          left: [publisher.metricInvocations({ period: fiveMinutes }), publisher.metricErrors({ period: fiveMinutes })],
          right: [publisher.metric('IteratorAge', { period: minute, statistic: 'Maximum' })],
          width: 12,
        }),
        new SingleValueWidget({
          title: 'Undelivered outbox messages',
          metrics: [failureQueue.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum' })],
          width: 12,
        }),
      );
    }
  }

  private alarm(id: string, metric: IMetric, threshold: number, description: string): void {
    this.alarms.push(thresholdAlarm(this, id, metric, threshold, description));
  }
}

/**
 * The share of one source's requests its signature check refused, from the ingest's EMF counts
 * (namespace "txonce", dimensions service and source): a wrong secret on one source is seen on
 * that source alone.
 */
function signatureRejectionRate(
  ingestService: string,
  source: string,
  index: number,
  period: Duration,
): MathExpression {
  const count = (metricName: string) => ingestCount(ingestService, source, metricName, period);
  return new MathExpression({
    // ids per source: the dashboard graphs every source's expression together
    expression: `IF(requests${index} > 0, 100 * rejected${index} / requests${index}, 0)`,
    usingMetrics: {
      [`rejected${index}`]: count(INGEST_METRICS.signatureRejections),
      [`requests${index}`]: count(INGEST_METRICS.requests),
    },
    period,
    label: `${source}: signature rejections (% of requests)`,
  });
}

/** One of the ingest's EMF counts for a source (lib/contracts/ingest-metrics.ts), summed over the period. */
function ingestCount(ingestService: string, source: string, metricName: string, period: Duration): Metric {
  return new Metric({
    namespace: 'txonce',
    metricName,
    dimensionsMap: { service: ingestService, [SOURCE_DIMENSION]: source },
    statistic: 'Sum',
    period,
  });
}
