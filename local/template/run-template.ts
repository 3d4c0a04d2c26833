import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import type { Route } from '../http-gateway.js';
import { SqsPoller } from '../sqs-poller.js';
import { DynamoStreamPoller } from '../stream-poller.js';
import type { SynthesizedStack } from './cloud-assembly.js';
import { unsupportedValue } from './emulations.js';
import { compileFilterCriteria } from './filter-criteria.js';
import { LocalFunction, type RuntimeNotice } from './function-runtime.js';
import { LOCAL_ACCOUNT, LOCAL_REGION, type ReferenceTable, resolveIntrinsics } from './intrinsics.js';
import type { ProvisionedResources } from './provision-template.js';

const MAPPING = 'AWS::Lambda::EventSourceMapping';

/** The template's functions, each ready to run its own bundle (environments start on the first invocation). */
export function templateFunctions(options: {
  stack: SynthesizedStack;
  maxEnvironments: number;
  onNotice?: (notice: RuntimeNotice) => void;
  /** the Node.js binary for a runtime of the template (nodejs24.x); default this process's */
  execPathFor?: (runtime: string) => string | undefined;
}): Map<string, LocalFunction> {
  const { stack } = options;
  const functions = new Map<string, LocalFunction>();
  for (const [id, resource] of Object.entries(stack.template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const p = resource.Properties ?? {};
    const runtime = String(p.Runtime ?? '');
    if (!runtime.startsWith('nodejs'))
      unsupportedValue(id, resource.Type, 'Runtime', `${runtime || 'no runtime'}: only Node.js functions run locally`);
    const name = typeof p.FunctionName === 'string' ? p.FunctionName : `${stack.stackName}-${id}`.slice(0, 64);
    functions.set(
      id,
      new LocalFunction(
        {
          logicalId: id,
          functionName: name,
          functionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`,
          bundleDir: '', // set below, once every reference can be resolved
          handler: String(p.Handler ?? 'index.handler'),
          timeoutSeconds: Number(p.Timeout ?? 3),
          memoryMb: Number(p.MemorySize ?? 128),
          environment: {},
          execPath: options.execPathFor?.(runtime),
        },
        { maxEnvironments: options.maxEnvironments, onNotice: options.onNotice },
      ),
    );
  }
  return functions;
}

/** Fills in each function's bundle folder and environment (references resolved to the local resources). */
export function configureFunctions(
  stack: SynthesizedStack,
  functions: Map<string, LocalFunction>,
  references: ReferenceTable,
  runtimeEnvironment: Record<string, string>,
): void {
  for (const [id, fn] of functions) {
    const p = stack.template.Resources[id].Properties ?? {};
    const variables = resolveIntrinsics(
      (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {},
      references,
      `${id}.Environment`,
    ) as Record<string, unknown>;
    fn.spec.bundleDir = stack.bundleDir(id);
    fn.spec.environment = {
      ...runtimeEnvironment,
      ...Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, String(value)])),
    };
  }
}

export function functionReferences(functions: Map<string, LocalFunction>): Partial<ReferenceTable> {
  return {
    ref: (id) => functions.get(id)?.spec.functionName,
    getAtt: (id, attribute) => (attribute === 'Arn' ? functions.get(id)?.spec.functionArn : undefined),
  };
}

export interface RunningMapping {
  logicalId: string;
  functionId: string;
  source: 'sqs' | 'dynamodb';
  stop(): Promise<void>;
}

/** Starts a poller per AWS::Lambda::EventSourceMapping, configured as the template says. */
export async function startEventSourceMappings(options: {
  stack: SynthesizedStack;
  resources: ProvisionedResources;
  functions: Map<string, LocalFunction>;
  clients: { sqs: SQSClient; dynamo: DynamoDBClient; streams: DynamoDBStreamsClient };
  /** the local cap on environments per function: SQS batches in flight are at most this */
  maxEnvironments: number;
  /** only these event sources (the recovery test queues without consuming) */
  sources?: ('sqs' | 'dynamodb')[];
  onInvoke?: (
    mapping: string,
    report: { records: number; error?: unknown; outcomes?: { key: string; failed: boolean }[] },
  ) => void;
}): Promise<RunningMapping[]> {
  const { stack, resources, functions, clients } = options;
  const running: RunningMapping[] = [];
  const functionByName = (name: string) =>
    [...functions.entries()].find(([, fn]) => fn.spec.functionName === name || fn.spec.functionArn === name);
  for (const [id, resource] of Object.entries(stack.template.Resources)) {
    if (resource.Type !== MAPPING) continue;
    const p = resolveIntrinsics(resource.Properties ?? {}, resources.references, id) as Record<string, any>;
    if (p.Enabled === false || p.Enabled === 'false') continue;
    const target = functionByName(String(p.FunctionName));
    if (!target) unsupportedValue(id, MAPPING, 'FunctionName', `${p.FunctionName} is not a function of this template`);
    const [functionId, fn] = target as [string, LocalFunction];
    const filter = compileFilterCriteria(p.FilterCriteria, id);
    const reportBatchItemFailures = (p.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures');
    const batchWindowMs = Number(p.MaximumBatchingWindowInSeconds ?? 0) * 1000;
    const queue = [...resources.queues.values()].find((candidate) => candidate.arn === p.EventSourceArn);
    const table = [...resources.tables.values()].find((candidate) => candidate.streamArn === p.EventSourceArn);
    if (queue && options.sources && !options.sources.includes('sqs')) continue;
    if (table && options.sources && !options.sources.includes('dynamodb')) continue;
    if (queue) {
      for (const property of [
        'StartingPosition',
        'MaximumRetryAttempts',
        'BisectBatchOnFunctionError',
        'DestinationConfig',
      ])
        if (p[property] !== undefined) unsupportedValue(id, MAPPING, property, 'applies to streams, not to SQS');
      const poller = new SqsPoller({
        client: clients.sqs,
        queueUrl: queue.url,
        handler: (event) => fn.invoke(event),
        batchSize: Number(p.BatchSize ?? 10),
        batchWindowMs,
        // the function's own process ends the invocation at its timeout; this is a backstop
        functionTimeoutMs: fn.spec.timeoutSeconds * 1000 + 5_000,
        maxConcurrency: Math.min(Number(p.ScalingConfig?.MaximumConcurrency ?? 1000), options.maxEnvironments),
        filter: filter as ((record: object) => boolean) | undefined,
        reportBatchItemFailures,
        onInvoke: (report) => options.onInvoke?.(id, report),
      });
      await poller.start();
      running.push({ logicalId: id, functionId, source: 'sqs', stop: () => poller.stop() });
    } else if (table) {
      if (p.ParallelizationFactor !== undefined && Number(p.ParallelizationFactor) !== 1)
        unsupportedValue(id, MAPPING, 'ParallelizationFactor', 'only 1 (one batch per shard at a time) is emulated');
      const startingPosition = p.StartingPosition ?? 'TRIM_HORIZON';
      if (startingPosition !== 'TRIM_HORIZON' && startingPosition !== 'LATEST')
        unsupportedValue(
          id,
          MAPPING,
          'StartingPosition',
          `${startingPosition} is not emulated (TRIM_HORIZON and LATEST are)`,
        );
      const onFailureArn = p.DestinationConfig?.OnFailure?.Destination as string | undefined;
      const onFailure = onFailureArn
        ? [...resources.queues.values()].find((candidate) => candidate.arn === onFailureArn)
        : undefined;
      if (onFailureArn && !onFailure)
        unsupportedValue(
          id,
          MAPPING,
          'DestinationConfig',
          `on-failure destination ${onFailureArn}: only SQS queues of this template are emulated`,
        );
      const poller = new DynamoStreamPoller({
        dynamo: clients.dynamo,
        streams: clients.streams,
        tableName: table.name,
        handler: async (event) => {
          const response = (await fn.invoke(event)) as DynamoDBBatchResponse | undefined;
          return reportBatchItemFailures ? response : undefined;
        },
        filter: filter as ((record: DynamoDBRecord) => boolean) | undefined,
        batchSize: Number(p.BatchSize ?? 100),
        maxRetries: Number(p.MaximumRetryAttempts ?? -1),
        bisectBatchOnError: p.BisectBatchOnFunctionError === true || p.BisectBatchOnFunctionError === 'true',
        startingPosition,
        onFailure: (records, error) => {
          options.onInvoke?.(id, { records: records.length, error });
          if (!onFailure || records.length === 0) return;
          void clients.sqs
            .send(
              new SendMessageCommand({
                QueueUrl: onFailure.url,
                MessageBody: JSON.stringify(
                  failureRecord(table.streamArn as string, fn.spec.functionArn, records, error),
                ),
              }),
            )
            .catch(() => undefined);
        },
      });
      await poller.start();
      running.push({ logicalId: id, functionId, source: 'dynamodb', stop: () => poller.stop() });
    } else {
      unsupportedValue(
        id,
        MAPPING,
        'EventSourceArn',
        `${p.EventSourceArn}: only this template's SQS queues and DynamoDB table streams are emulated as event sources (Kinesis, MSK, MQ are not)`,
      );
    }
  }
  return running;
}

/** What Lambda sends an on-failure destination for a stream batch that ran out of retries. */
function failureRecord(streamArn: string, functionArn: string, records: DynamoDBRecord[], error: unknown) {
  return {
    requestContext: { functionArn, condition: 'RetryAttemptsExhausted', approximateInvokeCount: 1 },
    responseContext: { statusCode: 200, functionError: (error as Error)?.name ?? 'Unhandled' },
    timestamp: new Date().toISOString(),
    DDBStreamBatchInfo: {
      shardId: 'local',
      startSequenceNumber: records[0]?.dynamodb?.SequenceNumber,
      endSequenceNumber: records.at(-1)?.dynamodb?.SequenceNumber,
      batchSize: records.length,
      streamArn,
    },
  };
}

/**
 * The template's API Gateway methods as routes of the local gateway: each AWS_PROXY method runs
 * its function, behind the method's request validator (required headers and query strings,
 * and the body against the model's JSON schema).
 */
export function apiRoutes(options: {
  stack: SynthesizedStack;
  references: ReferenceTable;
  functions: Map<string, LocalFunction>;
  onResponse?: (functionId: string, response: APIGatewayProxyResult) => void;
}): Route[] {
  const { stack, references, functions } = options;
  const resources = stack.template.Resources;
  const pathOf = (resourceId: unknown): string => {
    const id = (resourceId as { Ref?: string })?.Ref;
    if (!id) return ''; // the API's root (Fn::GetAtt RootResourceId)
    const resource = resources[id];
    return `${pathOf(resource.Properties?.ParentId)}/${resource.Properties?.PathPart}`;
  };
  const routes: Route[] = [];
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::ApiGateway::Method') continue;
    const p = resource.Properties ?? {};
    const integration = p.Integration as { Type?: string; Uri?: unknown } | undefined;
    if (integration?.Type !== 'AWS_PROXY')
      unsupportedValue(
        id,
        resource.Type,
        'Integration',
        `${integration?.Type ?? 'no'} integration: only AWS_PROXY (Lambda proxy) is emulated`,
      );
    if ((p.AuthorizationType ?? 'NONE') !== 'NONE')
      unsupportedValue(id, resource.Type, 'AuthorizationType', `${p.AuthorizationType}: authorizers are not emulated`);
    if (p.ApiKeyRequired === true) unsupportedValue(id, resource.Type, 'ApiKeyRequired', 'API keys are not emulated');
    const uri = String(resolveIntrinsics(integration?.Uri, references, `${id}.Integration.Uri`));
    const target = [...functions].find(([, fn]) => uri.includes(`${fn.spec.functionArn}/`));
    if (!target) unsupportedValue(id, resource.Type, 'Integration', `${uri} is not a function of this template`);
    const [functionId, fn] = target as [string, LocalFunction];
    const validate = requestValidator(id, p, resources);
    routes.push({
      method: String(p.HttpMethod),
      path: pathOf(p.ResourceId) || '/',
      handler: async (event) => {
        const invalid = validate(event);
        if (invalid) return invalid;
        const response = (await fn.invoke(event)) as APIGatewayProxyResult;
        options.onResponse?.(functionId, response);
        return response;
      },
    });
  }
  return routes;
}

function requestValidator(
  methodId: string,
  p: Record<string, unknown>,
  resources: SynthesizedStack['template']['Resources'],
): (event: APIGatewayProxyEvent) => APIGatewayProxyResult | undefined {
  const validatorId = (p.RequestValidatorId as { Ref?: string } | undefined)?.Ref;
  const validator = validatorId ? resources[validatorId]?.Properties : undefined;
  if (!validator) return () => undefined;
  const required = Object.entries((p.RequestParameters as Record<string, unknown>) ?? {})
    .filter(([, isRequired]) => isRequired === true || isRequired === 'true')
    .map(([name]) => name);
  const models = Object.entries((p.RequestModels as Record<string, { Ref?: string }>) ?? {}).map(
    ([contentType, model]) => [contentType, resources[model.Ref ?? '']?.Properties?.Schema] as const,
  );
  const bad = (message: string): APIGatewayProxyResult => ({
    statusCode: 400,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message }),
  });
  return (event) => {
    if (validator.ValidateRequestParameters === true) {
      const missing = required.filter((name) => {
        // method.request.header.<name>: the fourth part on (a header name may hold a dot)
        const [, , where, ...rest] = name.split('.');
        const key = rest.join('.');
        if (where === 'header')
          return !Object.keys(event.headers ?? {}).some((header) => header.toLowerCase() === key.toLowerCase());
        if (where === 'querystring') return !event.queryStringParameters?.[key];
        return unsupportedValue(methodId, 'AWS::ApiGateway::Method', 'RequestParameters', `${name} is not emulated`);
      });
      if (missing.length > 0)
        return bad(
          `Missing required request parameters: [${missing.map((name) => name.split('.').at(-1)).join(', ')}]`,
        );
    }
    if (validator.ValidateRequestBody === true && models.length > 0) {
      const contentType = Object.entries(event.headers ?? {})
        .find(([name]) => name.toLowerCase() === 'content-type')?.[1]
        ?.split(';')[0]
        .trim()
        .toLowerCase();
      const schema = (models.find(([type]) => type === contentType) ??
        models.find(([type]) => type === 'application/json'))?.[1];
      if (schema && !matchesSchema(event.body, schema as JsonSchema)) return bad('Invalid request body');
    }
    return undefined;
  };
}

interface JsonSchema {
  type?: string;
  required?: string[];
  properties?: Record<string, JsonSchema>;
}

/** The part of JSON Schema draft 4 request models use here: type, required and nested properties. */
function matchesSchema(body: string | null, schema: JsonSchema): boolean {
  let value: unknown;
  try {
    value = JSON.parse(body ?? '');
  } catch {
    return false;
  }
  const check = (item: unknown, rule: JsonSchema): boolean => {
    const type = item === null ? 'null' : Array.isArray(item) ? 'array' : typeof item;
    if (rule.type && rule.type !== type && !(rule.type === 'integer' && Number.isInteger(item))) return false;
    if (type === 'object') {
      const object = item as Record<string, unknown>;
      if (rule.required?.some((key) => !(key in object))) return false;
      for (const [key, inner] of Object.entries(rule.properties ?? {}))
        if (key in object && !check(object[key], inner)) return false;
    }
    return true;
  };
  return check(value, schema);
}
