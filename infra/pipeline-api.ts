import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  EndpointType,
  JsonSchemaType,
  JsonSchemaVersion,
  LambdaIntegration,
  LogGroupLogDestination,
  type MethodDeploymentOptions,
  MethodLoggingLevel,
  type Model,
  type RequestValidator,
  type Resource,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { HmacSchemeDefinition } from '../lib/webhooks/hmac-scheme-definition.js';
import type { PipelineSource } from './webhook-sources.js';

export interface WebhookApiOptions {
  ingest: IFunction;
  sources: PipelineSource[];
  /** the single source of the `scheme` props: POST /webhooks, as before; else /webhooks/<name> each */
  single: boolean;
  retention: RetentionDays;
  apiLogging: boolean;
  throttlingRateLimit: number | undefined;
  throttlingBurstLimit: number | undefined;
}

/**
 * The REST API: POST /webhooks/<name> per source (POST /webhooks for the single source of the
 * `scheme` props), each into the one ingest. API Gateway refuses a request without the source's
 * signature headers, or a JSON source's body that is not an object, before any Lambda runs.
 */
export function webhookApi(scope: Construct, options: WebhookApiOptions): RestApi {
  // a single source's limits are the stage's; several: the stage's are the usual ones, and a
  // source that never retries (GitHub) gets its own higher limits on its own method
  const stage = options.single ? throttlingOf(options.sources[0].definition) : RETRYING_SENDER;
  const given = options.throttlingRateLimit !== undefined || options.throttlingBurstLimit !== undefined;
  const methodOptions = given || options.single ? undefined : perSourceThrottling(options.sources);
  // Access and execution logs need the account's API Gateway CloudWatch role (one per account and
  // region, shared by every REST API there): never created or changed here, so opt-in.
  const logging = options.apiLogging
    ? {
        accessLogDestination: new LogGroupLogDestination(
          new LogGroup(scope, 'ApiAccessLogs', { retention: options.retention, removalPolicy: RemovalPolicy.DESTROY }),
        ),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: MethodLoggingLevel.ERROR,
      }
    : { loggingLevel: MethodLoggingLevel.OFF };
  const api = new RestApi(scope, 'Api', {
    description: 'txonce webhook receiver',
    endpointTypes: [EndpointType.REGIONAL],
    cloudWatchRole: false,
    deployOptions: {
      ...logging,
      dataTraceEnabled: false, // execution logs must not hold webhook bodies
      metricsEnabled: true,
      tracingEnabled: true,
      throttlingRateLimit: options.throttlingRateLimit ?? stage.rateLimit,
      throttlingBurstLimit: options.throttlingBurstLimit ?? stage.burstLimit,
      methodOptions,
    },
  });
  const validator = api.addRequestValidator('SignatureAndBody', {
    validateRequestParameters: true,
    validateRequestBody: true,
  });
  const event = api.addModel('WebhookEvent', {
    contentType: 'application/json',
    schema: {
      schema: JsonSchemaVersion.DRAFT4,
      type: JsonSchemaType.OBJECT,
      description: 'A webhook event is a JSON object',
    },
  });
  const webhooks = api.root.addResource('webhooks');
  const integration = new LambdaIntegration(options.ingest, { proxy: true });
  const post = (resource: Resource, source: PipelineSource) =>
    resource.addMethod('POST', integration, {
      requestValidator: validator as RequestValidator,
      // a form source's body is parameters, not JSON: only the ingest checks it
      requestModels: source.body === 'json' ? { 'application/json': event as Model } : undefined,
      requestParameters: Object.fromEntries(
        requiredHeaders(source.definition).map((name) => [`method.request.header.${name}`, true]),
      ),
    });
  if (options.single) post(webhooks, options.sources[0]);
  else for (const source of options.sources) post(webhooks.addResource(source.name), source);
  return api;
}

/**
 * Headers API Gateway requires before the ingest runs: the signature header, and the
 * timestamp's, where the scheme names exactly one (a validator cannot require one of two
 * spellings, such as Standard Webhooks' webhook-* and svix-*: the ingest alone checks those,
 * 401 missing-header). The three original schemes keep their headers' usual spelling.
 */
function requiredHeaders(scheme: HmacSchemeDefinition): string[] {
  if (Object.hasOwn(SIGNATURE_HEADERS, scheme.name)) return SIGNATURE_HEADERS[scheme.name];
  const single = (header: string | readonly string[] | undefined) => (typeof header === 'string' ? [header] : []);
  const timestamp = scheme.timestamp && 'header' in scheme.timestamp ? scheme.timestamp.header : undefined;
  return [...single(scheme.signature.header), ...single(timestamp)];
}

const SIGNATURE_HEADERS: Record<string, string[]> = {
  'standard-webhooks': [],
  stripe: ['Stripe-Signature'],
  github: ['X-Hub-Signature-256', 'X-GitHub-Delivery'],
};

/** Stripe, Standard Webhooks and most senders retry a 429 with backoff for hours to days: a tight limit only delays. */
const RETRYING_SENDER = { rateLimit: 50, burstLimit: 100 };
/** GitHub never retries a failed delivery: a 429 is a lost event until redelivered by hand, so well above a burst. */
const NON_RETRYING_SENDER = { rateLimit: 500, burstLimit: 1000 };

function throttlingOf(scheme: HmacSchemeDefinition): { rateLimit: number; burstLimit: number } {
  return scheme.name === 'github' ? NON_RETRYING_SENDER : RETRYING_SENDER;
}

/** Method-level limits for the sources whose sender does not retry, keyed as API Gateway keys them. */
function perSourceThrottling(sources: PipelineSource[]): Record<string, MethodDeploymentOptions> | undefined {
  const options = Object.fromEntries(
    sources
      .filter((source) => throttlingOf(source.definition) !== RETRYING_SENDER)
      .map((source) => {
        const { rateLimit, burstLimit } = throttlingOf(source.definition);
        return [`/webhooks/${source.name}/POST`, { throttlingRateLimit: rateLimit, throttlingBurstLimit: burstLimit }];
      }),
  );
  return Object.keys(options).length > 0 ? options : undefined;
}
